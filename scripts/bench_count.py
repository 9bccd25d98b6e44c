"""Side-by-side benchmark of the count models: embedkit GloVe against Stanford GloVe's pipeline,
and embedkit's PPMI-SVD and LSA, on the same corpus and machine.

GloVe runs at Stanford GloVe's demo settings (dim 100, window 10, min_count 5, 15 iterations,
eta 0.05, weighting exponent 0.75, memory 4 GB) with each ``--x-max`` (default 10, then 100).
Stanford's pipeline (vocab_count, cooccur, shuffle, glove) needs its binaries: pass
``--stanford-glove DIR`` (a built checkout of https://github.com/stanfordnlp/GloVe: the four
programs in DIR or DIR/build); without it only embedkit runs. Runs alternate (embedkit,
Stanford, embedkit, ...), each in fresh processes, embedkit from the text with an empty cache.
The Stanford side is run at the first ``--x-max`` only.

PPMI-SVD runs with window 5, unweighted counts, cds 0.75, eig 0.5, dim 100; LSA with line
documents and with 1000-token documents, English stopwords, sublinear tf, smooth idf, dim 100.

Reported per run: wall time per stage and end to end, peak RSS (per process: VmHWM for
embedkit, GNU time's maximum for each Stanford program), the nonzero co-occurrence count, and
WS-353 / SimLex-999 / Google analogy (30k) by embedkit's evaluator (equal to gensim's).

    python scripts/bench_count.py [--models glove,ppmi,lsa] [--stanford-glove DIR]
                                  [--x-max 10,100] [--threads 2] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _benchutil import DEFAULT_CORPUS, ROOT, checked_paths, evaluate, peak_rss_mb, plain_text

GLOVE = {
    "dim": 100,
    "window": 10,
    "min_count": 5,
    "iterations": 15,
    "eta": 0.05,
    "weight_exponent": 0.75,
    "memory_gb": 4.0,
}
STANFORD_PROGRAMS = ("vocab_count", "cooccur", "shuffle", "glove")
COUNT_MODELS = {
    "ppmi": {"dim": 100, "window": 5, "distance_weighting": False, "cds": 0.75, "eig": 0.5},
    "lsa-lines": {"dim": 100, "doc_window": 0, "stopwords": "english", "eig": 1.0},
    "lsa-1000": {"dim": 100, "doc_window": 1000, "stopwords": "english", "eig": 1.0},
}


def prepared_corpus(corpus: str, cache: str):
    from embedkit.encode import prepare_corpus
    from embedkit.vocab import VocabOptions

    return prepare_corpus([corpus], vocab_options=VocabOptions(min_count=GLOVE["min_count"]), cache_dir=cache)


def run_embedkit_glove(corpus: str, out: str, x_max: float, threads: int, seed: int) -> dict:
    from embedkit.config import GloveConfig

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        prepared = prepared_corpus(corpus, cache)
        prepared_s = time.perf_counter() - started
        from embedkit.models.glove import train_glove

        config = GloveConfig(
            dim=GLOVE["dim"],
            window=GLOVE["window"],
            x_max=x_max,
            epochs=GLOVE["iterations"],
            alpha=GLOVE["eta"],
            weight_exponent=GLOVE["weight_exponent"],
            threads=threads,
            seed=seed,
            memory=GLOVE["memory_gb"],
        )
        embeddings, report = train_glove(prepared, config, progress=False)
        written = time.perf_counter()
        embeddings.save(out)
        stages = {
            "vocab+encode": prepared_s,
            "cooccur": report.count_seconds,
            "shuffle+train": written - started - prepared_s - report.count_seconds,
            "write": time.perf_counter() - written,
        }
    return {"wall_s": time.perf_counter() - started, "stages": stages, "nnz": report.nnz, "peak_rss_mb": peak_rss_mb()}


def run_embedkit_count(model: str, corpus: str, out: str, seed: int) -> dict:
    from embedkit.config import LSAConfig, PPMIConfig

    settings = COUNT_MODELS[model]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        prepared = prepared_corpus(corpus, cache)
        prepared_s = time.perf_counter() - started
        from embedkit.models.count import train_lsa, train_ppmi

        if model == "ppmi":
            embeddings, report = train_ppmi(prepared, PPMIConfig(seed=seed, **settings), progress=False)
        else:
            embeddings, report = train_lsa(prepared, LSAConfig(seed=seed, **settings))
        written = time.perf_counter()
        embeddings.save(out)
    stages = {
        "vocab+encode": prepared_s,
        **{name: s for name, (s, _) in report.stages.items()},
        "write": time.perf_counter() - written,
    }
    return {"wall_s": time.perf_counter() - started, "stages": stages, "nnz": report.nnz, "peak_rss_mb": peak_rss_mb()}


def stanford_binary(directory: Path, program: str) -> Path:
    for candidate in (directory / program, directory / "build" / program):
        if candidate.is_file():
            return candidate
    sys.exit(f"error: {program} not found in {directory} or {directory}/build (build Stanford GloVe first)")


def run_stanford(directory: Path, corpus: str, out: str, x_max: float, threads: int, seed: int) -> dict:
    """The four programs of Stanford's demo.sh, each timed by GNU time (wall s, max RSS kB)."""
    memory = str(GLOVE["memory_gb"])
    stages, peaks = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus_in, counts, shuffled = Path(corpus), work / "cooccurrence.bin", work / "cooccurrence.shuf.bin"
        steps = [  # program, flags, stdin, stdout
            ("vocab_count", ["-min-count", str(GLOVE["min_count"]), "-verbose", "0"], corpus_in, work / "vocab.txt"),
            (
                "cooccur",
                ["-memory", memory, "-vocab-file", "vocab.txt", "-verbose", "0", "-window-size", str(GLOVE["window"])],
                corpus_in,
                counts,
            ),
            ("shuffle", ["-memory", memory, "-verbose", "0", "-seed", str(seed)], counts, shuffled),
            (
                "glove",
                [
                    "-save-file",
                    "vectors",
                    "-threads",
                    str(threads),
                    "-input-file",
                    shuffled.name,
                    "-x-max",
                    str(x_max),
                    "-iter",
                    str(GLOVE["iterations"]),
                    "-vector-size",
                    str(GLOVE["dim"]),
                    "-eta",
                    str(GLOVE["eta"]),
                    "-alpha",
                    str(GLOVE["weight_exponent"]),
                    "-binary",
                    "0",
                    "-vocab-file",
                    "vocab.txt",
                    "-verbose",
                    "0",
                ],
                Path(os.devnull),
                Path(os.devnull),
            ),
        ]
        started = time.perf_counter()
        for program, flags, stdin, stdout in steps:
            cmd = ["/usr/bin/time", "-f", "%e %M", str(stanford_binary(directory, program)), *flags]
            with open(stdin, "rb") as fin, open(stdout, "wb") as fout:
                done = subprocess.run(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE, cwd=work, text=True)
            if done.returncode:
                sys.exit(f"Stanford {program} failed:\n{done.stderr}")
            wall, max_kb = done.stderr.strip().splitlines()[-1].split()
            stages[program] = float(wall)
            peaks.append(int(max_kb) / 1024)
        wall = time.perf_counter() - started
        nnz = counts.stat().st_size // 16  # CREC: two int32 and a double
        os.replace(work / "vectors.txt", out)
    return {"wall_s": wall, "stages": stages, "nnz": nnz, "peak_rss_mb": max(peaks)}


