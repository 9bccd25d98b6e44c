"""Where the word2vec kernel's time goes, per word: a cost model fitted to timed runs.

One thread, one epoch, on the first ``--megabytes`` (20) MB of the shared corpus (prepared once,
not timed). For skip-gram with negative sampling the number of output-layer rows a centre word
touches is ``negative + 1`` (shared by its context words), for CBOW ``negative + 1`` against one
``h``, for hierarchical softmax the Huffman path. Runs vary ``negative`` (1, 2, 5, 10) and
``dim`` (50, 100, 200) and fit, by least squares,

    seconds = fixed + per_row_dim * rows * dim

``fixed`` is what does not scale with the output layer (reading ids, subsampling, the window and
random-number draws, the loop); the rest is dot products and updates. If the cost per
(row x dim) element stays flat as ``dim`` grows past the L1/L2 sizes, the kernel is
compute-bound, not waiting on memory. CBOW gets the same fit over its own negative grid (its
rows are touched once per centre word, not shared by context words); the hierarchical-softmax
runs are reported beside them. Prints a markdown table and writes ``bench/profile-<timestamp>.md`` / ``.json``.

    python scripts/profile_word2vec.py [--corpus PATH] [--megabytes 20] [--repeats 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import embedkit
from _benchutil import DEFAULT_CORPUS, ROOT, machine, write_text
from embedkit.config import Word2VecConfig
from embedkit.encode import prepare_corpus


def slice_of(corpus: Path, megabytes: int, directory: Path) -> Path:
    """The first ``megabytes`` MB of the corpus, cut at a line end, as a plain-text file."""
    target = directory / f"slice-{megabytes}mb.txt"
    opener = gzip.open if corpus.suffix == ".gz" else open
    with opener(corpus, "rt", encoding="utf-8") as src:
        text = src.read(megabytes * 1_000_000)
    target.write_text(text[: text.rfind("\n") + 1], encoding="utf-8")
    return target


def timed(prepared, repeats: int, **settings) -> list[float]:
    config = Word2VecConfig(epochs=1, threads=1, seed=1, **settings)
    embedkit.train(prepared, config, progress=False)  # compile / warm caches
    seconds = []
    for _ in range(repeats):
        _, report = embedkit.train(prepared, config, progress=False)
        seconds.append(report.seconds)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        prepared = prepare_corpus([slice_of(args.corpus, args.megabytes, Path(tmp))], use_cache=False)
        profile(prepared, args)


def fit(runs: list[dict], architecture: str) -> tuple[float, float]:
    """Least-squares (fixed seconds, seconds per (row x dim) element) over the NS runs of one
    architecture."""
    ns = [r for r in runs if r["architecture"] == architecture and r["loss"] == "ns"]
    design = np.array([[1.0, (r["negative"] + 1) * r["dim"]] for r in ns for _ in r["seconds"]])
    observed = np.array([s for r in ns for s in r["seconds"]])
    (fixed, per_element), *_ = np.linalg.lstsq(design, observed, rcond=None)
    return float(fixed), float(per_element)


def profile(prepared, args) -> None:
    """Time the grid of settings on ``prepared``, fit the cost model, print and write the result."""
    tokens = prepared.encoded.n_tokens
    runs = []
    grid = [("skipgram", "ns", n, d) for n in (1, 2, 5, 10) for d in (100,)]
    grid += [("skipgram", "ns", 5, d) for d in (50, 200)]
    grid += [("cbow", "ns", n, 100) for n in (1, 2, 5, 10)]
    grid += [("skipgram", "hs", 0, 100), ("cbow", "hs", 0, 100)]
    for architecture, loss, negative, dim in grid:
        settings = {"architecture": architecture, "loss": loss, "dim": dim}
        if loss == "ns":
            settings["negative"] = negative
        load = os.getloadavg()[0]
        seconds = timed(prepared, args.repeats, **settings)
        runs.append({**settings, "negative": negative, "load": load, "seconds": seconds})
        print(f"{architecture} {loss} negative={negative} dim={dim}: {seconds} s (load {load:.2f})", flush=True)
    host = machine()
    fits = {architecture: fit(runs, architecture) for architecture in ("skipgram", "cbow")}
    lines = [
        f"# word2vec kernel profile ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"{host['cpu']}, {host['cores']} cores; first {args.megabytes} MB of `{args.corpus.name}`: "
        f"{tokens:,} in-vocabulary tokens; "
        f"1 thread, 1 epoch, window 5, sample 1e-3; {args.repeats} timed runs each after a warm-up.",
        "",
        "| architecture | loss | negative | dim | seconds (each run) | ns per token | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        mean = float(np.mean(r["seconds"]))
        each = ", ".join(f"{s:.2f}" for s in r["seconds"])
        lines.append(
            f"| {r['architecture']} | {r['loss']} | {r['negative'] or ''} | {r['dim']} | {each} | "
            f"{1e9 * mean / tokens:.0f} | {r['load']:.2f} |"
        )
    lines.append("")
    for architecture, (fixed, per_element) in fits.items():
        base = next(r for r in runs if r["architecture"] == architecture and r["negative"] == 5 and r["dim"] == 100)
        share = fixed / float(np.mean(base["seconds"]))
        lines.append(
            f"{architecture} NS fit `seconds = fixed + c * (negative + 1) * dim`: fixed = {fixed:.2f} s "
            f"({1e9 * fixed / tokens:.0f} ns per token, {100 * share:.0f}% of the negative-5 dim-100 run), "
            f"c = {1e9 * per_element / tokens:.2f} ns per token per (row x dim) element."
        )
    text = "\n".join(lines) + "\n"
    print(text)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    args.out_dir.mkdir(exist_ok=True)
    write_text(args.out_dir / f"profile-{stamp}.md", text)
    result = {"tokens": tokens, "runs": runs, "fits": fits, "machine": host}
    write_text(args.out_dir / f"profile-{stamp}.json", json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
