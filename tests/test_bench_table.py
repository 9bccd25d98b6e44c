"""scripts/bench_table.py: the suite's markdown from a small synthetic suite file, and the README rewrite."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import bench_table  # noqa: E402


def _run(group, model, tool, run, flags=(), **values):
    return {
        "group": group,
        "model": model,
        "tool": tool,
        "run": run,
        "settings": {"corpus": "enwiki-100m.txt", "dim": 100, "epochs": 1 if group == "growth" else 5},
        "load_before": 1.7 if flags else 0.1,
        "waited_s": 120.0 if flags else 0.0,
        "others_cores": 0.02,
        "steal_cores": 0.0,
        "process_s": 100.0 + run,
        "flags": list(flags),
        **values,
    }


def _quality(ws):
    return {"wordsim353": ws, "simlex999": 0.3, "google_analogy": 0.39, "queen_rank": 1}


@pytest.fixture
def suite():
    runs = [
        _run("word2vec", "sgns", "embedkit", 1, words_per_s=400_000.0, peak_rss_mb=240.0, **_quality(0.66)),
        _run("word2vec", "sgns", "gensim", 1, words_per_s=200_000.0, peak_rss_mb=190.0, **_quality(0.64)),
        _run("word2vec", "sgns", "embedkit", 2, words_per_s=300_000.0, peak_rss_mb=260.0, **_quality(0.68)),
        _run(
            "word2vec",
            "sgns",
            "gensim",
            2,
            flags=["busy: load 1.70"],
            words_per_s=150_000.0,
            peak_rss_mb=190.0,
            **_quality(0.66),
        ),
        _run("count", "ppmi", "embedkit", 1, wall_s=30.0, stages={"vocab+encode": 10.0, "svd": 18.0}, nnz=1_234_567),
        _run("count", "ppmi", "embedkit", 2, wall_s=34.0, stages={"vocab+encode": 12.0, "svd": 20.0}, nnz=1_234_567),
        {
            **_run(
                "analogy",
                "analogy",
                "bench_analogy.py",
                1,
                result={
                    "median_s": {"embedkit": 0.5, "gensim": 6.0},
                    "ratio": 12.0,
                    "equal": True,
                    "vectors": "x.bin",
                    "runs": [1],
                },
            ),
            "settings": {"command": "scripts/bench_analogy.py VECTORS", "vectors": "SGNS run 1"},
        },
        _run("growth", "sgns", "embedkit", 1, words=4_000_000, words_per_s=280_000.0, peak_rss_mb=500.0),
        _run("growth", "sgns", "gensim", 1, words=4_000_000, words_per_s=140_000.0, peak_rss_mb=380.0),
    ]
    meta = {
        "date": "2026-12-05 10:00 UTC",
        "machine": {"cpu": "Test CPU 9000", "cores": 2, "ram_gib": 7.8, "os": "Linux 6.1 x86_64"},
        "versions": {
            "Python": "3.11.7",
            "numba": "0.68.1",
            "gensim": "4.4.0",
            "embedkit": "0.1.0",
            "commit": "abc1234",
        },
        "corpus": "/data/enwiki-100m.txt.gz",
        "threads": 2,
        "seed": 1,
        "epochs": 5,
        "repeats": 2,
        "growth_factor": 4,
        "load_policy": {"max_load": 0.5, "wait_s": 120.0, "strict": False},
        "command": "python scripts/bench_suite.py",
        "duration_s": 3600.0,
        "skipped": {},
        "incomplete": None,
    }
    agreement = [
        {"model": "sgns", "tool": "embedkit", "runs": [1, 2], "median_cosine": 0.998, "words": 70_000},
        {"model": "sgns", "tool": "gensim", "runs": [1, 2], "median_cosine": 0.997, "words": 70_000},
    ]
    return {"meta": meta, "runs": runs, "agreement": agreement}


def _table_rows(markdown: str, first_cell: str) -> list[list[str]]:
    rows = [line.strip("|").split(" | ") for line in markdown.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row] for row in rows if row[0].strip() == first_cell]


def test_word2vec_row_lists_each_run_the_mean_and_the_ratio_of_means(suite):
    text = bench_table.summary_markdown(suite)
    (row,) = _table_rows(text, "SGNS")
    assert row[1] == "400k; 300k; mean 350k"
    assert row[2] == "200k; 150k (busy: load 1.70); mean 175k"
    assert row[3] == "2.00"  # 350k / 175k, not the best runs' 400k / 200k
    assert row[4] == "250 / 190"  # peak RSS means
    assert row[5] == "0.670 / 0.650"  # WS-353 means
    assert row[8] == "0.998 / 0.997"  # agreement of runs 1 and 2


def test_header_has_date_machine_versions_and_counts_busy_runs(suite):
    text = bench_table.summary_markdown(suite)
    assert "2026-12-05 10:00 UTC" in text and "Test CPU 9000, 2 cores, 7.8 GiB RAM" in text
    assert "Python 3.11.7, numba 0.68.1" in text and "gensim 4.4.0" in text and "commit abc1234" in text
    assert "1 of 9 runs" in text
    quiet = copy.deepcopy(suite)
    for run in quiet["runs"]:
        run["flags"] = []
    quiet_text = bench_table.summary_markdown(quiet)
    assert "none of the 9 runs was flagged busy" in quiet_text and "busy:" not in quiet_text


def test_count_analogy_and_growth_rows(suite):
    text = bench_table.summary_markdown(suite)
    (ppmi,) = _table_rows(text, "PPMI-SVD")
    assert ppmi[2] == "30.0; 34.0; mean 32.0"
    assert ppmi[3] == "vocab+encode 11.0, svd 19.0"
    assert ppmi[5] == "1,234,567"
    (analogy,) = _table_rows(text, "1")
    assert analogy[2] == "median_s.embedkit 0.5, median_s.gensim 6, ratio 12, equal True"
    growth = {row[0]: row for row in _table_rows(text, "embedkit") + _table_rows(text, "gensim")}
    assert growth["embedkit"][1:4] == ["4,000,000", "280k", "0.80"]  # 280k against the 1x corpus's 350k
    assert growth["gensim"][3] == "0.80"  # 140k against 175k
    assert "throughput 2.00, peak RSS 1.32" in text


def test_every_run_has_a_row_with_its_load_and_flags(suite):
    text = bench_table.suite_markdown(suite)
    runs = _table_rows(text, "word2vec")
    assert len(runs) == 4
    busy = [row for row in runs if row[-1] != bench_table.DASH]
    assert len(busy) == 1 and busy[0][2:5] == ["gensim", "2", "1.70"] and busy[0][-1] == "busy: load 1.70"
    assert "- word2vec sgns embedkit: corpus=enwiki-100m.txt, dim=100, epochs=5" in text


def test_incomplete_and_skipped_rows_are_said(suite):
    suite["meta"]["incomplete"] = "growth sgns gensim run 1: load 1.90 still above 0.5 after 120 s (--strict)"
    suite["meta"]["skipped"] = {"analogy": "scripts/bench_analogy.py does not exist"}
    text = bench_table.summary_markdown(suite)
    assert "**Incomplete run**: growth sgns gensim run 1: load 1.90" in text
    assert "Not run: analogy (scripts/bench_analogy.py does not exist)." in text


README = """# Project