def worker(args: argparse.Namespace) -> None:
    if args.worker == "glove":
        result = run_embedkit_glove(args.corpus, args.out, args.x_max, args.threads, args.seed)
    else:
        result = run_embedkit_count(args.worker, args.corpus, args.out, args.seed)
    print(json.dumps(result))


def warm_up(work: Path) -> None:
    """Compile and cache the numba kernels once, as C programs are compiled before timing."""
    tiny = work / "warmup.txt"
    tiny.write_text(("the quick brown fox jumps over the lazy dog " * 20 + "\n") * 50)
    subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            "glove",
            "--corpus",
            str(tiny),
            "--out",
            str(work / "warmup.bin"),
            "--x-max",
            "10",
        ],
        check=True,
        capture_output=True,
    )


def markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        f"# Count-model benchmark ({meta['date']})",
        "",
        f"Corpus `{meta['corpus']}`; machine: {meta['machine']}; threads {meta['threads']}.",
        f"GloVe settings {meta['glove']}; PPMI/LSA settings {meta['count_models']}.",
        "Stages in seconds; peak RSS is the largest of the run's processes.",
        "",
        "| model | tool | run | x_max | stages (s) | wall s | peak RSS MB | nonzeros "
        "| WS-353 | SimLex-999 | analogy | queen rank |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
        lines.append(
            f"| {r['model']} | {r['tool']} | {r['run']} | {r.get('x_max', '')} | {stages} | {r['wall_s']:.1f} | "
            f"{r['peak_rss_mb']:.0f} | {r['nnz']:,} | {r['wordsim353']:.3f} | {r['simlex999']:.3f} | "
            f"{r['google_analogy']:.3f} | {r['queen_rank']} |"
        )
    peers = [r for r in rows if r["tool"] == "stanford"]
    if peers:
        x_max = peers[0]["x_max"]
        ours = [r for r in rows if r["tool"] == "embedkit" and r["model"] == "glove" and r["x_max"] == x_max]

        def mean(runs, key):
            return statistics.mean(r[key] for r in runs)

        lines += [
            "",
            f"GloVe at x_max {x_max}, means over runs, Stanford / embedkit: end-to-end wall time "
            f"{mean(peers, 'wall_s') / mean(ours, 'wall_s'):.2f}x; embedkit / Stanford: peak RSS "
            f"{mean(ours, 'peak_rss_mb') / mean(peers, 'peak_rss_mb'):.2f}, WS-353 "
            f"{mean(ours, 'wordsim353') / mean(peers, 'wordsim353'):.2f}, SimLex-999 "
            f"{mean(ours, 'simlex999') / mean(peers, 'simlex999'):.2f}, analogy "
            f"{mean(ours, 'google_analogy') / mean(peers, 'google_analogy'):.2f}.",
        ]
    return "\n".join(lines) + "\n"


