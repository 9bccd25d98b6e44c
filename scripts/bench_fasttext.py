"""embedkit's subword skip-gram against fastText 0.9.2, side by side on the shared corpus.

Both train skip-gram with subwords at fastText's defaults, the same for both: dim 100, window 5,
negative 5, minn 3, maxn 6, 2,000,000 buckets, 5 epochs, lr 0.05, t 1e-4, min_count 5, 2
threads. fastText runs through its Python package (``pip install fasttext-wheel``: the 0.9.2
C++ trainer) on the decompressed text; embedkit through ``embedkit.train`` from the same text
with a fresh cache (the corpus pass is timed too). Each run is its own process, started once the
machine is idle (``_benchutil.measured_run``), the tools alternating, ``--runs`` times each
(default 2), after one untimed embedkit run on 1 MiB of the text that compiles the kernels;
every run is reported. fastText's train seconds are its wall time (its vocabulary pass
included); the wall-time ratio compares the whole runs of both.

Quality is scored by embedkit's evaluator on both models, fastText's read from its ``.bin`` by
:mod:`embedkit.fasttext_bin` (whose vectors equal fastText's ``get_word_vector``, tested): WS-353,
SimLex-999 and RW (words outside the vocabulary given their subword vectors, by both), and the
Google analogies (30,000 most frequent words, 3CosAdd).

    python scripts/bench_fasttext.py [--corpus PATH] [--runs 2] [--out bench]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _benchutil import (
    DEFAULT_CORPUS,
    LoadPolicy,
    checked_paths,
    measured_run,
    peak_rss_mb,
    plain_text,
    worker_row,
    write_results,
)

SETTINGS = {
    "model": "skipgram",
    "dim": 100,
    "window": 5,
    "negative": 5,
    "minn": 3,
    "maxn": 6,
    "buckets": 2_000_000,
    "epochs": 5,
    "alpha": 0.05,
    "sample": 1e-4,
    "min_count": 5,
    "threads": 2,
}
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "similarity"


def run_fasttext(corpus: str, out: str) -> dict:
    import fasttext

    started = time.perf_counter()
    model = fasttext.train_unsupervised(
        corpus,
        model="skipgram",
        dim=SETTINGS["dim"],
        ws=SETTINGS["window"],
        neg=SETTINGS["negative"],
        minn=SETTINGS["minn"],
        maxn=SETTINGS["maxn"],
        bucket=SETTINGS["buckets"],
        epoch=SETTINGS["epochs"],
        lr=SETTINGS["alpha"],
        t=SETTINGS["sample"],
        minCount=SETTINGS["min_count"],
        thread=SETTINGS["threads"],
        verbose=0,
    )
    seconds = time.perf_counter() - started
    model.save_model(out)
    return {"wall_s": seconds, "train_s": seconds, "vocab": len(model.words), "peak_rss_mb": peak_rss_mb()}


def run_embedkit(corpus: str, out: str) -> dict:
    from embedkit.config import Word2VecConfig
    from embedkit.encode import prepare_corpus
    from embedkit.models.word2vec import train_word2vec
    from embedkit.vocab import VocabOptions

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        prepared = prepare_corpus(
            [corpus], vocab_options=VocabOptions(min_count=SETTINGS["min_count"]), cache_dir=cache
        )
        config = Word2VecConfig(
            dim=SETTINGS["dim"],
            window=SETTINGS["window"],
            negative=SETTINGS["negative"],
            minn=SETTINGS["minn"],
            maxn=SETTINGS["maxn"],
            buckets=SETTINGS["buckets"],
            epochs=SETTINGS["epochs"],
            alpha=SETTINGS["alpha"],
            sample=SETTINGS["sample"],
            threads=SETTINGS["threads"],
        )
        embeddings, report = train_word2vec(prepared, config, progress=False)
    seconds = time.perf_counter() - started
    embeddings.save(out)
    return {
        "wall_s": seconds,
        "train_s": report.seconds,
        "corpus_words": prepared.encoded.n_tokens,
        "vocab": len(embeddings),
        "peak_rss_mb": peak_rss_mb(),
    }


def scores(vectors: str) -> dict:
    from embedkit.datasets import dataset_path
    from embedkit.evaluate import evaluate_analogy, evaluate_similarity
    from embedkit.vectors import Embeddings

    emb = Embeddings.load(vectors)
    found = {}
    for name, path in (
        ("wordsim353", dataset_path("wordsim353")[1]),
        ("simlex999", dataset_path("simlex999")[1]),
        ("rw", DATA / "EN-RW-STANFORD.txt"),
    ):
        result = evaluate_similarity(emb, path, name)
        found[name] = {"spearman": result.spearman, "pairs": result.pairs, "subword_pairs": result.subword_pairs}
    analogy = evaluate_analogy(emb, dataset_path("google-analogy")[1])
    found["google_analogy"] = {"accuracy": analogy.accuracy, "questions": analogy.questions}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--out", default="bench")
    parser.add_argument("--worker", choices=["fasttext", "embedkit"], help=argparse.SUPPRESS)
    parser.add_argument("--vectors", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run = run_fasttext if args.worker == "fasttext" else run_embedkit
        result = run(args.corpus, args.vectors)
        print(json.dumps({**result, "scores": scores(args.vectors)}))
        return
    corpus, results = checked_paths(args.corpus, args.out)
    policy = LoadPolicy()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        text = plain_text(corpus, Path(work))
        tiny = Path(work) / "warmup.txt"  # numba compiles (and caches) the kernels here, untimed
        with open(text, "rb") as src:
            tiny.write_bytes(src.read(1 << 20))
        warmup = [
            sys.executable,
            __file__,
            "--worker",
            "embedkit",
            "--corpus",
            str(tiny),
            "--vectors",
            str(tiny) + ".bin",
        ]
        measured_run(warmup, "embedkit warm-up (untimed)", policy)
        for run in range(1, args.runs + 1):
            for tool in ("fasttext", "embedkit"):
                vectors = Path(work) / f"{tool}-{run}.bin"
                cmd = [sys.executable, __file__, "--worker", tool, "--corpus", str(text), "--vectors", str(vectors)]
                rows.append(worker_row(cmd, f"{tool} run {run}", policy, tool=tool, run=run))
    write_results(results, "fasttext", SETTINGS, rows, table)


def table(payload: dict) -> str:
    lines = [
        "# embedkit subword skip-gram vs fastText 0.9.2 (scripts/bench_fasttext.py)",
        "",
        "Settings (both): " + ", ".join(f"{k} {v}" for k, v in payload["settings"].items()),
        f"Machine: {payload['machine']}; versions: {payload['versions']}",
        "",
        "| tool | run | wall s | train s | words/s (train) | peak RSS MiB | WS-353 | SimLex | RW | analogy | flags |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    words = next((r["corpus_words"] for r in payload["rows"] if "corpus_words" in r), None)
    for r in payload["rows"]:
        s = r["scores"]
        rate = f"{words * payload['settings']['epochs'] / r['train_s'] / 1e3:.0f}k" if words else "-"
        lines.append(
            f"| {r['tool']} | {r['run']} | {r['wall_s']:.1f} | {r['train_s']:.1f} | {rate} | {r['peak_rss_mb']:.0f} | "
            f"{s['wordsim353']['spearman']:.4f} | {s['simlex999']['spearman']:.4f} | {s['rw']['spearman']:.4f} | "
            f"{s['google_analogy']['accuracy']:.4f} | {'; '.join(r['flags']) or '-'} |"
        )
    for tool in ("fasttext", "embedkit"):
        walls = [r["wall_s"] for r in payload["rows"] if r["tool"] == tool]
        lines.append(f"\n{tool}: wall seconds {', '.join(f'{w:.1f}' for w in walls)}")
    ft = [r["wall_s"] for r in payload["rows"] if r["tool"] == "fasttext"]
    ek = [r["wall_s"] for r in payload["rows"] if r["tool"] == "embedkit"]
    if ft and ek:
        lines.append(
            f"\nwall-time ratio fastText / embedkit, run by run: {', '.join(f'{a / b:.2f}x' for a, b in zip(ft, ek))}"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
