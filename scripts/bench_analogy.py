"""Google-analogy evaluation speed: embedkit's ``evaluate_analogy`` against gensim 4.4's
``KeyedVectors.evaluate_word_analogies`` on the same vectors file.

Loads the file once in each library (untimed, as are the imports), then times both evaluations
(3CosAdd, the ``--restrict-vocab`` most frequent words, case-insensitive, gensim's way) in
alternating runs in one process, ``--repeats`` each; the median of each is reported. Each run
starts from vectors without cached norms (embedkit: a fresh ``Embeddings`` over the loaded
arrays; gensim: ``norms`` reset), so normalising the matrix is inside the timing for both. The
1-minute load average is recorded before every run. Both use the same BLAS with its thread
count as the environment sets it (``OPENBLAS_NUM_THREADS``); the count is recorded. The
accuracies and per-section counts must be equal; the script exits with status 1 if they are not.

    python scripts/bench_analogy.py VECTORS [--dataset FILE] [--restrict-vocab 30000] [--repeats 3]

Writes ``bench/analogy-<timestamp>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from _benchutil import ROOT, machine, versions, write_text


def embedkit_run(loaded, path: Path, restrict: int) -> tuple[float, dict]:
    """Seconds of one embedkit evaluation and its counts."""
    from embedkit.evaluate import evaluate_analogy
    from embedkit.vectors import Embeddings

    fresh = Embeddings(loaded.words, loaded.vectors)  # no cached norms or unit rows
    started = time.perf_counter()
    result = evaluate_analogy(fresh, path, restrict_vocab=restrict)
    seconds = time.perf_counter() - started
    return seconds, {"accuracy": result.accuracy, "correct": result.correct, "sections": result.sections}


def gensim_run(kv, path: Path, restrict: int) -> tuple[float, dict]:
    """Seconds of one gensim evaluation and its counts."""
    kv.norms = None  # fill_norms runs inside the timing
    started = time.perf_counter()
    score, sections = kv.evaluate_word_analogies(str(path), restrict_vocab=restrict)
    seconds = time.perf_counter() - started
    counts = [(s["section"], len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]]
    return seconds, {"accuracy": score, "correct": len(sections[-1]["correct"]), "sections": counts}


def blas_threads() -> int | None:
    """BLAS threads in effect (threadpoolctl's count; None without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return max(counts) if counts else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vectors", help="word2vec binary/text vectors file, most frequent word first")
    parser.add_argument("--dataset", default=None, help="analogy file (default: the shipped Google set)")
    parser.add_argument("--restrict-vocab", type=int, default=30_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out-dir", default=str(ROOT / "bench"))
    args = parser.parse_args()
    if not Path(args.vectors).is_file():
        sys.exit(f"error: vectors file not found: {args.vectors}")

    import logging

    from gensim.models import KeyedVectors

    from embedkit.datasets import dataset_path
    from embedkit.vectors import Embeddings

    logging.getLogger("gensim").setLevel(logging.WARNING)
    path = Path(args.dataset) if args.dataset else dataset_path("google-analogy")[1]
    binary = Path(args.vectors).suffix not in (".txt", ".vec")
    threads = blas_threads()
    loaded = Embeddings.load(args.vectors)
    kv = KeyedVectors.load_word2vec_format(args.vectors, binary=binary)
    tools = {
        "embedkit": lambda: embedkit_run(loaded, path, args.restrict_vocab),
        "gensim": lambda: gensim_run(kv, path, args.restrict_vocab),
    }
    runs: list[dict] = []
    counts: dict[str, dict] = {}
    for repeat in range(args.repeats):
        order = list(tools) if repeat % 2 == 0 else list(tools)[::-1]
        for tool in order:
            load = os.getloadavg()[0]
            seconds, counts[tool] = tools[tool]()
            runs.append({"tool": tool, "seconds": seconds, "load_before": round(load, 2)})
            print(f"{tool}: {seconds:.3f} s (load before {load:.2f})", flush=True)
    medians = {tool: statistics.median(r["seconds"] for r in runs if r["tool"] == tool) for tool in tools}
    ratio = medians["gensim"] / medians["embedkit"]
    equal = counts["embedkit"] == counts["gensim"]
    payload = {
        "vectors": str(Path(args.vectors).resolve()),
        "words": len(loaded),
        "dim": loaded.dim,
        "dataset": str(path),
        "restrict_vocab": args.restrict_vocab,
        "blas_threads": threads,
        "questions": sum(n for _, _, n in counts["embedkit"]["sections"]),
        "results": counts,
        "equal": equal,
        "runs": runs,
        "median_s": medians,
        "ratio": ratio,
        "machine": machine(),
        "versions": versions(),
    }
    lines = [
        f"# Analogy evaluation benchmark ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"`{payload['vectors']}`: {payload['words']:,} words x {payload['dim']} dims; `{path.name}`, 3CosAdd over the "
        f"{args.restrict_vocab:,} most frequent words, {payload['questions']:,} questions asked; BLAS threads "
        f"{threads}. {args.repeats} alternating runs per tool in one process, imports and loading untimed.",
        "",
        "| tool | accuracy | correct | median s | runs (s, load before) |",
        "|---|---|---|---|---|",
    ]
    for tool in tools:
        done = ", ".join(f"{r['seconds']:.3f} ({r['load_before']:.2f})" for r in runs if r["tool"] == tool)
        lines.append(
            f"| {tool} | {counts[tool]['accuracy']:.6f} | {counts[tool]['correct']} | {medians[tool]:.3f} | {done} |"
        )
    lines += [
        "",
        f"gensim / embedkit: {ratio:.1f}x. Accuracy and per-section counts "
        + ("equal." if equal else "DIFFER (see the JSON)."),
        "",
        f"Machine: {payload['machine']['cpu']}, {payload['machine']['cores']} cores, "
        f"{payload['machine']['ram_gib']} GiB, {payload['machine']['os']}; "
        + ", ".join(f"{k} {v}" for k, v in payload["versions"].items()),
    ]
    table = "\n".join(lines) + "\n"
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"analogy-{time.strftime('%Y%m%d-%H%M%S')}"
    write_text(stem.with_suffix(".md"), table)
    write_text(stem.with_suffix(".json"), json.dumps(payload, indent=2) + "\n")
    print(table)
    if not equal:
        sys.exit("error: embedkit's and gensim's analogy results differ")


if __name__ == "__main__":
    main()
