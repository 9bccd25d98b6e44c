"""The lecture notes' experiments as one command each: ``compare`` (model families side by side)
and ``sweep`` (one option over a list of values).

Every run is ``embedkit train`` in its own process (so its wall time and peak RSS are its own,
and every option is checked as ``train`` checks it), all on the same corpus with the same corpus
and vocabulary options, hence the same cache entry and one shared vocabulary. The runs train
first and are scored afterwards (``evaluate_all``: every set shipped or found in the data
directory), so the scoring never inflates a training's peak RSS, which is the child's
``ru_maxrss`` from ``wait4`` (a floor of this small parent's size at fork is included).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import EmbedkitError, TrainingError
from .files import atomic_writer
from .vectors import Embeddings

#: The families ``compare`` trains by default, each from its packaged config.
FAMILIES = ("sgns", "cbow", "glove", "ppmi", "lsa")


@dataclass
class Run:
    """One training: its ``label``, the ``train`` arguments after the corpus, the ``vectors``
    written, wall ``seconds``, ``peak_rss_mib`` and, once scored, the ``evaluate all`` rows."""

    label: str
    arguments: list[str]
    vectors: str
    seconds: float = 0.0
    peak_rss_mib: float = 0.0
    scores: list[dict] = field(default_factory=list)

    def score(self, dataset: str, metric_prefix: str = "") -> float | None:
        """The score of one dataset (the first row whose metric starts with ``metric_prefix``)."""
        return next(
            (r["score"] for r in self.scores if r["dataset"] == dataset and r["metric"].startswith(metric_prefix)),
            None,
        )


def train_run(corpus: list[str], run: Run, log: Callable[[str], None]) -> None:
    """Train ``run`` in a fresh ``python -m embedkit train`` process; fill its time and RSS.

    Raises
    ------
    TrainingError
        If the training fails (with the last line it printed).
    """
    command = [sys.executable, "-m", "embedkit", "train", *corpus, *run.arguments, "-o", run.vectors, "-q"]
    log(f"{run.label}: embedkit train {' '.join([*corpus, *run.arguments])}")
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
    except BaseException:  # interrupted (SIGINT/SIGTERM) or failed: the training must not outlive us
        child.terminate()
        child.wait()
        raise
    child.returncode = os.waitstatus_to_exitcode(status)
    run.seconds = time.perf_counter() - started
    run.peak_rss_mib = usage.ru_maxrss / 1024
    if child.returncode != 0:
        last = next((line for line in reversed(output.splitlines()) if line.strip()), "no output")
        raise TrainingError(f"{run.label} failed (exit {child.returncode}): {last.removeprefix('Error: ')}")
    log(f"{run.label}: {run.seconds:.1f} s, peak RSS {run.peak_rss_mib:.0f} MiB")


def score_runs(runs: list[Run], data_dir: str | os.PathLike | None) -> list[str]:
    """Score every run on every dataset found; returns the notes of the sets skipped."""
    from .evaluate import evaluate_all

    notes: set[str] = set()
    for run in runs:
        results, skipped = evaluate_all(Embeddings.load(run.vectors), data_dir, methods=("3cosadd",))
        run.scores = [r.row() for r in results]
        notes.update(skipped)
    return sorted(notes)


def compare_runs(models: list[str], out_dir: Path, extra: list[str]) -> list[Run]:
    """One run per model family, each from its packaged config (``--config MODEL``) with the
    ``extra`` train options."""
    return [Run(model, ["--config", model, *extra], str(out_dir / f"{model}.bin")) for model in models]


def sweep_runs(model: str, option: str, values: list[str], out_dir: Path, extra: list[str]) -> list[Run]:
    """One run per value of ``option`` (a ``train`` flag such as ``--window``) for ``model``."""
    name = option.lstrip("-")
    return [
        Run(f"{name}={value}", ["--config", model, *extra, option, value], str(out_dir / f"{model}-{name}-{value}.bin"))
        for value in values
    ]


def table(runs: list[Run]) -> str:
    """A text table: one row per run, a column per dataset score, then seconds and peak RSS."""
    datasets = list(dict.fromkeys(r["dataset"] for run in runs for r in run.scores))
    header = f"{'run':<16}" + "".join(f"{d[:14]:>15}" for d in datasets) + f"{'train s':>10}{'peak MiB':>10}"
    lines = [header]
    for run in runs:
        cells = "".join(f"{_cell(run.score(d)):>15}" for d in datasets)
        lines.append(f"{run.label:<16}{cells}{run.seconds:>10.1f}{run.peak_rss_mib:>10.0f}")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def write_json(runs: list[Run], path: str | os.PathLike, about: dict) -> None:
    """``{"about": ..., "runs": [...]}`` written atomically."""
    with atomic_writer(path, "w") as fh:
        json.dump({"about": about, "runs": [asdict(r) for r in runs]}, fh, indent=1, allow_nan=False)
        fh.write("\n")


def plot_runs(runs: list[Run], path: str | os.PathLike, title: str, numeric: bool) -> None:
    """Scores per dataset: bars by run (``numeric`` False, compare) or lines against the swept
    value (``numeric`` True, sweep; the labels' values on the x axis). Written atomically."""
    from .plot import LITERAL_TEXT, _pyplot, save_figure

    plt = _pyplot()
    datasets = list(dict.fromkeys(r["dataset"] for run in runs for r in run.scores))
    figure, axes = plt.subplots(figsize=(8, 5))
    if numeric:
        xs = [float(run.label.split("=", 1)[1]) for run in runs]
        for dataset in datasets:
            points = [(x, run.score(dataset)) for x, run in zip(xs, runs) if run.score(dataset) is not None]
            axes.plot([x for x, _ in points], [y for _, y in points], marker="o", label=dataset)
        axes.set_xlabel(runs[0].label.split("=", 1)[0])
    else:
        width = 0.8 / max(len(runs), 1)
        for i, run in enumerate(runs):
            values = [run.score(d) or 0.0 for d in datasets]
            axes.bar([j + i * width for j in range(len(datasets))], values, width, label=run.label)
        axes.set_xticks([j + 0.4 - width / 2 for j in range(len(datasets))], datasets, rotation=30, ha="right")
    axes.set_ylabel("score (Spearman rho or accuracy)")
    axes.set_title(title, **LITERAL_TEXT)
    axes.legend(fontsize="small")
    figure.tight_layout()
    save_figure(figure, path)


def all_numbers(values: list[str]) -> bool:
    """Whether every swept value is a number (then the figure draws lines, else bars)."""
    try:
        [float(v) for v in values]
    except ValueError:
        return False
    return True


def parse_sweep(extra: list[str]) -> tuple[str, list[str], list[str]]:
    """Split the extra arguments of ``sweep`` into the swept option, its values and the rest.

    The swept option is the one whose value holds a comma (``--window 2,5,10`` or
    ``--window=2,5,10``).

    Raises
    ------
    EmbedkitError
        If no option, or more than one, has a comma-separated list.
    """
    extra = [
        part for item in extra for part in (item.split("=", 1) if item.startswith("--") and "=" in item else [item])
    ]
    swept = [i for i in range(len(extra) - 1) if extra[i].startswith("-") and "," in extra[i + 1]]
    if len(swept) != 1:
        raise EmbedkitError(
            "give exactly one option with a comma-separated list of values to sweep (e.g. --window 2,5,10)"
            if not swept
            else f"sweep one option at a time, not {', '.join(extra[i] for i in swept)}"
        )
    i = swept[0]
    values = [v.strip() for v in extra[i + 1].split(",") if v.strip()]
    return extra[i], values, extra[:i] + extra[i + 2 :]
