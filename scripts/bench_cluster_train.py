"""SGNS or GloVe in one process (2 threads) against data-parallel training on ``--cluster local:N``.

``--model sgns``: word2vec.c's settings (skip-gram, negative 5, window 5, dim 100, sample 1e-3,
min_count 5, 5 epochs, seed 1); ``--model glove``: Stanford's demo settings (dim 100, window 10,
x_max 10, 15 iterations, eta 0.05), on the shared corpus. The corpus pass (and GloVe's co-
occurrence counting) is done once, untimed, into a cache every run reads. Each run is its own
process, started once the machine is idle (``_benchutil.measured_run``); modes alternate:
``serial`` (one process, ``--threads`` threads), ``cluster:N`` (``--cluster local:N``, one
thread per worker, ``--sync-words`` per round) for each N of ``--workers``. Reported per run:
training seconds (the trainer's clock: the replicas' start and every round included, the
cluster's own start not), words/s (cells/s for GloVe), WS-353, SimLex-999 and Google analogy
(top 30k), and for the cluster the rounds and MiB synchronised per epoch.

    python scripts/bench_cluster_train.py [--model sgns|glove] [--corpus PATH] [--workers 2 4] [--runs 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path

from _benchutil import DEFAULT_CORPUS, LoadPolicy, checked_paths, evaluate, peak_rss_mb, worker_row, write_results

SETTINGS = {
    "sgns": {"dim": 100, "window": 5, "negative": 5, "sample": 1e-3, "epochs": 5, "seed": 1},
    "glove": {"dim": 100, "window": 10, "x_max": 10.0, "epochs": 15, "eta": 0.05, "seed": 1},
}
#: The rounds of an epoch's log line; GloVe's strata combine nothing (no "combining" part).
_ROUNDS = re.compile(r"(\d+) round\(s\) on \d+ workers, ([\d,.]+) MiB synchronised(?:, combining ([\d.]+) s)?")


def run_worker(
    model: str, mode: str, corpus: str, cache: str, threads: int, sync_words: int, out: str, seed: int | None
) -> dict:
    from embedkit import training
    from embedkit.cluster import ClusterSpec, open_cluster
    from embedkit.config import GloveConfig, Word2VecConfig
    from embedkit.encode import prepare_corpus

    lines: list[str] = []
    result: dict = {}
    with contextlib.ExitStack() as stack:
        client = None
        if mode.startswith("cluster"):
            started = time.perf_counter()
            client = stack.enter_context(open_cluster(ClusterSpec(workers=int(mode.split(":")[1]))))
            result["start_s"] = time.perf_counter() - started
        prepared = prepare_corpus([corpus], cache_dir=cache)
        settings = {**SETTINGS[model], **({} if seed is None else {"seed": seed})}
        config = {"sgns": Word2VecConfig, "glove": GloveConfig}[model](**settings, threads=threads)
        options = {} if client is None else {"cluster": client, "sync_words": sync_words}
        embeddings, report = training.train(prepared, config, progress=False, log=lines.append, **options)
    embeddings.save(out)
    rounds = [_ROUNDS.search(line) for line in lines]
    result.update(
        train_s=report.seconds,
        units_per_s=report.words_per_second if model == "sgns" else report.nnz * report.epochs / report.seconds,
        final_loss=report.epoch_losses[-1],
        rounds_per_epoch=[int(m.group(1)) for m in rounds if m],
        mib_per_epoch=[float(m.group(2).replace(",", "")) for m in rounds if m],
        combine_s=sum(float(m.group(3) or 0) for m in rounds if m),
        peak_rss_mb=peak_rss_mb(),
        scores=evaluate(out),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", choices=sorted(SETTINGS), default="sgns")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--workers", type=int, nargs="*", default=[2, 4], help="none: one-process runs only")
    parser.add_argument("--seed", type=int, help="another seed than the settings' 1 (the spread between seeds)")
    parser.add_argument("--threads", type=int, default=2, help="threads of the one-process run")
    parser.add_argument("--sync-words", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", default="bench")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--vectors", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        threads = args.threads if args.worker == "serial" else 1
        work = (args.model, args.worker, args.corpus, args.cache, threads, args.sync_words, args.vectors, args.seed)
        print(json.dumps(run_worker(*work)))
        return
    corpus, results = checked_paths(args.corpus, args.out)
    policy = LoadPolicy()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        from embedkit.encode import prepare_corpus

        cache = Path(work) / "cache"
        prepared = prepare_corpus([str(corpus)], cache_dir=cache)  # the corpus pass, once, untimed
        if args.model == "glove":  # and the co-occurrences
            from embedkit.config import GloveConfig
            from embedkit.cooccur import CooccurrenceOptions, cooccurrences_for

            options = CooccurrenceOptions.of(GloveConfig(**SETTINGS["glove"]))
            cooccurrences_for(prepared, options, progress=False)
        for run in range(1, args.runs + 1):
            for mode in ["serial", *(f"cluster:{n}" for n in args.workers)]:
                cmd = [sys.executable, __file__, "--worker", mode, "--corpus", str(corpus), "--cache", str(cache)]
                cmd += ["--model", args.model]
                cmd += ["--threads", str(args.threads), "--sync-words", str(args.sync_words)]
                cmd += [] if args.seed is None else ["--seed", str(args.seed)]
                cmd += ["--vectors", str(Path(work) / f"{mode.replace(':', '')}-{run}.bin")]
                rows.append(worker_row(cmd, f"{mode} run {run}", policy, mode=mode, run=run))
    settings = {
        "model": args.model,
        **SETTINGS[args.model],
        **({} if args.seed is None else {"seed": args.seed}),
        "serial threads": args.threads,
        "threads per worker": 1,
        "sync_words": args.sync_words,
        "corpus": corpus.name,
    }
    write_results(results, f"cluster-{args.model}", settings, rows, table)


def table(payload: dict) -> str:
    rows = payload["rows"]
    lines = [
        f"# {payload['settings']['model']}: one process vs data-parallel --cluster local:N "
        "(scripts/bench_cluster_train.py)",
        "",
        "Settings: " + ", ".join(f"{k} {v}" for k, v in payload["settings"].items()),
        f"Machine: {payload['machine']}; versions: {payload['versions']}",
        "",
        "| mode | run | train s | words or cells/s | WS-353 | SimLex-999 | analogy | final loss | rounds/epoch | "
        "MiB synced/epoch | combine s | cluster start s | flags |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        s = r["scores"]
        rounds = "/".join(map(str, r["rounds_per_epoch"])) or "-"
        mib = f"{sum(r['mib_per_epoch']) / len(r['mib_per_epoch']):.0f}" if r["mib_per_epoch"] else "-"
        start = f"{r['start_s']:.1f}" if "start_s" in r else "-"
        lines.append(
            f"| {r['mode']} | {r['run']} | {r['train_s']:.1f} | {r['units_per_s'] / 1e3:.0f}k | "
            f"{s['wordsim353']:.4f} | {s['simlex999']:.4f} | {s['google_analogy']:.4f} | {r['final_loss']:.4f} | "
            f"{rounds} | {mib} | {r['combine_s']:.2f} | {start} | {'; '.join(r['flags']) or '-'} |"
        )
    serial = [r for r in rows if r["mode"] == "serial"]
    lines.append("")
    for mode in sorted({r["mode"] for r in rows} - {"serial"}):
        spread = [r for r in rows if r["mode"] == mode]
        pairs = list(zip(serial, spread))
        lines.append(
            f"{mode} vs serial, run by run: throughput "
            + ", ".join(f"{b['units_per_s'] / a['units_per_s']:.2f}x" for a, b in pairs)
            + "; WS-353 "
            + ", ".join(f"{b['scores']['wordsim353'] - a['scores']['wordsim353']:+.4f}" for a, b in pairs)
            + "; analogy points "
            + ", ".join(
                f"{100 * (b['scores']['google_analogy'] - a['scores']['google_analogy']):+.2f}" for a, b in pairs
            )
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
