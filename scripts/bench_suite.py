"""The benchmark suite: every side-by-side benchmark in one run, one table (``make bench``).

Rows, in this order (``--only`` selects; default all):

* ``sgns``, ``cbow``, ``sg-hs``, ``cbow-hs``: embedkit against gensim Word2Vec at the same settings
  (``bench.py``), ``--repeats`` runs of each tool, alternating (embedkit, gensim, embedkit, ...),
  each a fresh process from the text. For each tool the agreement of its runs 1 and 2: the median
  over the vocabulary of the cosine between a word's two vectors (same seed; with several
  threads the Hogwild races make runs differ, hierarchical softmax's top tree nodes most).
* ``glove``, ``ppmi``, ``lsa`` (line and 1000-token documents): the count models
  (``bench_count.py``); GloVe alternates with Stanford GloVe's pipeline when ``--stanford-glove
  DIR`` names its built programs.
* ``analogy``: ``scripts/bench_analogy.py VECTORS`` (embedkit's analogy evaluation against
  gensim's, alternating inside one process) on the first embedkit SGNS run's vectors (or
  ``--analogy-vectors``), timed as a whole; the JSON file it writes is the row's result.
  Skipped, and said so, when the script does not exist.
* ``growth``: SGNS, 1 epoch, on the corpus concatenated ``--growth-factor`` (4) times in a
  temporary directory (deleted afterwards), embedkit against gensim: how throughput and peak RSS
  hold as the corpus grows.

Before every timed run the 1-minute load average must fall to ``--max-load`` (0.5); the suite
waits up to ``--wait-idle`` (120) seconds for it, then runs anyway and flags the row
(``busy: load 1.70``), or with ``--strict`` stops. Each row records the load, the seconds waited,
and the CPU other processes used during the run (``/proc/stat`` minus the run's own CPU time,
from ``getrusage(RUSAGE_CHILDREN)``); a run that shared the machine is flagged too. Peak RSS is
each worker's own VmHWM (``/proc/self/status``), not RUSAGE_CHILDREN's ru_maxrss: that is the
largest of all children so far, and Linux carries a forking parent's footprint into it. numba's
compiled kernels are cached beforehand by untimed warm-up runs on a tiny text, as gensim's and
Stanford's code is compiled before timing. Quality (WS-353, SimLex-999, Google analogy at 30k,
by embedkit's evaluator, equal to gensim's) is measured after all timed runs.

Writes ``bench/suite-<timestamp>.json`` (every run, settings, machine, versions) and ``.md``
(``bench_table.py``'s tables); ``--readme README.md`` then rewrites the README's generated
section from it. Stopped early (``--strict``, a failed run, Ctrl-C), it writes what it has,
marked incomplete, and exits 1. On the shared corpus with 2 threads the suite took 52 minutes
with ``--max-load 1.2 --wait-idle 60`` (2026-12-03), much of it gensim's runs and the waits for
the load average to decay after each run.

    python scripts/bench_suite.py [--only sgns,cbow,...] [--repeats 2] [--epochs 5] [--threads 2]
        [--max-load 0.5] [--wait-idle 120] [--strict] [--growth-factor 4] [--growth-repeats 1]
        [--stanford-glove DIR] [--analogy-vectors FILE] [--corpus PATH] [--out-dir bench]
        [--readme README.md]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench
import bench_count
import bench_table
from _benchutil import (
    DEFAULT_CORPUS,
    ROOT,
    LoadPolicy,
    Refused,
    checked_paths,
    evaluate,
    failed,
    machine,
    measured_run,
    plain_text,
    versions,
    write_text,
)

ANALOGY_SCRIPT = ROOT / "scripts" / "bench_analogy.py"
WORD2VEC = tuple(bench.MODELS)
COUNT = {"glove": ("glove",), "ppmi": ("ppmi",), "lsa": ("lsa-lines", "lsa-1000")}
ROWS = (*WORD2VEC, *COUNT, "analogy", "growth")
#: warm-up text: 400 lines of 300 words drawn from a Zipf-like 300-word vocabulary (enough words,
#: lines and 1000-token documents, and varied enough counts, for the 100-dimensional SVDs)
WARM_UP_WORDS, WARM_UP_LINES = 300, 400


def work(args: argparse.Namespace) -> dict:
    """One timed run inside a worker process (``--worker MODEL --tool TOOL``)."""
    if args.worker in bench.MODELS:
        return bench.RUNNERS[args.tool](args.worker, args.corpus, args.out, args.epochs, args.threads, args.seed)
    if args.worker == "glove" and args.tool == "stanford":
        return bench_count.run_stanford(Path(args.stanford_glove), args.corpus, args.out, args.threads, args.seed)
    if args.worker == "glove":
        return bench_count.run_embedkit_glove(args.corpus, args.out, args.threads, args.seed)
    return bench_count.run_embedkit_count(args.worker, args.corpus, args.out, args.seed)


def settings(model: str, tool: str, epochs: int, args: argparse.Namespace) -> dict:
    """The exact settings of a run of ``model`` by ``tool``."""
    if model in bench.MODELS:
        return bench.settings(model, tool, epochs, args.threads, args.seed)
    if model == "glove":
        return {**bench_count.GLOVE, "threads": args.threads, "seed": args.seed}
    return {**bench_count.COUNT_MODELS[model], "min_count": bench_count.GLOVE["min_count"], "seed": args.seed}


def median_cosine(first: Path, second: Path) -> tuple[float, int]:
    """Median over the words both files hold of the cosine between each word's two vectors, and that word count."""
    import numpy as np

    from embedkit.vectors import Embeddings

    a, b = Embeddings.load(first), Embeddings.load(second)
    common = [w for w in a.words if w in b.index]
    x = a.vectors[[a.index[w] for w in common]]
    y = b.vectors[[b.index[w] for w in common]]
    norms = np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1)
    cosines = np.einsum("ij,ij->i", x, y)[norms > 0] / norms[norms > 0]
    return float(np.median(cosines)), len(common)


