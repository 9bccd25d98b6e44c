"""Helpers shared by the benchmark scripts (run from ``scripts/``; not part of the package)."""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from embedkit.files import atomic_writer
from embedkit.memory import peak_rss_mib as peak_rss_mb  # noqa: F401 (re-exported for the scripts)
from embedkit.memory import total_memory_bytes

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "corpora" / "enwiki-100m.txt.gz"


def evaluate(vectors: str) -> dict:
    """WS-353 and SimLex-999 Spearman, Google-analogy accuracy (30k) and the rank of queen."""
    from embedkit.datasets import dataset_path
    from embedkit.evaluate import evaluate_analogy, evaluate_similarity
    from embedkit.vectors import Embeddings

    emb = Embeddings.load(vectors)
    return {
        "wordsim353": evaluate_similarity(emb, dataset_path("wordsim353")[1]).spearman,
        "simlex999": evaluate_similarity(emb, dataset_path("simlex999")[1]).spearman,
        "google_analogy": evaluate_analogy(emb, dataset_path("google-analogy")[1]).accuracy,
        "queen_rank": next(
            (i + 1 for i, (w, _) in enumerate(emb.analogy("king", "man", "woman", topn=10)) if w == "queen"), None
        ),
    }


def plain_text(corpus: Path, work: Path) -> Path:
    """Peers read uncompressed text: decompress once, untimed."""
    if corpus.suffix != ".gz":
        return corpus
    target = work / corpus.stem
    with gzip.open(corpus, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 24)
    return target


def checked_paths(corpus: str, out_dir: str) -> tuple[Path, Path]:
    """The corpus path (exits if it is missing) and the results directory (created)."""
    corpus_path = Path(corpus)
    if not corpus_path.is_file():
        sys.exit(f"error: corpus not found: {corpus_path}")
    results = Path(out_dir)
    results.mkdir(parents=True, exist_ok=True)
    return corpus_path, results


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    with atomic_writer(path, "w") as fh:
        fh.write(text)


def worker_row(cmd: list[str], label: str, policy: LoadPolicy, **keys) -> dict:
    """Run a benchmark worker process (:func:`measured_run`) whose last line of output is a JSON
    object; that object with ``keys`` and the run's measures, printed as one JSON line."""
    done, measures = measured_run(cmd, label, policy)
    row = {**keys, **json.loads(done.stdout.strip().splitlines()[-1]), **measures}
    print(json.dumps(row), flush=True)
    return row


def write_results(results: Path, name: str, settings: dict, rows: list[dict], table) -> None:
    """Write ``results/NAME-STAMP.json`` (settings, machine, versions, rows) and ``.md``
    (``table(payload)``), and print the table."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    payload = {"settings": settings, "machine": machine(), "versions": versions(), "rows": rows}
    write_text(results / f"{name}-{stamp}.json", json.dumps(payload, indent=1) + "\n")
    write_text(results / f"{name}-{stamp}.md", table(payload))
    print(table(payload))


def machine() -> dict:
    """This machine: CPU model (``/proc/cpuinfo``'s model name), cores, RAM (GiB) and OS."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    ram = total_memory_bytes()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(ram / 2**30, 1) if ram else None,
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
    }


