"""``compare`` and ``sweep``: each run is a real ``embedkit train`` on the same corpus, the table
and JSON hold the scores the vectors really get, the figure is written; bad input is one line."""

import json

import pytest

from badinput import assert_clean_error, cli_run, unchanged
from embedkit.datasets import dataset_path
from embedkit.errors import EmbedkitError
from embedkit.evaluate import evaluate_similarity
from embedkit.experiments import parse_sweep
from embedkit.vectors import Embeddings


@pytest.mark.slow
def test_compare_trains_each_family_and_scores_it(wiki_slice, tmp_path):
    out = tmp_path / "cmp"
    result = cli_run("compare", wiki_slice, "--models", "sgns,ppmi", "--dim", 20, "-o", out)
    assert result.exit_code == 0, result.output
    payload = json.loads((out / "compare.json").read_text())
    assert [r["label"] for r in payload["runs"]] == ["sgns", "ppmi"]
    assert (out / "compare.png").stat().st_size > 1000
    for run in payload["runs"]:
        vectors = Embeddings.load(run["vectors"])
        assert vectors.dim == 20 and run["seconds"] > 0 and run["peak_rss_mib"] > 50
        ws = next(r["score"] for r in run["scores"] if r["dataset"] == "wordsim353")
        assert ws == pytest.approx(evaluate_similarity(vectors, dataset_path("wordsim353")[1]).spearman)
    assert Embeddings.load(out / "sgns.bin").words == Embeddings.load(out / "ppmi.bin").words  # one vocabulary
    assert "wordsim353" in result.output and "peak MiB" in result.output


@pytest.mark.slow
def test_sweep_trains_once_per_value(wiki_slice, tmp_path):
    out = tmp_path / "sw"
    result = cli_run("sweep", wiki_slice, "--model", "ppmi", "--window", "2,4", "--dim", 16, "-o", out, "--json")
    assert result.exit_code == 0, result.output
    assert '"runs"' in result.output  # --json prints the file instead of the table
    payload = json.loads((out / "sweep.json").read_text())
    assert [r["label"] for r in payload["runs"]] == ["window=2", "window=4"]
    assert payload["about"]["option"] == "--window" and payload["about"]["values"] == ["2", "4"]
    first, second = (Embeddings.load(r["vectors"]) for r in payload["runs"])
    assert first.dim == 16 and (first.vectors != second.vectors).any()
    assert (out / "sweep.png").is_file()


def test_parse_sweep_finds_the_one_listed_option():
    assert parse_sweep(["--dim", "50", "--window", "2,5,10"]) == ("--window", ["2", "5", "10"], ["--dim", "50"])
    with pytest.raises(EmbedkitError, match="exactly one option"):
        parse_sweep(["--window", "5"])
    with pytest.raises(EmbedkitError, match="one option at a time"):
        parse_sweep(["--window", "2,5", "--dim", "10,20"])


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["compare", "--models", "sgns"], 2, "CORPUS"),
        (["compare", "corpus.txt", "--models", "sgns,word2vec"], 2, "--models takes"),
        (["compare", "corpus.txt", "--models", "ppmi", "-o", "no/such/dir"], 1, "output directory"),
        (["compare", "corpus.txt", "--models", "ppmi", "--window", "0"], 1, "ppmi failed"),
        (["compare", "missing.txt", "--models", "ppmi"], 1, "ppmi failed"),
        (["sweep", "corpus.txt", "--window", "5"], 1, "exactly one option"),
        (["sweep", "corpus.txt", "--window", "2,5", "--dim", "8,16"], 1, "one option at a time"),
        (["sweep", "corpus.txt", "--model", "nope", "--window", "2,5"], 2, "--model"),
    ],
)
def test_bad_input_is_one_clean_line(small_corpus, monkeypatch, args, code, message):
    monkeypatch.chdir(small_corpus.parent)
    with unchanged(small_corpus.parent):
        result = cli_run(*args)
    assert result.exit_code == code, result.output
    if code == 1:
        assert_clean_error(result, contains=message)
    else:
        assert message in result.output


def test_parse_sweep_takes_the_equals_form():
    assert parse_sweep(["--window=2,5", "--dim=8"]) == ("--window", ["2", "5"], ["--dim", "8"])
