"""Loading and query speed and memory: embedkit's readers against gensim's word2vec loaders.

Writes a random 100,000 x 300 float32 matrix with made-up words as word2vec binary, word2vec text
and in the native format (``.npy`` + ``.npy.words``), then times, in alternating fresh processes,
gensim 4.4 ``KeyedVectors.load_word2vec_format`` (binary and text), embedkit's word2vec binary and
text readers and its native loader (imports excluded from the timing), each with its peak RSS
while loading (VmHWM after the load minus VmRSS before it, so the interpreter and the imports are
left out) against the float32 matrix's size; and in one process the latency of ``most_similar``
(top 10) after loading: the first query (which normalises the matrix) and the median of the next
200. ``--no-text`` leaves the text loaders out.

    python scripts/bench_io.py [--words 100000] [--dim 300] [--repeats 3] [--no-text]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _benchutil import ROOT


def load(tool: str, path: str) -> dict:
    """Time one load; the libraries are imported before the clock starts."""
    from gensim.models import KeyedVectors

    from embedkit.vectors import Embeddings

    before = _status_mb("VmRSS")
    started = time.perf_counter()
    if tool.startswith("gensim"):
        n = len(KeyedVectors.load_word2vec_format(path, binary=tool == "gensim-binary"))
    else:
        n = len(Embeddings.load(path))
    seconds = time.perf_counter() - started
    return {"tool": tool, "seconds": seconds, "words": n, "loading_rss_mb": _status_mb("VmHWM") - before}


def _status_mb(field: str) -> float:
    """A ``/proc/self/status`` memory field in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def query_latency(path: str, queries: int) -> dict:
    from embedkit.vectors import Embeddings

    embeddings = Embeddings.load(path)
    words = embeddings.words[: queries + 1]
    started = time.perf_counter()
    embeddings.most_similar([words[0]], topn=10)
    first = time.perf_counter() - started
    times = []
    for word in words[1:]:
        started = time.perf_counter()
        embeddings.most_similar([word], topn=10)
        times.append(time.perf_counter() - started)
    return {"first_ms": 1e3 * first, "median_ms": 1e3 * statistics.median(times), "max_ms": 1e3 * max(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-text", action="store_true", help="leave the text loaders out")
    parser.add_argument("--out-dir", default=str(ROOT / "bench"))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "query":
        return print(json.dumps(query_latency(args.path, 200)))
    if args.worker:
        return print(json.dumps(load(args.worker, args.path)))

    import numpy as np

    from embedkit.vectors import Embeddings

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        words = [f"w{i}_{rng.integers(1 << 30):x}" for i in range(args.words)]
        embeddings = Embeddings(words, rng.standard_normal((args.words, args.dim), dtype=np.float32))
        files = {
            "gensim-binary": Path(tmp) / "v.bin",
            "embedkit-binary": Path(tmp) / "v.bin",
            "embedkit-native": Path(tmp) / "v.npy",
        }
        if not args.no_text:
            files.update({"gensim-text": Path(tmp) / "v.txt", "embedkit-text": Path(tmp) / "v.txt"})
            embeddings.save(files["gensim-text"])
        embeddings.save(files["gensim-binary"])
        embeddings.save(files["embedkit-native"])
        matrix_mb = embeddings.vectors.nbytes / 2**20
        del embeddings
        for _ in range(args.repeats):
            for tool, path in files.items():
                done = subprocess.run(
                    [sys.executable, __file__, "--worker", tool, "--path", str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                rows.append(json.loads(done.stdout))
                print(rows[-1], flush=True)
        latency = json.loads(
            subprocess.run(
                [sys.executable, __file__, "--worker", "query", "--path", str(files["embedkit-native"])],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
    medians = {tool: statistics.median(r["seconds"] for r in rows if r["tool"] == tool) for tool in files}
    lines = [
        f"# Vectors loading benchmark ({time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"{args.words:,} words x {args.dim} dims, random float32 ({matrix_mb:.0f} MB); {args.repeats} "
        "alternating runs per loader, each in a fresh process (median seconds). Loading RSS: peak RSS after "
        "the load minus RSS before it, in MB and as a multiple of the matrix.",
        "",
        "| loader | median s | runs (s) | loading RSS MB (runs) | x matrix |",
        "|---|---|---|---|---|",
    ]
    for tool in files:
        mine = [r for r in rows if r["tool"] == tool]
        runs = ", ".join(f"{r['seconds']:.3f}" for r in mine)
        rss = ", ".join(f"{r['loading_rss_mb']:.0f}" for r in mine)
        ratio = max(r["loading_rss_mb"] for r in mine) / matrix_mb
        lines.append(f"| {tool} | {medians[tool]:.3f} | {runs} | {rss} | {ratio:.2f} |")
    speedups = [("binary", "embedkit-native"), ("binary", "embedkit-binary")]
    speedups += [] if args.no_text else [("text", "embedkit-text")]
    lines += [
        "",
        "; ".join(f"gensim {k} / {tool}: {medians['gensim-' + k] / medians[tool]:.1f}x" for k, tool in speedups) + ".",
        "",
        f"`most_similar` top 10 after loading the native file: first query {latency['first_ms']:.0f} ms "
        f"(normalises the matrix), then median {latency['median_ms']:.1f} ms, max {latency['max_ms']:.1f} ms "
        "over 200 queries.",
    ]
    table = "\n".join(lines) + "\n"
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"io-{time.strftime('%Y%m%d-%H%M%S')}.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
