"""Shared fixtures: the shared data directory, small corpora, an isolated cache."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ENWIKI = SHARED_DATA / "corpora" / "enwiki-100m.txt.gz"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own encoded-corpus cache and vectors environment."""
    monkeypatch.setenv("EMBEDKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("EMBEDKIT_VECTORS", raising=False)


def enwiki_lines(n_lines: int) -> list[str]:
    """The first ``n_lines`` lines of the shared Wikipedia corpus (skips the test if absent)."""
    if not ENWIKI.is_file():
        pytest.skip(f"shared corpus not found at {ENWIKI}")
    with gzip.open(ENWIKI, "rt", encoding="utf-8") as fh:
        return list(itertools.islice(fh, n_lines))


@pytest.fixture(scope="session")
def wiki_slice(tmp_path_factory) -> Path:
    """About 900,000 tokens of real English Wikipedia text (first 12,000 lines)."""
    path = tmp_path_factory.mktemp("wiki") / "wiki.txt"
    path.write_text("".join(enwiki_lines(12_000)), encoding="utf-8")
    return path


def synthetic_sentences(n_sentences: int = 400, seed: int = 0) -> list[list[str]]:
    """Zipf-distributed sentences over 200 made-up words ``w0 .. w199`` (w0 most frequent)."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(200)])
    weights = 1.0 / np.arange(1, 201)
    weights /= weights.sum()
    lengths = rng.integers(5, 30, size=n_sentences)
    return [list(words[rng.choice(200, size=n, p=weights)]) for n in lengths]


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """A synthetic text file of about 7,000 tokens, one sentence per line."""
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in synthetic_sentences()) + "\n", encoding="utf-8")
    return path
