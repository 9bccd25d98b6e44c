"""Markdown tables from a benchmark-suite JSON file (``scripts/bench_suite.py``), and the README section.

    python scripts/bench_table.py [SUITE.json] [--readme README.md]

Prints the README section generated from SUITE.json (default: the newest ``bench/suite-*.json``).
With ``--readme`` it replaces the text between ``<!-- bench:start -->`` and ``<!-- bench:end -->``
in that file instead, leaving everything outside the markers byte for byte (``make bench-readme``).

Every run is listed with its flags (``busy: load 1.70`` when the 1-minute load average was still
above the suite's bound when the run started); means are over all runs, busy ones included, and
ratios are embedkit / peer of the means.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from _benchutil import ROOT, write_text

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"
TOOLS = {"embedkit": "embedkit", "gensim": "gensim", "stanford": "Stanford GloVe"}
MODELS = {
    "sgns": "SGNS",
    "cbow": "CBOW",
    "sg-hs": "SG-HS",
    "cbow-hs": "CBOW-HS",
    "glove": "GloVe",
    "ppmi": "PPMI-SVD",
    "lsa-lines": "LSA, line documents",
    "lsa-1000": "LSA, 1000-token documents",
}
DASH = "–"


def _mean(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.fmean(values) if values else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _num(value: float | None, spec: str = ".3f") -> str:
    return DASH if value is None else format(value, spec)


def _rate(value: float | None) -> str:
    return DASH if value is None else f"{value / 1000:,.0f}k"


def _seconds(value: float | None) -> str:
    return _num(value, ".1f")


def _megabytes(value: float | None) -> str:
    return _num(value, ".0f")


def _flagged(row: dict, text: str) -> str:
    return f"{text} ({'; '.join(row['flags'])})" if row.get("flags") else text


def _runs(rows: list[dict], key: str, fmt: Callable[[float | None], str], flags: bool = True) -> str:
    """Each run's value (with its flags), then the mean when there are several: ``352k; 349k; mean 350k``."""
    cells = [_flagged(r, fmt(r.get(key))) if flags else fmt(r.get(key)) for r in rows]
    if len(rows) > 1:
        cells.append(f"mean {fmt(_mean(rows, key))}")
    return "; ".join(cells) or DASH


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _grouped(runs: list[dict], group: str) -> dict[str, dict[str, list[dict]]]:
    """model -> tool -> that model's runs by that tool, in run order."""
    found: dict[str, dict[str, list[dict]]] = {}
    for row in runs:
        if row["group"] == group:
            found.setdefault(row["model"], {}).setdefault(row["tool"], []).append(row)
    return found


def _scalars(result: dict, prefix: str = "") -> str:
    """Numbers and booleans as ``key value``, one level of nested dicts as ``outer.key value``; nothing else."""
    parts = []
    for key, value in result.items():
        if isinstance(value, dict) and not prefix:
            parts.append(_scalars(value, f"{key}."))
        elif isinstance(value, bool | int):
            parts.append(f"{prefix}{key} {value}")
        elif isinstance(value, float):
            parts.append(f"{prefix}{key} {value:.4g}")
    return ", ".join(part for part in parts if part)


def _details(row: dict) -> str:
    parts = []
    if row.get("stages"):
        parts.append(", ".join(f"{k} {v:.1f}" for k, v in row["stages"].items()))
    if row.get("nnz") is not None:
        parts.append(f"{row['nnz']:,} nonzeros")
    if row.get("result"):
        parts.append(_scalars(row["result"]))
    return "; ".join(parts)