def versions() -> dict:
    """Python's and the benchmarked packages' versions, and the checkout's git commit."""
    found = {"Python": platform.python_version()}
    for package in ("embedkit", "numba", "numpy", "scipy", "gensim"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
    found["commit"] = (commit + (" (uncommitted changes)" if dirty.stdout.strip() else "")) if commit else None
    return found


class Refused(Exception):
    """A run that could not be done: a busy machine under ``--strict``, or a failed worker."""


def failed(label: str, done: subprocess.CompletedProcess) -> Refused:
    """The :class:`Refused` for a command that exited non-zero: its last error line, then its standard error's tail."""
    lines = done.stderr.strip().splitlines() or [f"exit {done.returncode}"]
    return Refused(f"{label} failed: {lines[-1]}\n" + "\n".join(lines[-40:]))


def _cpu_seconds() -> tuple[float, float]:
    """Busy and steal CPU seconds of the whole machine since boot (``/proc/stat``; zeros elsewhere).

    Busy is user + nice + system + irq + softirq (guest time is inside user); idle, iowait and
    steal (time the hypervisor gave to another machine) are not busy.
    """
    try:
        with open("/proc/stat") as fh:
            ticks = [int(x) for x in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0, 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    hz = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / hz, steal / hz


def _children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished, waited-for descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class LoadPolicy:
    """When the machine counts as idle enough to time a run.

    Parameters
    ----------
    max_load : float
        Highest 1-minute load average (``os.getloadavg()[0]``) at which a run starts (default 0.5
        on a 2-core machine). The same bound applies to the cores other processes used during
        the run and to the CPU time the hypervisor stole from it.
    wait_s : float
        How long to wait for the load to fall to ``max_load`` before a run (default 120 s). The
        1-minute average decays with a 60 s time constant, so after a 2-thread run it takes
        about 85 s to fall from 2 to 0.5 on an otherwise idle machine.
    strict : bool
        Refuse (raise :class:`Refused`) instead of running a busy run and flagging it.
    poll_s : float
        Seconds between two looks at the load while waiting.
    """

    max_load: float = 0.5
    wait_s: float = 120.0
    strict: bool = False
    poll_s: float = 5.0

    def wait_for_idle(self, label: str) -> tuple[float, float]:
        """Wait until the load is at most ``max_load`` or ``wait_s`` have passed.

        Returns
        -------
        load, waited_s : float
            The 1-minute load average when the run starts, and the seconds waited for it.

        Raises
        ------
        Refused
            If ``strict`` and the load is still above ``max_load`` after ``wait_s``.
        """
        started = time.monotonic()
        load = os.getloadavg()[0]
        while load > self.max_load and time.monotonic() - started < self.wait_s:
            time.sleep(min(self.poll_s, max(0.0, self.wait_s - (time.monotonic() - started))))
            load = os.getloadavg()[0]
        if load > self.max_load and self.strict:
            raise Refused(f"{label}: load {load:.2f} still above {self.max_load:g} after {self.wait_s:g} s (--strict)")
        return load, time.monotonic() - started


def measured_run(
    cmd: list[str], label: str, policy: LoadPolicy, check: bool = True
) -> tuple[subprocess.CompletedProcess, dict]:
    """Run ``cmd`` once the machine is idle enough; the finished process and what the machine did meanwhile.

    Returns
    -------
    done : CompletedProcess
        With standard output and error as text.
    measures : dict
        ``load_before`` (1-minute load average at the start), ``waited_s``, ``process_s`` (the
        whole process, interpreter start and imports included), ``others_cores`` (CPU seconds
        of the machine's other processes during the run per second of the run: all busy CPU
        time from ``/proc/stat`` minus the run's own, from ``getrusage(RUSAGE_CHILDREN)``),
        ``steal_cores`` and ``flags`` (``"busy: load 1.70"`` and the like; empty on an idle
        machine).

    Raises
    ------
    Refused
        If the machine stays busy under ``policy.strict``, or the command fails and ``check`` is set.
    """
    load, waited = policy.wait_for_idle(label)
    flags = [f"busy: load {load:.2f}"] if load > policy.max_load else []
    print(f"{label} (load {load:.2f}, waited {waited:.0f} s) ...", flush=True)
    busy0, steal0 = _cpu_seconds()
    own0 = _children_cpu_seconds()
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode and check:
        raise failed(label, done)
    busy1, steal1 = _cpu_seconds()
    others = max(0.0, (busy1 - busy0) - (_children_cpu_seconds() - own0)) / seconds
    steal = (steal1 - steal0) / seconds
    if others > policy.max_load:
        flags.append(f"busy during the run: others {others:.2f} cores")
    if steal > policy.max_load:
        flags.append(f"steal {steal:.2f} cores")
    measures = {
        "load_before": round(load, 2),
        "waited_s": round(waited, 1),
        "process_s": seconds,
        "others_cores": round(others, 3),
        "steal_cores": round(steal, 3),
        "flags": flags,
    }
    return done, measures
