"""Approximate neighbours (``embedkit index``) against the exact scan: recall@10 and latency.

For each vector set: build the pynndescent index through the library (``build_index`` +
``save_index``, timed), load it back (timed), then answer ``most_similar(word, topn=10)`` for
the same random words exactly and through the index, alternating query by query; report the
median latency of each, their ratio, and recall@10 (the share of the exact top 10 that the
index's top 10 holds). Sets:

* ``clustered``: ``--rows`` x ``--dim`` (default 1,000,000 x 300) rows with neighbour
  structure, as trained vectors have: 20,000 centres drawn N(0, I), each row a centre plus
  N(0, 0.7^2 I) noise (about 50 rows a centre: the 10 nearest are in the row's own cluster);
* ``overlapping``: the same size, 100,000 centres and noise N(0, I) (about 10 rows a centre:
  the 10 nearest reach into other clusters, where there is no structure to follow);
* ``random``: 100,000 x ``--dim`` isotropic Gaussian rows, the worst case (no neighbour
  structure: the exact neighbours are barely nearer than any other row);
* ``real``: the vectors file given with ``--real`` (e.g. SGNS on the shared corpus).

    python scripts/bench_ann.py [--rows 1000000] [--dim 300] [--queries 200] [--real vectors.bin]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from _benchutil import ROOT, machine, versions, write_text
from embedkit.ann import build_index, index_path, load_index, save_index
from embedkit.vectors import Embeddings

#: (centres, noise scale) of the synthetic sets; None: isotropic Gaussian rows.
STRUCTURE = {"clustered": (20_000, 0.7), "overlapping": (100_000, 1.0), "random": None}
RANDOM_ROWS = 100_000


def synthetic(path: Path, rows: int, dim: int, structure: tuple[int, float] | None, seed: int = 0) -> None:
    """Write ``rows`` x ``dim`` float32 rows (see the module) with words ``w0``, ``w1``, ..."""
    rng = np.random.default_rng(seed)
    if structure:
        count, noise = structure
        centres = rng.standard_normal((count, dim), dtype=np.float32)
        vectors = centres[rng.integers(0, count, rows)]
        vectors += noise * rng.standard_normal((rows, dim), dtype=np.float32)
    else:
        vectors = rng.standard_normal((rows, dim), dtype=np.float32)
    Embeddings([f"w{i}" for i in range(rows)], vectors).save(path, "word2vec-binary")


def measure(name: str, path: Path, queries: int, seed: int = 1) -> dict:
    embeddings = Embeddings.load(path)
    started = time.perf_counter()
    built = build_index(embeddings.unit, path)
    save_index(built, index_path(path))
    build_seconds = time.perf_counter() - started
    started = time.perf_counter()
    loaded = load_index(index_path(path), path, len(embeddings), embeddings.dim)
    load_seconds = time.perf_counter() - started
    words = [embeddings.words[i] for i in np.random.default_rng(seed).choice(len(embeddings), queries, replace=False)]
    embeddings.most_similar([words[0]])  # normalise the matrix before the clock
    exact_times, ann_times, recall = [], [], []
    for word in words:
        embeddings.neighbour_index = None
        started = time.perf_counter()
        exact = embeddings.most_similar([word], topn=10)
        exact_times.append(time.perf_counter() - started)
        embeddings.neighbour_index = loaded
        started = time.perf_counter()
        approximate = embeddings.most_similar([word], topn=10)
        ann_times.append(time.perf_counter() - started)
        recall.append(len({w for w, _ in exact} & {w for w, _ in approximate}) / len(exact))
    exact_ms, ann_ms = statistics.median(exact_times) * 1e3, statistics.median(ann_times) * 1e3
    return {
        "set": name,
        "rows": len(embeddings),
        "dim": embeddings.dim,
        "build_s": build_seconds,
        "index_mib": index_path(path).stat().st_size / 2**20,
        "load_s": load_seconds,
        "exact_ms": exact_ms,
        "ann_ms": ann_ms,
        "speedup": exact_ms / ann_ms,
        "recall_at_10": float(np.mean(recall)),
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", default=None, help="A trained vectors file to measure too.")
    parser.add_argument("--out-dir", default=str(ROOT / "bench"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-ann-") as work:
        for name, structure in STRUCTURE.items():
            path = Path(work) / f"{name}.bin"
            synthetic(path, args.rows if structure else RANDOM_ROWS, args.dim, structure)
            results.append(measure(name, path, args.queries))
            os.remove(path)
            os.remove(index_path(path))
            print(json.dumps(results[-1]), flush=True)
        if args.real:
            real = Path(work) / "real.bin"
            Embeddings.load(args.real).save(real, "word2vec-binary")
            results.append({**measure("real", real, args.queries), "source": args.real})
            print(json.dumps(results[-1]), flush=True)
    lines = [
        f"# Approximate neighbours: pynndescent index vs exact scan ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"Machine: {json.dumps(machine())}; versions: {json.dumps(versions())}.",
        f"most_similar(word, topn=10) for {args.queries} random words per set, exact and indexed alternating; "
        "medians. Index: metric dot on unit vectors, n_neighbors 30, search epsilon 0.2, all cores.",
        "",
        "| set | rows x dim | build s | index MiB | load s | exact ms | index ms | speed-up | recall@10 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['set']} | {r['rows']:,} x {r['dim']} | {r['build_s']:.1f} | {r['index_mib']:.0f} | "
            f"{r['load_s']:.2f} | {r['exact_ms']:.2f} | {r['ann_ms']:.3f} | {r['speedup']:.0f}x | "
            f"{r['recall_at_10']:.3f} |"
        )
    out = Path(args.out_dir) / f"ann-{time.strftime('%Y%m%d-%H%M%S')}"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out.with_suffix(".md"), "\n".join(lines) + "\n")
    write_text(out.with_suffix(".json"), json.dumps(results, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
