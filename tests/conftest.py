"""Shared fixtures and markers: the shared data directory, synthetic corpora, an isolated cache.

Tests that read the shared data (``../shared/data`` beside the checkout: the Wikipedia corpus, the
similarity sets; see ``../shared/data/README.md``) use the ``wiki_slice`` or ``shared_data``
fixture. They are marked ``realdata`` here, automatically, and skip with the missing path as the
reason when the data is absent; ``EMBEDKIT_REQUIRE_SHARED_DATA=1`` (set by ``.ci/run``) turns that
skip into a failure. ``EMBEDKIT_TEST_SHARED_DATA=DIR`` reads the shared data from DIR instead (a
missing DIR lists the tests that need it). Everything else runs on synthetic text.
"""

from __future__ import annotations

import gzip
import itertools
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(
    os.environ.get("EMBEDKIT_TEST_SHARED_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)
ENWIKI = SHARED_DATA / "corpora" / "enwiki-100m.txt.gz"

#: Fixtures that read the shared data; a test that uses one is marked ``realdata``.
REAL_DATA_FIXTURES = frozenset({"wiki_slice", "shared_data"})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if REAL_DATA_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.realdata)


def _shared_data_missing(path: Path) -> None:
    """Skip the test for want of ``path`` (fail instead under ``EMBEDKIT_REQUIRE_SHARED_DATA``)."""
    reason = f"needs the shared data: {path} not found (../shared/data beside the checkout, see README 'Tests')"
    if os.environ.get("EMBEDKIT_REQUIRE_SHARED_DATA"):
        pytest.fail(f"{reason}; EMBEDKIT_REQUIRE_SHARED_DATA is set")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own encoded-corpus cache and vectors environment."""
    monkeypatch.setenv("EMBEDKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("EMBEDKIT_VECTORS", raising=False)


def enwiki_lines(n_lines: int) -> list[str]:
    """The first ``n_lines`` lines of the shared Wikipedia corpus (skips the test if absent)."""
    if not ENWIKI.is_file():
        _shared_data_missing(ENWIKI)
    with gzip.open(ENWIKI, "rt", encoding="utf-8") as fh:
        return list(itertools.islice(fh, n_lines))


@pytest.fixture(scope="session")
def wiki_slice(tmp_path_factory) -> Path:
    """About 900,000 tokens of real English Wikipedia text (first 12,000 lines)."""
    path = tmp_path_factory.mktemp("wiki") / "wiki.txt"
    path.write_text("".join(enwiki_lines(12_000)), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data directory (skips the test if absent); a test checks for the files it reads."""
    if not SHARED_DATA.is_dir():
        _shared_data_missing(SHARED_DATA)
    return SHARED_DATA


#: The commonest words of :func:`synthetic_lines`, in rank order (all in the shipped stopword list).
COMMON_WORDS = ("the", "of", "and", "in", "a", "to", "was", "is", "for", "as", "on", "by", "with", "he", "that")


def synthetic_lines(n_lines: int, seed: int = 0, n_words: int = 20_000) -> list[str]:
    """Zipf-distributed text standing in for the Wikipedia corpus where its meaning does not matter.

    ``n_lines`` lines (each ending in a newline) of 20 to 130 tokens (75 on average, as the shared
    corpus) drawn with probability proportional to 1/rank from ``n_words`` words: the English
    function words :data:`COMMON_WORDS` first, then made-up words ``w15``, ``w16``, ... — so, like
    real text, the vocabulary grows with the corpus and a large part of it is rare.
    """
    rng = np.random.default_rng(seed)
    words = np.array([*COMMON_WORDS, *(f"w{i}" for i in range(len(COMMON_WORDS), n_words))])
    weights = 1.0 / np.arange(1, n_words + 1)
    lengths = rng.integers(20, 131, size=n_lines)
    tokens = words[rng.choice(n_words, size=int(lengths.sum()), p=weights / weights.sum())]
    ends = np.cumsum(lengths)
    return [" ".join(tokens[end - n : end]) + "\n" for n, end in zip(lengths, ends)]


def vocab_size(path: Path, min_count: int = 5) -> int:
    """How many distinct words of the text file ``path`` occur at least ``min_count`` times."""
    counts = Counter(path.read_text(encoding="utf-8").split())
    return sum(1 for count in counts.values() if count >= min_count)


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
