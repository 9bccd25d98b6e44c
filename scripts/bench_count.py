"""The count models: settings and one run each (used by ``bench_suite.py``): embedkit GloVe against
Stanford GloVe's pipeline, and embedkit's PPMI-SVD and LSA, on the same corpus and machine.

GloVe runs at Stanford GloVe's demo settings (dim 100, window 10, min_count 5, x_max 10, 15
iterations, eta 0.05, weighting exponent 0.75, memory 4 GB). Stanford's pipeline (vocab_count,
cooccur, shuffle, glove) needs its binaries: ``bench_suite.py --stanford-glove DIR`` (a built
checkout of https://github.com/stanfordnlp/GloVe: the four programs in DIR or DIR/build); without
it only embedkit runs. embedkit runs from the text with an empty cache.

PPMI-SVD runs with window 5, unweighted counts, cds 0.75, eig 0.5, dim 100; LSA with line
documents and with 1000-token documents, English stopwords, sublinear tf, smooth idf, dim 100.

Each run reports wall time per stage and end to end, peak RSS (VmHWM for embedkit, GNU time's
maximum over Stanford's programs) and the nonzero co-occurrence count. ``make bench-count``
runs only these rows of the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _benchutil import peak_rss_mb

GLOVE = {
    "dim": 100,
    "window": 10,
    "min_count": 5,
    "x_max": 10.0,
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


def run_embedkit_glove(corpus: str, out: str, threads: int, seed: int) -> dict:
    """embedkit GloVe at GLOVE's settings from the text (empty cache); stage times, nonzeros, VmHWM."""
    from embedkit.config import GloveConfig

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as cache:
        prepared = prepared_corpus(corpus, cache)
        prepared_s = time.perf_counter() - started
        from embedkit.models.glove import train_glove

        config = GloveConfig(
            dim=GLOVE["dim"],
            window=GLOVE["window"],
            x_max=GLOVE["x_max"],
            epochs=GLOVE["iterations"],
            eta=GLOVE["eta"],
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
    """embedkit PPMI-SVD or LSA (``model`` of COUNT_MODELS) from the text; stage times, nonzeros, VmHWM."""
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
    """Stanford GloVe's ``program`` in ``directory`` or ``directory/build``; exits if it is in neither."""
    for candidate in (directory / program, directory / "build" / program):
        if candidate.is_file():
            return candidate
    sys.exit(f"error: {program} not found in {directory} or {directory}/build (build Stanford GloVe first)")


def run_stanford(directory: Path, corpus: str, out: str, threads: int, seed: int) -> dict:
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
                    str(GLOVE["x_max"]),
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
