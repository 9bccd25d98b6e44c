"""The field's reference for continued training: gensim's ``build_vocab(update=True)`` + ``train``
on the second half of the shared corpus after 3 epochs on the first half, against 3 epochs on both
halves from scratch (the same protocol as ``bench_resume.py``'s continued-training rows).

Writes ``bench/continued-gensim-<timestamp>.md``. About 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

from _benchutil import DEFAULT_CORPUS, ROOT, checked_paths, evaluate

SETTINGS = dict(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, workers=2, seed=1, epochs=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--out-dir", default=str(ROOT / "bench"))
    args = parser.parse_args()
    args.corpus, out_dir = checked_paths(args.corpus, args.out_dir)
    from gensim.models import Word2Vec

    with gzip.open(args.corpus, "rt") as fh:
        lines = [line.split() for line in fh]
    half = len(lines) // 2
    first, second = lines[:half], lines[half:]
    results = {"settings": SETTINGS}
    with tempfile.TemporaryDirectory() as scratch:

        def score(model, name):
            path = Path(scratch) / f"{name}.bin"
            model.wv.save_word2vec_format(str(path), binary=True)
            return evaluate(str(path))

        model = Word2Vec(first, **SETTINGS)
        results["first_half_only"] = score(model, "first")
        model.build_vocab(second, update=True)
        model.train(second, total_examples=len(second), epochs=SETTINGS["epochs"])
        results["continued"] = score(model, "continued")
        results["scratch_both_halves"] = score(Word2Vec(lines, **SETTINGS), "both")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = out_dir / f"continued-gensim-{stamp}"
    out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    row = lambda r: f"{r['wordsim353']:.3f} | {r['simlex999']:.3f} | {r['google_analogy']:.3f}"  # noqa: E731
    out.with_suffix(".md").write_text(
        "\n".join(
            [
                f"# gensim continued training ({stamp})",
                "",
                f"gensim Word2Vec {SETTINGS}, corpus {args.corpus.name}.",
                "",
                "| run | WS-353 | SimLex | analogy |",
                "|---|---|---|---|",
                f"| 3 epochs, first half only | {row(results['first_half_only'])} |",
                f"| + build_vocab(update=True), 3 epochs on the second half | {row(results['continued'])} |",
                f"| 3 epochs on both halves from scratch | {row(results['scratch_both_halves'])} |",
                "",
            ]
        )
    )
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
