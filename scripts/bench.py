"""Side-by-side benchmark: embedkit's word2vec trainers against gensim on the same corpus and machine.

Each model (``--models``, default ``sgns,cbow,sg-hs``) is trained by embedkit and by gensim
Word2Vec at identical settings (dim 100, window 5, min_count 5, sample 1e-3, negative 5 or
hierarchical softmax, the model's alpha, same epochs and threads) on the same plain-text corpus
(gensim in ``corpus_file`` mode). Runs alternate (embedkit, gensim, embedkit, gensim, ...),
each in a fresh process, so peak RSS is per run. Each run starts from the text: embedkit's
timing includes counting and encoding (a fresh cache), gensim's its vocabulary scan. numba's
compiled kernels are cached beforehand by a tiny warm-up run, as gensim's are compiled at
install.

Reported per run: wall time, training time, training words/s (in-vocabulary corpus tokens
times epochs, divided by training time; the same word count for both tools), peak RSS, and
WS-353 / SimLex-999 Spearman and Google-analogy accuracy (30k restriction) measured with
embedkit's evaluator, which equals gensim's. Results go to ``bench/`` as JSON and markdown.

    python scripts/bench.py [--models sgns,cbow,sg-hs] [--corpus PATH] [--epochs 5]
                            [--threads 2] [--repeats 2]
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

SETTINGS = {"dim": 100, "window": 5, "min_count": 5, "sample": 1e-3}
#: model -> (embedkit Word2VecConfig fields, gensim Word2Vec arguments), beyond SETTINGS
MODELS = {
    "sgns": (
        {"architecture": "skipgram", "loss": "ns", "negative": 5, "alpha": 0.025},
        {"sg": 1, "hs": 0, "negative": 5, "alpha": 0.025},
    ),
    "cbow": (
        {"architecture": "cbow", "loss": "ns", "negative": 5, "alpha": 0.05, "cbow_mean": True},
        {"sg": 0, "hs": 0, "negative": 5, "alpha": 0.05, "cbow_mean": 1},
    ),
    "sg-hs": (
        {"architecture": "skipgram", "loss": "hs", "alpha": 0.025},
        {"sg": 1, "hs": 1, "negative": 0, "alpha": 0.025},
    ),
    "cbow-hs": (
        {"architecture": "cbow", "loss": "hs", "alpha": 0.05, "cbow_mean": True},
        {"sg": 0, "hs": 1, "negative": 0, "alpha": 0.05, "cbow_mean": 1},
    ),
}


def run_embedkit(model: str, corpus: str, out: str, epochs: int, threads: int, seed: int) -> dict:
    from embedkit.config import Word2VecConfig
    from embedkit.encode import prepare_corpus
    from embedkit.vocab import VocabOptions

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        prepared = prepare_corpus(
            [corpus], vocab_options=VocabOptions(min_count=SETTINGS["min_count"]), cache_dir=cache
        )
        from embedkit.models.word2vec import train_word2vec

        config = Word2VecConfig(
            dim=SETTINGS["dim"],
            window=SETTINGS["window"],
            sample=SETTINGS["sample"],
            epochs=epochs,
            threads=threads,
            seed=seed,
            **MODELS[model][0],
        )
        embeddings, report = train_word2vec(prepared, config, progress=False)
        embeddings.save(out)
    return {
        "wall_s": time.perf_counter() - started,
        "train_s": report.seconds,
        "corpus_words": prepared.encoded.n_tokens,
        "vocab": len(embeddings),
        "peak_rss_mb": peak_rss_mb(),
    }


def run_gensim(model: str, corpus: str, out: str, epochs: int, threads: int, seed: int) -> dict:
    from gensim.models import Word2Vec

    started = time.perf_counter()
    trained = Word2Vec(
        corpus_file=corpus,
        vector_size=SETTINGS["dim"],
        window=SETTINGS["window"],
        min_count=SETTINGS["min_count"],
        sample=SETTINGS["sample"],
        epochs=epochs,
        workers=threads,
        seed=seed,
        **MODELS[model][1],
    )
    trained.wv.save_word2vec_format(out, binary=True)
    return {
        "wall_s": time.perf_counter() - started,
        "train_s": trained.total_train_time,
        "vocab": len(trained.wv),
        "peak_rss_mb": peak_rss_mb(),
    }


def worker(args: argparse.Namespace) -> None:
    runner = run_embedkit if args.worker == "embedkit" else run_gensim
    print(json.dumps(runner(args.model, args.corpus, args.out, args.epochs, args.threads, args.seed)))


def warm_up(work: Path) -> None:
    tiny = work / "warmup.txt"
    tiny.write_text(("the quick brown fox jumps over the lazy dog " * 20 + "\n") * 50)
    for model in MODELS:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                "embedkit",
                "--model",
                model,
                "--corpus",
                str(tiny),
                "--out",
                str(work / "warmup.bin"),
                "--epochs",
                "1",
            ],
            check=True,
            capture_output=True,
        )


def markdown(rows: list[dict], ratios: dict, meta: dict) -> str:
    lines = [
        f"# word2vec benchmark ({meta['date']})",
        "",
        f"Corpus `{meta['corpus']}`; settings {meta['settings']} plus per model {meta['models']}; epochs "
        f"{meta['epochs']}, threads {meta['threads']}; machine: {meta['machine']}. words/s = in-vocabulary corpus "
        "tokens x epochs / training seconds (same count for both tools).",
        "",
        "| model | tool | run | wall s | train s | words/s | peak RSS MB "
        "| WS-353 | SimLex-999 | analogy | queen rank |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['tool']} | {r['run']} | {r['wall_s']:.1f} | {r['train_s']:.1f} | "
            f"{r['words_per_s']:,.0f} | {r['peak_rss_mb']:.0f} | {r['wordsim353']:.3f} | {r['simlex999']:.3f} | "
            f"{r['google_analogy']:.3f} | {r['queen_rank']} |"
        )
    lines += ["", "Ratios embedkit / gensim (means over runs):", ""]
    for model, values in ratios.items():
        lines.append(f"- {model}: " + ", ".join(f"{key} {value:.2f}" for key, value in values.items()))
    return "\n".join(lines) + "\n"


def ratios(rows: list[dict], model: str) -> dict:
    def mean(tool, key):
        return statistics.mean(r[key] for r in rows if r["tool"] == tool and r["model"] == model)

    keys = {
        "throughput": "words_per_s",
        "wall time": "wall_s",
        "peak RSS": "peak_rss_mb",
        "WS-353": "wordsim353",
        "SimLex-999": "simlex999",
        "analogy": "google_analogy",
    }
    return {name: mean("embedkit", key) / mean("gensim", key) for name, key in keys.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="sgns,cbow,sg-hs", help="comma-separated: " + ",".join(MODELS))
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out-dir", default=str(ROOT / "bench"))
    parser.add_argument("--worker", choices=["embedkit", "gensim"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--model", default="sgns", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    models = args.models.split(",")
    unknown = set(models) - set(MODELS)
    if unknown:
        sys.exit(f"error: unknown model(s) {', '.join(sorted(unknown))}; known: {', '.join(MODELS)}")
    corpus, out_dir = checked_paths(args.corpus, args.out_dir)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        text = plain_text(corpus, work)
        warm_up(work)
        for model in models:
            for run in range(1, args.repeats + 1):
                for tool in ("embedkit", "gensim"):
                    vectors = work / f"{model}-{tool}-{run}.bin"
                    cmd = [
                        sys.executable,
                        __file__,
                        "--worker",
                        tool,
                        "--model",
                        model,
                        "--corpus",
                        str(text),
                        "--out",
                        str(vectors),
                        "--epochs",
                        str(args.epochs),
                        "--threads",
                        str(args.threads),
                        "--seed",
                        str(args.seed),
                    ]
                    print(f"{model} run {run}: {tool} ...", flush=True)
                    done = subprocess.run(cmd, capture_output=True, text=True)
                    if done.returncode:
                        sys.exit(f"{tool} {model} run {run} failed:\n{done.stderr}")
                    row = {"model": model, "tool": tool, "run": run, **json.loads(done.stdout.strip().splitlines()[-1])}
                    row.update(evaluate(str(vectors)))
                    rows.append(row)
                    print(f"  {json.dumps(row)}", flush=True)
    words = next(r["corpus_words"] for r in rows if "corpus_words" in r) * args.epochs
    for r in rows:
        r["words_per_s"] = words / r["train_s"]
    summary = {model: ratios(rows, model) for model in models}
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "corpus": str(corpus),
        "settings": SETTINGS,
        "models": {m: MODELS[m] for m in models},
        "epochs": args.epochs,
        "threads": args.threads,
        "machine": f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores",
    }
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out_dir / f"word2vec-{stamp}.json").write_text(
        json.dumps({"meta": meta, "rows": rows, "ratios": summary}, indent=1)
    )
    table = markdown(rows, summary, meta)
    (out_dir / f"word2vec-{stamp}.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