def kind(row: dict) -> tuple[str, str, str]:
    """A run's group, model and tool."""
    return row["group"], row["model"], row["tool"]


class Suite:
    """The timed runs of one suite, the vectors they wrote and, at the end, quality and agreement."""

    def __init__(self, args: argparse.Namespace, policy: LoadPolicy, work_dir: Path, text: Path):
        self.args, self.policy, self.work, self.text = args, policy, work_dir, text
        self.runs: list[dict] = []
        self.agreement: list[dict] = []
        self.vectors: dict[int, Path] = {}

    def worker_cmd(self, model: str, tool: str, corpus: Path, out: Path, epochs: int) -> list[str]:
        cmd = [sys.executable, __file__, "--worker", model, "--tool", tool, "--corpus", str(corpus), "--out", str(out)]
        cmd += ["--epochs", str(epochs), "--threads", str(self.args.threads), "--seed", str(self.args.seed)]
        return cmd + (["--stanford-glove", self.args.stanford_glove] if tool == "stanford" else [])

    def warm_up(self, models: list[str]) -> None:
        """Compile and cache numba's kernels for each embedkit model, untimed, on a tiny text."""
        tiny = self.work / "warmup.txt"
        draw, words = random.Random(0).choices, [f"w{i}" for i in range(WARM_UP_WORDS)]
        weights = [1 / rank for rank in range(1, WARM_UP_WORDS + 1)]
        tiny.write_text("".join(" ".join(draw(words, weights, k=WARM_UP_WORDS)) + "\n" for _ in range(WARM_UP_LINES)))
        for model in models:
            print(f"warm-up {model} ...", flush=True)
            cmd = self.worker_cmd(model, "embedkit", tiny, self.work / "warmup.bin", 1)
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                raise failed(f"warm-up {model}", done)

    def train(self, group: str, model: str, tool: str, run: int, corpus: Path, epochs: int, corpus_name: str) -> None:
        vectors = self.work / f"{group}-{model}-{tool}-{run}.{'txt' if tool == 'stanford' else 'bin'}"
        label = f"{group} {model} {tool} run {run}"
        done, measures = measured_run(self.worker_cmd(model, tool, corpus, vectors, epochs), label, self.policy)
        row = {
            "group": group,
            "model": model,
            "tool": tool,
            "run": run,
            "settings": {"corpus": corpus_name, **settings(model, tool, epochs, self.args)},
            **measures,
            **json.loads(done.stdout.strip().splitlines()[-1]),
        }
        self.vectors[len(self.runs)] = vectors
        self.runs.append(row)
        print(f"  {row['process_s']:.1f} s" + "".join(f"; {flag}" for flag in row["flags"]), flush=True)

    def word2vec(self, model: str) -> None:
        for run in range(1, self.args.repeats + 1):
            for tool in ("embedkit", "gensim"):
                self.train("word2vec", model, tool, run, self.text, self.args.epochs, self.text.name)

    def count(self, models: tuple[str, ...]) -> None:
        peers = ("stanford",) if self.args.stanford_glove else ()
        for model in models:
            for run in range(1, self.args.repeats + 1):
                for tool in ("embedkit", *(peers if model == "glove" else ())):
                    self.train("count", model, tool, run, self.text, 1, self.text.name)

    def analogy(self, vectors: Path, source: str) -> None:
        """``bench_analogy.py VECTORS`` per repeat; its JSON result (less machine and versions) goes in the row.

        A non-zero exit (the script's answers differing from gensim's) is recorded and flagged, not fatal.
        """
        for run in range(1, self.args.repeats + 1):
            out = self.work / f"analogy-{run}"
            cmd = [sys.executable, str(ANALOGY_SCRIPT), str(vectors), "--out-dir", str(out)]
            done, measures = measured_run(cmd, f"analogy run {run}", self.policy, check=False)
            written = sorted(out.glob("*.json"))
            result = json.loads(written[-1].read_text()) if written else {}
            for bulky in ("machine", "versions", "vectors", "dataset"):
                result.pop(bulky, None)
            if done.returncode:
                measures["flags"].append(f"exit {done.returncode}: {(done.stderr.strip().splitlines() or [''])[-1]}")
            command = f"scripts/{ANALOGY_SCRIPT.name} VECTORS"
            self.runs.append(
                {
                    "group": "analogy",
                    "model": "analogy",
                    "tool": ANALOGY_SCRIPT.name,
                    "run": run,
                    "settings": {"command": command, "vectors": source},
                    **measures,
                    "exit_code": done.returncode,
                    "result": result,
                }
            )
            print(f"  {measures['process_s']:.1f} s" + "".join(f"; {flag}" for flag in measures["flags"]), flush=True)

    def growth(self) -> None:
        factor = self.args.growth_factor
        with tempfile.TemporaryDirectory(prefix="growth-", dir=self.work) as tmp:
            big = Path(tmp) / f"{self.text.stem}-x{factor}.txt"
            concatenate(self.text, big, factor)
            for run in range(1, self.args.growth_repeats + 1):
                for tool in ("embedkit", "gensim"):
                    self.train("growth", "sgns", tool, run, big, 1, f"{self.text.name} x{factor}")

    def finish(self) -> None:
        """Words/s per row, then (untimed) quality of every vectors file and the agreement of runs 1 and 2."""
        for group in ("word2vec", "growth"):
            tokens = next((r["corpus_words"] for r in self.runs if r["group"] == group and "corpus_words" in r), None)
            for row in (r for r in self.runs if r["group"] == group and tokens):
                row["words"] = tokens * row["settings"]["epochs"]
                row["words_per_s"] = row["words"] / row["train_s"]
        for index, path in self.vectors.items():
            row = self.runs[index]
            print(f"evaluating {row['group']} {row['model']} {row['tool']} run {row['run']} ...", flush=True)
            row.update(evaluate(str(path)))
        for model in WORD2VEC:
            for tool in ("embedkit", "gensim"):
                files = [p for i, p in self.vectors.items() if kind(self.runs[i]) == ("word2vec", model, tool)]
                if len(files) >= 2:
                    cosine, words = median_cosine(files[0], files[1])
                    self.agreement.append(
                        {"model": model, "tool": tool, "runs": [1, 2], "median_cosine": cosine, "words": words}
                    )


