"""Checkpoints, resume after kill -9, and continued training on the shared corpus.

Runs (each through the ``embedkit`` command line, as a user would):

1. SGNS, 5 epochs, uninterrupted (``--save-model``, so the final model size is measured);
2. the same with ``--checkpoint-every 1``, killed with SIGKILL half-way through epoch 4, then
   ``--resume``; reports the checkpoint write times, the time lost and both runs' scores;
3. GloVe (x_max 10, 6 iterations) uninterrupted and killed after the iteration-3 checkpoint and
   resumed: the first resumed iteration's cost against the uninterrupted run's;
4. continued training: 3 epochs on the first half of the corpus then ``--init-from`` 3 epochs on
   the second half, against 3 epochs on both halves from scratch; the neighbours of a word that
   only the second half has.

Writes ``bench/resume-<timestamp>.md`` and ``.json``. About 25 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _benchutil import DEFAULT_CORPUS, ROOT, checked_paths, evaluate, plain_text

EMBEDKIT = [sys.executable, "-m", "embedkit"]
SGNS = ["--model", "sgns", "--dim", "100", "--epochs", "5", "--threads", "2", "--seed", "1"]
GLOVE = ["--model", "glove", "--dim", "100", "--x-max", "10", "--epochs", "6", "--threads", "2", "--memory", "4"]


def run(args, **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run([*EMBEDKIT, *map(str, args)], check=True, stdout=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - started


def killed_run(args, marker: re.Pattern, delay: float, log: Path) -> tuple[float, str]:
    """Start ``embedkit args``, SIGKILL it ``delay`` s after ``marker`` appears in its stderr."""
    started = time.perf_counter()
    with open(log, "w") as err:
        proc = subprocess.Popen([*EMBEDKIT, *map(str, args)], stdout=subprocess.DEVNULL, stderr=err)
        while not marker.search(log.read_text(errors="replace")):
            if proc.poll() is not None:
                raise RuntimeError(f"finished before {marker.pattern!r}: {log.read_text()[-500:]}")
            time.sleep(0.1)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return time.perf_counter() - started, log.read_text(errors="replace")


def size_mb(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6


def iteration_costs(text: str) -> list[float]:
    return [float(c) for c in re.findall(r"iteration \d+/\d+: cost ([0-9.]+)", text)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    parser.add_argument("--out-dir", default=str(ROOT / "bench"))
    args = parser.parse_args()
    args.corpus, out_dir = checked_paths(args.corpus, args.out_dir)
    results: dict = {"corpus": str(args.corpus), "sgns": SGNS, "glove": GLOVE}
    with tempfile.TemporaryDirectory(prefix="bench-resume-") as scratch:
        work = Path(scratch)
        env = {**os.environ, "EMBEDKIT_CACHE_DIR": str(work / "cache")}
        corpus = plain_text(args.corpus, work)
        run(["vocab", corpus, "-o", work / "vocab.txt"], env=env)  # warm the page cache
        run(["train", corpus, "--dim", "8", "--epochs", "1", "-q", "-o", work / "warm.bin"], env=env)  # the cache

        # 1-2: SGNS uninterrupted, then killed in epoch 4 and resumed
        full_s = run(["train", corpus, *SGNS, "-q", "-o", work / "full.bin", "--save-model", work / "full"], env=env)
        epoch_s = full_s / 5
        lost_s, text = killed_run(
            ["train", corpus, *SGNS, "-o", work / "killed.bin", "--save-model", work / "m", "--checkpoint-every", "1"],
            re.compile(r"checkpoint: .*epoch 3 of 5"),
            epoch_s / 2,
            work / "killed.log",
        )
        writes = [float(s) for s in re.findall(r"written in ([0-9.]+) s", text)]
        resume_s = run(["train", "--resume", work / "m", corpus, "-q", "-o", work / "resumed.bin"], env=env)
        results["sgns_runs"] = {
            "uninterrupted_s": full_s,
            "killed_after_s": lost_s,
            "resume_s": resume_s,
            "time_lost_s": lost_s + resume_s - full_s,
            "checkpoint_write_s": writes,
            "model_mb": size_mb(work / "full"),
            "uninterrupted": evaluate(str(work / "full.bin")),
            "resumed": evaluate(str(work / "resumed.bin")),
        }
        print(json.dumps(results["sgns_runs"], indent=1), flush=True)

        # 3: GloVe AdaGrad state across a resume
        glove_full = subprocess.run(
            [*EMBEDKIT, "train", corpus, *GLOVE, "-o", work / "g.bin"],
            env=env,
            text=True,
            capture_output=True,
            check=True,
        ).stderr
        _, glove_killed = killed_run(
            ["train", corpus, *GLOVE, "-o", work / "gk.bin", "--save-model", work / "g", "--checkpoint-every", "3"],
            re.compile(r"checkpoint: .*epoch 3 of 6"),
            1.0,
            work / "glove-killed.log",
        )
        glove_resumed = subprocess.run(
            [*EMBEDKIT, "train", "--resume", work / "g", corpus, "-o", work / "gr.bin"],
            env=env,
            text=True,
            capture_output=True,
            check=True,
        ).stderr
        full_costs, resumed_costs = iteration_costs(glove_full), iteration_costs(glove_resumed)
        results["glove"] = {
            "uninterrupted_costs": full_costs,
            "resumed_costs": resumed_costs,
            "first_resumed_vs_uninterrupted": resumed_costs[0] / full_costs[3],
        }
        print(json.dumps(results["glove"], indent=1), flush=True)

        # 4: continued training on the second half
        lines = (
            gzip.open(args.corpus, "rt").readlines()
            if args.corpus.suffix == ".gz"
            else corpus.read_text().splitlines(True)
        )
        half = len(lines) // 2
        first, second = work / "first.txt", work / "second.txt"
        first.write_text("".join(lines[:half]))
        second.write_text("".join(lines[half:]))
        three = [a if a != "5" else "3" for a in SGNS]
        run(["train", first, *three, "-q", "-o", work / "h1.bin", "--save-model", work / "h1"], env=env)
        run(["train", "--init-from", work / "h1", second, "-q", "-o", work / "cont.bin"], env=env)
        run(["train", corpus, *three, "-q", "-o", work / "both.bin"], env=env)
        from embedkit.vectors import Embeddings

        first_words = set(Embeddings.load(work / "h1.bin").words)
        continued = Embeddings.load(work / "cont.bin")
        only_second = [w for w in continued.words[:20000] if w not in first_words][:5]
        results["continued"] = {
            "continued": evaluate(str(work / "cont.bin")),
            "scratch_both_halves": evaluate(str(work / "both.bin")),
            "first_half_only": evaluate(str(work / "h1.bin")),
            "new_words": {w: [n for n, _ in continued.most_similar([w], topn=5)] for w in only_second},
        }
        print(json.dumps(results["continued"], indent=1), flush=True)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = out_dir / f"resume-{stamp}"
    out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    s, g, c = results["sgns_runs"], results["glove"], results["continued"]
    row = lambda r: f"{r['wordsim353']:.3f} | {r['simlex999']:.3f} | {r['google_analogy']:.3f}"  # noqa: E731
    out.with_suffix(".md").write_text(
        "\n".join(
            [
                f"# Checkpoints, resume and continued training ({stamp})",
                "",
                f"Corpus {args.corpus.name}; SGNS `{' '.join(SGNS)}`; GloVe `{' '.join(GLOVE)}`.",
                "",
                "| run | WS-353 | SimLex | analogy |",
                "|---|---|---|---|",
                f"| SGNS uninterrupted | {row(s['uninterrupted'])} |",
                f"| SGNS killed in epoch 4, resumed | {row(s['resumed'])} |",
                f"| SGNS 3 epochs, first half only | {row(c['first_half_only'])} |",
                f"| + `--init-from`, 3 epochs on the second half | {row(c['continued'])} |",
                f"| SGNS 3 epochs on both halves from scratch | {row(c['scratch_both_halves'])} |",
                "",
                f"SGNS: uninterrupted {s['uninterrupted_s']:.1f} s; killed after {s['killed_after_s']:.1f} s, resume "
                f"{s['resume_s']:.1f} s: {s['time_lost_s']:.1f} s lost in all. Checkpoint writes (s): "
                f"{', '.join(f'{w:.2f}' for w in s['checkpoint_write_s'])}; model directory {s['model_mb']:.0f} MB.",
                "",
                f"GloVe iteration costs uninterrupted: {', '.join(f'{x:.4f}' for x in g['uninterrupted_costs'])}; "
                f"resumed after the iteration-3 checkpoint: {', '.join(f'{x:.4f}' for x in g['resumed_costs'])} "
                f"(first resumed / uninterrupted = {g['first_resumed_vs_uninterrupted']:.3f}).",
                "",
                "Words only the second half has, neighbours after `--init-from`:",
                "",
                *[f"- {w}: {', '.join(n)}" for w, n in c["new_words"].items()],
                "",
            ]
        )
    )
    print(f"wrote {out}.md")


if __name__ == "__main__":
    main()