def _word2vec(suite: dict, heading: str) -> list[str]:
    models = _grouped(suite["runs"], "word2vec")
    if not models:
        return []
    agreement = {(a["model"], a["tool"]): a["median_cosine"] for a in suite.get("agreement", [])}
    lines = [
        f"{heading} word2vec against gensim",
        "",
        "| model | embedkit words/s | gensim words/s | ratio | peak RSS MB | WS-353 | SimLex-999 | analogy "
        "| 2-thread agreement |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model, tools in models.items():
        ours, peers = tools.get("embedkit", []), tools.get("gensim", [])

        def pair(key: str, spec: str, ours=ours, peers=peers) -> str:
            return f"{_num(_mean(ours, key), spec)} / {_num(_mean(peers, key), spec)}"

        ratio = _ratio(_mean(ours, "words_per_s"), _mean(peers, "words_per_s"))
        agree = f"{_num(agreement.get((model, 'embedkit')))} / {_num(agreement.get((model, 'gensim')))}"
        lines.append(
            _row(
                [
                    MODELS.get(model, model),
                    _runs(ours, "words_per_s", _rate),
                    _runs(peers, "words_per_s", _rate),
                    _num(ratio, ".2f"),
                    pair("peak_rss_mb", ".0f"),
                    pair("wordsim353", ".3f"),
                    pair("simlex999", ".3f"),
                    pair("google_analogy", ".3f"),
                    agree,
                ]
            )
        )
    lines += [
        "",
        "words/s: in-vocabulary corpus tokens x epochs / training seconds, the same token count for both tools; "
        "ratio: embedkit / gensim of the mean words/s. Pairs are embedkit / gensim means. Agreement: median over "
        "the vocabulary of the cosine between a word's vectors in runs 1 and 2 (same seed; thread races make them "
        "differ). Analogy: Google set, 30k most frequent words.",
        "",
    ]
    return lines


def _count(suite: dict, heading: str) -> list[str]:
    models = _grouped(suite["runs"], "count")
    if not models:
        return []
    lines = [
        f"{heading} Count models",
        "",
        "| model | tool | end to end s | stages s (means) | peak RSS MB | nonzeros | WS-353 | SimLex-999 | analogy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for model, tools in models.items():
        for tool, rows in tools.items():
            stages = rows[0].get("stages") or {}
            means = ", ".join(f"{k} {statistics.fmean(r['stages'][k] for r in rows):.1f}" for k in stages)
            nnz = rows[0].get("nnz")
            lines.append(
                _row(
                    [
                        MODELS.get(model, model),
                        TOOLS.get(tool, tool),
                        _runs(rows, "wall_s", _seconds),
                        means or DASH,
                        _megabytes(_mean(rows, "peak_rss_mb")),
                        DASH if nnz is None else f"{nnz:,}",
                        _num(_mean(rows, "wordsim353")),
                        _num(_mean(rows, "simlex999")),
                        _num(_mean(rows, "google_analogy")),
                    ]
                )
            )
    lines.append("")
    glove = models.get("glove", {})
    if glove.get("stanford") and glove.get("embedkit"):
        speedup = _ratio(_mean(glove["stanford"], "wall_s"), _mean(glove["embedkit"], "wall_s"))
        lines += [f"GloVe end to end, Stanford / embedkit of the means: {_num(speedup, '.2f')}x.", ""]
    return lines


def _analogy(suite: dict, heading: str) -> list[str]:
    rows = [r for r in suite["runs"] if r["group"] == "analogy"]
    if not rows:
        return []
    lines = [
        f"{heading} Analogy evaluation",
        "",
        f"`{rows[0]['settings'].get('command', '')}` on {rows[0]['settings'].get('vectors', 'the vectors')}.",
        "",
        "| run | process s | result |",
        "|---|---|---|",
    ]
    for row in rows:
        lines.append(f"| {row['run']} | {_flagged(row, _seconds(row.get('process_s')))} | {_details(row) or DASH} |")
    return [*lines, ""]


def _growth(suite: dict, heading: str) -> list[str]:
    tools = _grouped(suite["runs"], "growth").get("sgns", {})
    if not tools:
        return []
    base = _grouped(suite["runs"], "word2vec").get("sgns", {})
    first = next(iter(tools.values()))[0]
    lines = [
        f"{heading} Growth: SGNS on the corpus concatenated {suite['meta'].get('growth_factor', '?')}x, 1 epoch",
        "",
        "| tool | tokens | words/s | vs 1x corpus | peak RSS MB | vs 1x corpus | WS-353 | analogy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for tool, rows in tools.items():
        base_rows = base.get(tool, [])
        lines.append(
            _row(
                [
                    TOOLS.get(tool, tool),
                    f"{first.get('words', 0):,}",
                    _runs(rows, "words_per_s", _rate),
                    _num(_ratio(_mean(rows, "words_per_s"), _mean(base_rows, "words_per_s")), ".2f"),
                    _runs(rows, "peak_rss_mb", _megabytes, flags=False),
                    _num(_ratio(_mean(rows, "peak_rss_mb"), _mean(base_rows, "peak_rss_mb")), ".2f"),
                    _num(_mean(rows, "wordsim353")),
                    _num(_mean(rows, "google_analogy")),
                ]
            )
        )
    ours, peers = tools.get("embedkit", []), tools.get("gensim", [])
    throughput = _ratio(_mean(ours, "words_per_s"), _mean(peers, "words_per_s"))
    rss = _ratio(_mean(ours, "peak_rss_mb"), _mean(peers, "peak_rss_mb"))
    lines += [
        "",
        f"embedkit / gensim: throughput {_num(throughput, '.2f')}, peak RSS {_num(rss, '.2f')}. "
        f"vs 1x corpus: against the same tool's SGNS rows above (the corpus once, word2vec epochs "
        f"{suite['meta']['epochs']}).",
        "",
    ]
    return lines


def _header(suite: dict) -> list[str]:
    meta = suite["meta"]
    machine, versions, policy = meta["machine"], meta["versions"], meta["load_policy"]
    runs = suite["runs"]
    busy = sum(1 for r in runs if r.get("flags"))
    software = ", ".join(
        f"{k} {versions[k]}" for k in ("Python", "numba", "numpy", "scipy", "gensim") if versions.get(k)
    )
    lines = [
        f"Run {meta['date']} on {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB RAM "
        f"({machine['os']}); {software}; embedkit {versions.get('embedkit')} at commit {versions.get('commit')}.",
        "",
        f"Corpus `{Path(meta['corpus']).name}`, {meta['threads']} threads, seed {meta['seed']}, word2vec epochs "
        f"{meta['epochs']}, {meta['repeats']} runs per tool alternating with the peer, each in a fresh process "
        "from the text. Before each run the 1-minute load average had to fall to "
        f"{policy['max_load']:g} (waiting up to {policy['wait_s']:g} s); "
        + (
            f"{busy} of {len(runs)} runs started on a busy machine or shared it; they are marked."
            if busy
            else f"none of the {len(runs)} runs was flagged busy."
        ),
        "",
    ]
    if meta.get("incomplete"):
        lines += [f"**Incomplete run**: {meta['incomplete'].splitlines()[0]}", ""]
    for name, why in meta.get("skipped", {}).items():
        lines += [f"Not run: {name} ({why}).", ""]
    return lines


def summary_markdown(suite: dict, heading: str = "##") -> str:
    """The header and the summary tables of a suite: every run's figure with its flags, means, ratios.

    Parameters
    ----------
    suite : dict
        The suite's JSON (``meta``, ``runs``, ``agreement``) as ``bench_suite.py`` writes it.
    heading : str
        Markdown heading prefix of the sections (``"##"`` in the suite's own file, deeper in the README).
    """
    lines = _header(suite)
    for section in (_word2vec, _count, _analogy, _growth):
        lines += section(suite, heading)
    return "\n".join(lines).rstrip("\n") + "\n"


def runs_markdown(suite: dict) -> str:
    """One row per run: load before it, CPU others used meanwhile, times, peak RSS, quality, flags."""
    lines = [
        "| group | model | tool | run | load | waited s | others cores | process s | wall s | train s | words/s "
        "| peak RSS MB | WS-353 | SimLex-999 | analogy | details | flags |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in suite["runs"]:
        cells = [r["group"], r["model"], TOOLS.get(r["tool"], r["tool"]), str(r["run"])]
        cells += [_num(r.get("load_before"), ".2f"), _num(r.get("waited_s"), ".0f"), _num(r.get("others_cores"), ".2f")]
        cells += [_seconds(r.get(key)) for key in ("process_s", "wall_s", "train_s")]
        cells += [_rate(r.get("words_per_s")), _megabytes(r.get("peak_rss_mb"))]
        cells += [_num(r.get(key)) for key in ("wordsim353", "simlex999", "google_analogy")]
        cells += [_details(r) or DASH, "; ".join(r.get("flags", [])) or DASH]
        lines.append(_row(cells))
    return "\n".join(lines) + "\n"


def settings_markdown(suite: dict) -> str:
    """The exact settings of each kind of run, from its first run."""
    seen: dict[tuple, dict] = {}
    for r in suite["runs"]:
        seen.setdefault((r["group"], r["model"], r["tool"]), r.get("settings", {}))
    return "".join(
        f"- {group} {model} {TOOLS.get(tool, tool)}: {', '.join(f'{k}={v}' for k, v in settings.items())}\n"
        for (group, model, tool), settings in seen.items()
    )


def suite_markdown(suite: dict) -> str:
    """The suite's own markdown file: summary, every run, settings and the command."""
    meta = suite["meta"]
    return (
        f"# Benchmark suite ({meta['date']})\n\n"
        + summary_markdown(suite, "##")
        + "\n## Every run\n\n"
        + "load: 1-minute load average when the run started; others cores: CPU seconds other processes used "
        "during the run per second (/proc/stat minus the run's own CPU time); process s: the whole process; "
        "wall s: from the worker's first import of the tool to the saved vectors.\n\n"
        + runs_markdown(suite)
        + "\n## Settings\n\n"
        + settings_markdown(suite)
        + f"\nCommand: `{meta['command']}`; {meta.get('duration_s', 0) / 60:.0f} minutes in all.\n"
    )


def readme_section(suite: dict, source: str) -> str:
    """The README's generated section: a pointer to the JSON file, then the summary."""
    return f"Generated by `make bench` (scripts/bench_suite.py) from [`{source}`]({source}).\n\n" + summary_markdown(
        suite, "####"
    )


def replace_section(text: str, section: str) -> str:
    """``text`` with what lies between the bench markers replaced by ``section``.

    Raises
    ------
    ValueError
        If ``text`` does not hold exactly one start marker followed by one end marker.
    """
    start, end = text.find(START), text.find(END)
    if text.count(START) != 1 or text.count(END) != 1 or end < start:
        raise ValueError(f"expected one {START} line and after it one {END} line")
    return text[: start + len(START)] + "\n" + section.strip("\n") + "\n" + text[end:]


def update_readme(readme: Path, suite: dict, suite_path: Path) -> bool:
    """Rewrite ``readme``'s bench section from ``suite`` (read from ``suite_path``); True if the file changed.

    Raises
    ------
    ValueError
        If the markers are missing or out of order (see :func:`replace_section`).
    """
    text = readme.read_text(encoding="utf-8")
    source = os.path.relpath(suite_path, readme.resolve().parent)
    new = replace_section(text, readme_section(suite, source))
    if new != text:
        write_text(readme, new)
    return new != text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", nargs="?", help="suite JSON file (default: the newest bench/suite-*.json)")
    parser.add_argument("--readme", help="rewrite this file's section between the bench markers")
    args = parser.parse_args()
    if args.suite:
        path = Path(args.suite)
    else:
        found = sorted((ROOT / "bench").glob("suite-*.json"))
        if not found:
            sys.exit("error: no bench/suite-*.json; run `make bench` first or name a file")
        path = found[-1]
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
        section = readme_section(suite, os.path.relpath(path.resolve(), ROOT))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        sys.exit(f"error: {path}: not a readable suite file ({exc!r})")
    if not args.readme:
        print(section, end="")
        return
    try:
        changed = update_readme(Path(args.readme), suite, path.resolve())
    except (OSError, ValueError) as exc:
        sys.exit(f"error: {args.readme}: {exc}")
    print(f"{args.readme}: {'rewritten from' if changed else 'already matches'} {path}")


if __name__ == "__main__":
    main()