def concatenate(text: Path, target: Path, factor: int) -> None:
    """Write ``text`` ``factor`` times into ``target``, a newline between copies if it lacks a final one."""
    with open(text, "rb") as fh:
        fh.seek(-1, 2)
        newline = b"" if fh.read(1) == b"\n" else b"\n"
    with open(target, "wb") as dst:
        for _ in range(factor):
            with open(text, "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 24)
            dst.write(newline)


def interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return number


def non_negative(value: str) -> float:
    number = float(value)
    if not number >= 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, not {value}")
    return number


def selection(only: str, args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """The rows to run, in suite order, and those skipped with the reason; exits on a bad ``--only``."""
    named = [name.strip() for name in only.split(",") if name.strip()]
    unknown = sorted(set(named) - set(ROWS))
    if unknown or not named:
        sys.exit(f"error: --only takes a comma-separated list of {', '.join(ROWS)}; got {only!r}")
    skipped = {}
    if "analogy" in named and not ANALOGY_SCRIPT.is_file():
        if only != ",".join(ROWS):
            sys.exit(f"error: --only analogy needs {ANALOGY_SCRIPT}, which does not exist")
        skipped["analogy"] = f"scripts/{ANALOGY_SCRIPT.name} does not exist"
    if "analogy" in named and "analogy" not in skipped and "sgns" not in named and not args.analogy_vectors:
        sys.exit("error: --only analogy needs sgns (its vectors) or --analogy-vectors FILE")
    return [name for name in ROWS if name in named and name not in skipped], skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(ROWS), help="comma-separated rows: " + ",".join(ROWS))
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--epochs", type=positive_int, default=5, help="word2vec epochs (default 5)")
    parser.add_argument("--threads", type=positive_int, default=2)
    parser.add_argument("--repeats", type=positive_int, default=2, help="runs per tool and row (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-load", type=non_negative, default=0.5, help="highest 1-minute load at a run's start")
    parser.add_argument("--wait-idle", type=non_negative, default=120.0, help="seconds to wait for --max-load")
    parser.add_argument("--strict", action="store_true", help="stop instead of flagging a busy run")
    parser.add_argument("--growth-factor", type=positive_int, default=4, help="copies of the corpus (default 4)")
    parser.add_argument("--growth-repeats", type=positive_int, default=1, help="growth runs per tool (default 1)")
    parser.add_argument("--stanford-glove", help="directory with Stanford GloVe's built programs")
    parser.add_argument("--analogy-vectors", help="vectors for the analogy row (default: SGNS embedkit run 1)")
    parser.add_argument("--out-dir", default=str(ROOT / "bench"))
    parser.add_argument("--readme", help="rewrite this README's generated section from the new suite file")
    parser.add_argument("--worker", choices=[*WORD2VEC, "glove", *bench_count.COUNT_MODELS], help=argparse.SUPPRESS)
    parser.add_argument("--tool", choices=["embedkit", "gensim", "stanford"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(work(args)))
        return

    rows, skipped = selection(args.only, args)
    corpus, out_dir = checked_paths(args.corpus, args.out_dir)
    if args.stanford_glove:
        for program in bench_count.STANFORD_PROGRAMS:
            bench_count.stanford_binary(Path(args.stanford_glove), program)
    if args.analogy_vectors and not Path(args.analogy_vectors).is_file():
        sys.exit(f"error: --analogy-vectors: no such file: {args.analogy_vectors}")
    if args.readme:
        try:
            bench_table.replace_section(Path(args.readme).read_text(encoding="utf-8"), "")
        except (OSError, ValueError) as exc:
            sys.exit(f"error: --readme {args.readme}: {exc}")
    policy = LoadPolicy(args.max_load, args.wait_idle, args.strict)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "versions": versions(),
        "corpus": str(corpus),
        "rows": rows,
        "skipped": skipped,
        "epochs": args.epochs,
        "threads": args.threads,
        "repeats": args.repeats,
        "seed": args.seed,
        "growth_factor": args.growth_factor,
        "growth_repeats": args.growth_repeats,
        "load_policy": {"max_load": policy.max_load, "wait_s": policy.wait_s, "strict": policy.strict},
        "command": " ".join(["python", *sys.argv]),
        "incomplete": None,
    }
    started = time.monotonic()
    signal.signal(signal.SIGTERM, interrupt)  # a kill ends like Ctrl-C: partial results, temp files removed
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        work_dir = Path(tmp)
        text = plain_text(corpus, work_dir)
        if "growth" in rows:
            need, free = text.stat().st_size * args.growth_factor, shutil.disk_usage(work_dir).free
            if need > free:
                sys.exit(f"error: the growth corpus needs {need / 1e9:.1f} GB, {free / 1e9:.1f} GB free in {tmp}")
        suite = Suite(args, policy, work_dir, text)
        try:
            warm = [m for m in WORD2VEC if m in rows or (m == "sgns" and "growth" in rows)]
            suite.warm_up(warm + [m for row in rows for m in COUNT.get(row, ())])
            for row in rows:
                if row in WORD2VEC:
                    suite.word2vec(row)
                elif row in COUNT:
                    suite.count(COUNT[row])
                elif row == "analogy" and args.analogy_vectors:
                    suite.analogy(Path(args.analogy_vectors), args.analogy_vectors)
                elif row == "analogy":
                    first = next(i for i, r in enumerate(suite.runs) if (r["model"], r["tool"]) == ("sgns", "embedkit"))
                    suite.analogy(suite.vectors[first], "the vectors of SGNS embedkit run 1")
                else:
                    suite.growth()
        except Refused as exc:
            meta["incomplete"] = str(exc)
        except KeyboardInterrupt:
            meta["incomplete"] = "interrupted (Ctrl-C or SIGTERM)"
        suite.finish()
    meta["duration_s"] = time.monotonic() - started
    data = {"meta": meta, "runs": suite.runs, "agreement": suite.agreement}
    json_path = out_dir / f"suite-{stamp}.json"
    write_text(json_path, json.dumps(data, indent=1) + "\n")
    table = bench_table.suite_markdown(data)
    write_text(json_path.with_suffix(".md"), table)
    print(table)
    print(f"wrote {json_path} and {json_path.with_suffix('.md').name}")
    if meta["incomplete"]:
        print(meta["incomplete"], file=sys.stderr)
        sys.exit(f"error: the suite stopped early ({meta['incomplete'].splitlines()[0]}); partial results written")
    if args.readme:
        bench_table.update_readme(Path(args.readme), data, json_path)
        print(f"rewrote the bench section of {args.readme}")


if __name__ == "__main__":
    main()