def run_worker(cmd: list[str], label: str) -> dict:
    print(f"{label} ...", flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{label} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="glove,ppmi,lsa", help="comma-separated: glove, ppmi, lsa")
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--stanford-glove", help="directory with Stanford GloVe's built programs")
    parser.add_argument("--x-max", default="10,100", help="GloVe x_max values (Stanford runs at the first)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out-dir", default=str(ROOT / "bench"))
    parser.add_argument("--worker", choices=["glove", *COUNT_MODELS], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.x_max = float(args.x_max) if args.worker == "glove" else None
        return worker(args)

    models = args.models.split(",")
    if set(models) - {"glove", "ppmi", "lsa"}:
        sys.exit("error: --models takes glove, ppmi, lsa")
    corpus, out_dir = checked_paths(args.corpus, args.out_dir)
    stanford = Path(args.stanford_glove) if args.stanford_glove else None
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        text = plain_text(corpus, work)
        warm_up(work)
        base = [
            sys.executable,
            __file__,
            "--corpus",
            str(text),
            "--threads",
            str(args.threads),
            "--seed",
            str(args.seed),
        ]
        jobs = []
        if "glove" in models:
            for position, x_max in enumerate(float(x) for x in args.x_max.split(",")):
                for run in range(1, args.repeats + 1 if position == 0 else 2):
                    jobs.append(("glove", "embedkit", run, x_max))
                    if stanford and position == 0:
                        jobs.append(("glove", "stanford", run, x_max))
        for model in ("ppmi", "lsa-lines", "lsa-1000"):
            if model.split("-")[0] in models:
                jobs.append((model, "embedkit", 1, None))
        for model, tool, run, x_max in jobs:
            vectors = work / f"{model}-{tool}-{run}-{x_max}.txt"
            label = f"{model} {tool} run {run}" + (f" x_max {x_max:g}" if x_max else "")
            if tool == "stanford":
                print(f"{label} ...", flush=True)
                result = run_stanford(stanford, str(text), str(vectors), x_max, args.threads, args.seed)
            else:
                extra = ["--x-max", str(x_max)] if x_max else []
                result = run_worker([*base, "--worker", model, "--out", str(vectors), *extra], label)
            row = {
                "model": model,
                "tool": tool,
                "run": run,
                **({"x_max": x_max} if x_max else {}),
                **result,
                **evaluate(str(vectors)),
            }
            rows.append(row)
            print(f"  {json.dumps(row)}", flush=True)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "corpus": str(corpus),
        "glove": GLOVE,
        "count_models": COUNT_MODELS,
        "threads": args.threads,
        "machine": f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores",
    }
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out_dir / f"count-{stamp}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    table = markdown(rows, meta)
    (out_dir / f"count-{stamp}.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