Prose before.

## Performance

Intro kept.

<!-- bench:start -->
old generated table
<!-- bench:end -->

### Old hand-written table
| a | b |
"""


def test_replace_section_is_idempotent_and_keeps_text_outside_the_markers(suite):
    section = bench_table.readme_section(suite, "bench/suite-x.json")
    once = bench_table.replace_section(README, section)
    assert bench_table.replace_section(once, section) == once
    head, tail = README.split(bench_table.START)[0], README.split(bench_table.END)[1]
    assert once.startswith(head + bench_table.START + "\n") and once.endswith(bench_table.END + tail)
    assert "old generated table" not in once and "](bench/suite-x.json)" in once and "| SGNS |" in once


@pytest.mark.parametrize(
    "text",
    [
        "no markers",
        f"{bench_table.START}\nonly the start",
        f"{bench_table.END}\n{bench_table.START}\n",
        f"{bench_table.START}\n{bench_table.END}\n{bench_table.START}\n{bench_table.END}\n",
    ],
)
def test_replace_section_refuses_missing_or_misplaced_markers(text):
    with pytest.raises(ValueError, match="bench:start"):
        bench_table.replace_section(text, "x")


def test_command_line_rewrites_the_readme_once(suite, tmp_path):
    readme, suite_file = tmp_path / "README.md", tmp_path / "bench" / "suite-1.json"
    readme.write_text(README)
    suite_file.parent.mkdir()
    suite_file.write_text(json.dumps(suite))
    cmd = [sys.executable, str(SCRIPTS / "bench_table.py"), str(suite_file), "--readme", str(readme)]
    first = subprocess.run(cmd, capture_output=True, text=True)
    assert first.returncode == 0 and "rewritten" in first.stdout
    rewritten = readme.read_text()
    assert "](bench/suite-1.json)" in rewritten and "Intro kept." in rewritten
    second = subprocess.run(cmd, capture_output=True, text=True)
    assert second.returncode == 0 and "already matches" in second.stdout and readme.read_text() == rewritten
    suite_file.write_text("{not json")
    broken = subprocess.run(cmd, capture_output=True, text=True)
    assert broken.returncode == 1 and "Traceback" not in broken.stderr and len(broken.stderr.splitlines()) == 1
