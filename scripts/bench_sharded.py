"""The corpus pass (count + encode) in one process against ``--cluster local:N``, same files out.

The shared corpus is decompressed and concatenated ``--copies`` times (default 4, about 67M
tokens, 400 MB of plain text) into one file, so the cluster pass cuts it into byte ranges. Each
run is its own process with an empty cache directory, started once the machine is idle
(``_benchutil.measured_run``), serial and cluster alternating, ``--runs`` times each (default 2).
Reported per run: the pass's seconds (``prepare_corpus``: read, count, encode, write the cache
entry), then GloVe's co-occurrence counting (window 10, 1/d, the default ``--memory`` 4 GiB,
which on a cluster is each worker's budget), for the cluster also the seconds to start the ``LocalCluster`` and
connect, the peak RSS of the client process, and the SHA-256 of the entry's ``vocab.txt``,
``ids.npy``, ``sentence_starts.npy`` and of the matrix's ``rows``/``cols``/``values``, which
must be equal for all runs.

    python scripts/bench_sharded.py [--corpus PATH] [--copies 4] [--workers 2] [--runs 2] [--out bench]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _benchutil import (
    DEFAULT_CORPUS,
    LoadPolicy,
    checked_paths,
    peak_rss_mb,
    plain_text,
    worker_row,
    write_results,
)

ENTRY_FILES = ("vocab.txt", "ids.npy", "sentence_starts.npy")
COOCCUR_FILES = ("rows.npy", "cols.npy", "values.npy")
#: GloVe's co-occurrences (window 10, symmetric, 1/d); the default ``--memory``, which is each
#: worker's budget on a cluster (so N workers may use N times as much in all).
COOCCUR_MEMORY_GIB = 4.0


def digest(directory: Path, names: tuple[str, ...]) -> dict:
    out = {}
    for name in names:
        h = hashlib.sha256()
        with open(directory / name, "rb") as fh:
            while block := fh.read(1 << 24):
                h.update(block)
        out[name] = h.hexdigest()[:16]
    return out


def run_worker(mode: str, corpus: str, cache: str, workers: int) -> dict:
    from embedkit.cluster import ClusterSpec, open_cluster
    from embedkit.cooccur import CooccurrenceOptions, cooccurrences_for
    from embedkit.encode import prepare_corpus

    result: dict = {}
    with contextlib.ExitStack() as stack:
        client = None
        if mode == "cluster":
            started = time.perf_counter()
            client = stack.enter_context(open_cluster(ClusterSpec(workers=workers)))
            result["start_s"] = time.perf_counter() - started
        started = time.perf_counter()
        prepared = prepare_corpus([corpus], cache_dir=cache, cluster=client)
        result["pass_s"] = time.perf_counter() - started
        started = time.perf_counter()
        options = CooccurrenceOptions(window=10)
        matrix = cooccurrences_for(prepared, options, COOCCUR_MEMORY_GIB, progress=False, cluster=client)
        result["cooccur_s"] = time.perf_counter() - started
    entry = next(prepared.directory.glob("cooccur-*"))
    result.update(
        tokens=prepared.encoded.n_tokens,
        vocab=len(prepared.vocab),
        cells=matrix.stored,
        digest={**digest(prepared.directory, ENTRY_FILES), **digest(entry, COOCCUR_FILES)},
        peak_rss_mb=peak_rss_mb(),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", default="bench")
    parser.add_argument("--worker", choices=["serial", "cluster"], help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.corpus, args.cache, args.workers)))
        return
    corpus, results = checked_paths(args.corpus, args.out)
    policy = LoadPolicy()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        once = plain_text(corpus, Path(work))
        text = Path(work) / f"corpus-x{args.copies}.txt"
        with open(text, "wb") as out:
            for _ in range(args.copies):
                with open(once, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 24)
        once.unlink()
        for run in range(1, args.runs + 1):
            for mode in ("serial", "cluster"):
                cache = Path(work) / f"cache-{mode}-{run}"
                cmd = [sys.executable, __file__, "--worker", mode, "--corpus", str(text), "--cache", str(cache)]
                cmd += ["--workers", str(args.workers)]
                rows.append(worker_row(cmd, f"{mode} run {run}", policy, mode=mode, run=run))
                shutil.rmtree(cache)
    settings = {
        "copies": args.copies,
        "workers": args.workers,
        "threads_per_worker": 1,
        "corpus": corpus.name,
        "cooccurrences": f"window 10, symmetric, 1/d; --memory {COOCCUR_MEMORY_GIB:g} GiB per process",
    }
    write_results(results, "sharded", settings, rows, table)


def table(payload: dict) -> str:
    rows = payload["rows"]
    lines = [
        "# Corpus pass: one process vs --cluster local:N (scripts/bench_sharded.py)",
        "",
        "Settings: " + ", ".join(f"{k} {v}" for k, v in payload["settings"].items()),
        f"Machine: {payload['machine']}; versions: {payload['versions']}",
        "",
        "| mode | run | corpus pass s | co-occurrences s | cluster start s | tokens | vocab | cells | "
        "peak RSS MiB (client) | SHA-256 (vocab ids starts rows cols values) | flags |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        sha = " ".join(r["digest"][name][:8] for name in ENTRY_FILES + COOCCUR_FILES)
        start = f"{r['start_s']:.1f}" if "start_s" in r else "-"
        lines.append(
            f"| {r['mode']} | {r['run']} | {r['pass_s']:.1f} | {r['cooccur_s']:.1f} | {start} | {r['tokens']:,} | "
            f"{r['vocab']:,} | {r['cells']:,} | {r['peak_rss_mb']:.0f} | {sha} | {'; '.join(r['flags']) or '-'} |"
        )
    same = len({json.dumps(r["digest"], sort_keys=True) for r in rows}) == 1
    lines.append("")
    for stage, label in (("pass_s", "corpus pass"), ("cooccur_s", "co-occurrences")):
        serial = [r[stage] for r in rows if r["mode"] == "serial"]
        spread = [r[stage] for r in rows if r["mode"] == "cluster"]
        lines.append(f"speed-up of the {label}, serial / cluster, run by run: " + ratios(serial, spread))
    serial = [r["pass_s"] for r in rows if r["mode"] == "serial"]
    with_start = [r["pass_s"] + r["start_s"] for r in rows if r["mode"] == "cluster"]
    lines += [
        "corpus pass with the cluster's start counted: " + ratios(serial, with_start),
        f"identical files (vocabulary, ids, sentence starts, co-occurrence cells) in every run: {same}",
    ]
    return "\n".join(lines) + "\n"


def ratios(serial: list[float], spread: list[float]) -> str:
    return ", ".join(f"{a / b:.2f}x" for a, b in zip(serial, spread))


if __name__ == "__main__":
    main()
