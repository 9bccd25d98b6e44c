"""Helpers shared by the benchmark scripts (run from ``scripts/``; not part of the package)."""

from __future__ import annotations

import gzip
import shutil
import sys
from pathlib import Path

from embedkit.memory import peak_rss_mib as peak_rss_mb  # noqa: F401 (re-exported for the scripts)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "corpora" / "enwiki-100m.txt.gz"


def evaluate(vectors: str) -> dict:
    """WS-353 and SimLex-999 Spearman, Google-analogy accuracy (30k) and the rank of queen."""
    from embedkit.datasets import dataset_path
    from embedkit.evaluate import evaluate_analogy, evaluate_similarity
    from embedkit.vectors import Embeddings

    emb = Embeddings.load(vectors)
    return {
        "wordsim353": evaluate_similarity(emb, dataset_path("wordsim353")[1]).spearman,
        "simlex999": evaluate_similarity(emb, dataset_path("simlex999")[1]).spearman,
        "google_analogy": evaluate_analogy(emb, dataset_path("google-analogy")[1]).accuracy,
        "queen_rank": next(
            (i + 1 for i, (w, _) in enumerate(emb.analogy("king", "man", "woman", topn=10)) if w == "queen"), None
        ),
    }


def plain_text(corpus: Path, work: Path) -> Path:
    """Peers read uncompressed text: decompress once, untimed."""
    if corpus.suffix != ".gz":
        return corpus
    target = work / corpus.stem
    with gzip.open(corpus, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 24)
    return target


def checked_paths(corpus: str, out_dir: str) -> tuple[Path, Path]:
    """The corpus path (exits if it is missing) and the results directory (created)."""
    corpus_path = Path(corpus)
    if not corpus_path.is_file():
        sys.exit(f"error: corpus not found: {corpus_path}")
    results = Path(out_dir)
    results.mkdir(parents=True, exist_ok=True)
    return corpus_path, results
