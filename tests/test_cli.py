"""The command line, driven through click's CliRunner: every command and its error paths."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import embedkit
from conftest import vocab_size
from embedkit.cli import cli
from embedkit.config import packaged_configs
from embedkit.datasets import dataset_path
from embedkit.vectors import Embeddings

FAST = ["--dim", "8", "--epochs", "1", "--threads", "1", "-q"]
CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.toml"))


def run(*args, env=None):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def n_words(small_corpus) -> int:
    """How many words of ``small_corpus`` a default ``train`` keeps (min_count 5)."""
    return vocab_size(small_corpus, min_count=5)


@pytest.fixture
def vectors_file(tmp_path):
    """Random vectors over the WS-353 words plus the analogy toy words."""
    words = []
    for line in dataset_path("wordsim353")[1].read_text().splitlines():
        if not line.startswith("#"):
            words += [w for w in line.lower().split("\t")[:2] if w not in words]
    words += [w for w in ("king", "queen", "man", "woman") if w not in words]
    vectors = np.random.default_rng(0).normal(size=(len(words), 10)).astype(np.float32)
    royal, male, female = vectors[:3] * 3
    for word, vec in {"king": royal + male, "queen": royal + female, "man": male, "woman": female}.items():
        vectors[words.index(word)] = vec
    path = tmp_path / "vectors.txt"
    Embeddings(words, vectors).save(path)
    return path


def test_train_writes_vectors_and_a_summary(tmp_path, small_corpus, n_words):
    out = tmp_path / "out.bin"
    result = run("train", "--model", "sgns", small_corpus, "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"sgns: {n_words} words x 8 dims, 1 epochs") and f"wrote {out}" in result.output
    assert Embeddings.load(out).vectors.shape == (n_words, 8)


@pytest.mark.parametrize(
    "model,loss,name", [("cbow", "ns", "cbow"), ("sgns", "hs", "sg-hs"), ("cbow", "hs", "cbow-hs")]
)
def test_train_cbow_and_hierarchical_softmax(tmp_path, small_corpus, n_words, model, loss, name):
    out = tmp_path / "out.txt"
    result = run("train", "--model", model, "--loss", loss, small_corpus, "-o", out, *FAST)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{name}: {n_words} words x 8 dims")


def test_vectors_out_concat_and_its_error_with_hs(tmp_path, small_corpus):
    out = tmp_path / "out.bin"
    assert run("train", small_corpus, "-o", out, "--vectors-out", "concat", *FAST).exit_code == 0
    assert Embeddings.load(out).dim == 16
    result = run("train", small_corpus, "-o", tmp_path / "hs.bin", "--loss", "hs", "--vectors-out", "sum", *FAST)
    assert result.exit_code == 1 and "needs negative sampling" in result.output
    assert not (tmp_path / "hs.bin").exists()


def test_train_glove_and_options_that_do_not_apply(tmp_path, small_corpus, n_words):
    out = tmp_path / "glove.txt"
    result = run(
        "train",
        "--model",
        "glove",
        small_corpus,
        "-o",
        out,
        "--iter",
        "2",
        "--x-max",
        "10",
        "--window",
        "4",
        "--dim",
        "8",
        "--threads",
        "1",
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"glove: {n_words} words x 8 dims, 2 iterations over ")
    assert Embeddings.load(out).vectors.shape == (n_words, 8)
    result = run("train", "--model", "sgns", small_corpus, "--x-max", "10", "--memory", "2", *FAST)
    assert result.exit_code == 2 and "--x-max, --memory do not apply to --model sgns" in result.output
    result = run("train", "--model", "glove", small_corpus, "--negative", "3", *FAST)
    assert result.exit_code == 2 and "--negative does not apply to --model glove" in result.output
    result = run("train", "--model", "glove", small_corpus, "--window", "300", "-o", tmp_path / "bad.bin", *FAST)
    assert result.exit_code == 1 and "window must be in [1, 255]" in result.output
    assert not (tmp_path / "bad.bin").exists()


def test_cooccur_writes_a_scipy_npz_reused_by_training(tmp_path, small_corpus, n_words):
    from scipy import sparse

    out = tmp_path / "x.npz"
    result = run("cooccur", small_corpus, "-o", out, "--window", "4")
    assert result.exit_code == 0, result.output
    assert f"nonzero co-occurrences of {n_words} words" in result.output
    assert sparse.load_npz(out).shape == (n_words, n_words)
    trained = run(
        "train",
        "--model",
        "glove",
        small_corpus,
        "--window",
        "4",
        "-o",
        tmp_path / "v.bin",
        "--dim",
        "8",
        "--iter",
        "1",
    )
    assert "using cached co-occurrences" in trained.output
    assert run("cooccur", small_corpus, "-o", tmp_path / "missing" / "x.npz").exit_code == 1
    assert run("cooccur", small_corpus, "-o", out, "--window", "0").exit_code == 2


@pytest.mark.parametrize("model", ["glove", "ppmi"])
def test_count_models_on_lines_of_single_words_fail_clearly(tmp_path, model):
    corpus = tmp_path / "single.txt"
    corpus.write_text("alpha\nbeta\nalpha\nbeta\ngamma\n", encoding="utf-8")
    result = run("train", "--model", model, corpus, "--min-count", "1", "--dim", "2", "-o", tmp_path / "v.bin", "-q")
    assert result.exit_code == 1 and "no line has two in-vocabulary words" in result.output
    assert not (tmp_path / "v.bin").exists()


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_are_valid(tmp_path, small_corpus, config):
    svd_model = tomllib.loads(config.read_text())["model"] in ("ppmi", "lsa")
    fast = ["--dim", "8", "-q"] if svd_model else FAST  # no epochs or threads there
    result = run("train", "--config", config, small_corpus, "-o", tmp_path / "v.bin", *fast)
    assert result.exit_code == 0, result.output


def test_config_by_name_is_the_packaged_file(tmp_path, small_corpus, n_words, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no configs/ directory here: the name must resolve inside the package
    assert sorted(p.stem for p in CONFIGS) == packaged_configs()
    out = tmp_path / "v.bin"
    result = run(
        "train", "--config", "glove", small_corpus, "-o", out, "--dim", "8", "--iter", "1", "--threads", "1", "-q"
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"glove: {n_words} words x 8 dims, 1 iterations over ")  # model from the file
    result = run("train", "--config", "glovee", small_corpus, "-o", out, *FAST)
    assert result.exit_code == 2 and "no packaged config 'glovee' (packaged: cbow, glove," in result.output


def test_version_is_the_package_version():
    result = run("--version")
    assert result.exit_code == 0 and result.output == f"embedkit, version {embedkit.__version__}\n"


def test_train_count_models_and_their_options(tmp_path, small_corpus, n_words):
    result = run(
        "train",
        "--model",
        "ppmi",
        small_corpus,
        "-o",
        tmp_path / "p.bin",
        "--dim",
        "8",
        "--ppmi-shift",
        "2",
        "--eig",
        "0",
        "--vectors-out",
        "sum",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(f"ppmi: {n_words} words x 8 dims from a matrix with")
    assert "svd:" in result.output and "peak RSS" in result.output
    result = run(
        "train",
        "--model",
        "lsa",
        small_corpus,
        "-o",
        tmp_path / "l.bin",
        "--dim",
        "8",
        "--doc-window",
        "50",
        "--stopwords",
        "none",
        "--raw-tf",
        "--idf",
        "plain",
        "-q",
    )
    assert result.exit_code == 0 and Embeddings.load(tmp_path / "l.bin").vectors.shape == (n_words, 8)
    result = run("train", "--model", "lsa", small_corpus, "--epochs", "3", "-o", tmp_path / "x.bin")
    assert result.exit_code == 2 and "--epochs does not apply to --model lsa" in result.output
    result = run("train", "--model", "ppmi", small_corpus, "--dim", "500", "-o", tmp_path / "big.bin", "-q")
    assert result.exit_code == 1 and f"dim must be at most {n_words - 1}" in result.output
    assert not (tmp_path / "big.bin").exists()
    result = run("train", "--model", "lsa", small_corpus, "--stopwords", tmp_path / "none.txt", "-q")
    assert result.exit_code == 1 and "cannot read stopword list" in result.output


def test_queries_use_the_vectors_train_wrote_in_the_directory(tmp_path, small_corpus, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("train", small_corpus, *FAST).exit_code == 0
    result = run("similar", "w3", "-n", "4")
    assert result.exit_code == 0 and len(result.output.splitlines()) == 4
    assert "w3\t" not in result.output
    assert run("similarity", "w1", "w2").output.strip().replace(".", "").lstrip("-").isdigit()
    assert len(run("analogy", "w1", "w2", "w3", "-n", "2").output.splitlines()) == 2


def test_environment_variable_and_flag_choose_the_vectors(tmp_path, vectors_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("analogy", "king", "man", "woman", env={"EMBEDKIT_VECTORS": str(vectors_file)}).output.startswith(
        "queen"
    )
    result = run("analogy", "king", "man", "woman", "--method", "3cosmul", "--vectors", vectors_file)
    assert result.output.startswith("queen\t")


def test_missing_vectors_give_a_hint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("similar", "king")
    assert result.exit_code == 1
    assert "vectors file not found: vectors.bin (train first" in result.output


def test_unknown_word_names_the_word(vectors_file):
    result = run("similar", "xyzzy", "--vectors", vectors_file)
    assert result.exit_code == 1 and result.output.strip() == "Error: word not in vocabulary: 'xyzzy'"
    assert run("analogy", "king", "xyzzy", "woman", "--vectors", vectors_file).exit_code == 1


def test_evaluate_named_and_custom_datasets(tmp_path, vectors_file):
    result = run("evaluate", "wordsim353", "--vectors", vectors_file)
    assert result.exit_code == 0 and result.output.startswith("wordsim353: Spearman rho")
    result = run("evaluate", "google-analogy", "--vectors", vectors_file, "--json")
    payload = json.loads(result.output)
    assert payload["questions"] == 6 and payload["oov_questions"] == 19544 - 6
    assert payload["accuracy"] == payload["correct"] / 6 and payload["sections"][0][0] == "capital-common-countries"
    custom = tmp_path / "mine.txt"
    custom.write_text("king\tqueen\t9\nman\twoman\t8\ntiger\tcat\t7\nking\tcat\t1\n")
    result = run("evaluate", "--dataset", custom, "--vectors", vectors_file)
    assert result.exit_code == 0 and result.output.startswith("mine: Spearman rho") and "4/4 pairs" in result.output
    analogy = tmp_path / "an.txt"
    analogy.write_text(": royal\nman king woman queen\n")
    assert "accuracy 1.0000" in run("evaluate", "--dataset", analogy, "--vectors", vectors_file).output
    assert run("evaluate", "--vectors", vectors_file).exit_code == 2
    assert run("evaluate", "nosuchset", "--vectors", vectors_file).exit_code == 2


def test_vocab_command(tmp_path, small_corpus):
    out = tmp_path / "vocab.txt"
    result = run("vocab", small_corpus, "-o", out, "--min-count", "1")
    assert result.exit_code == 0 and "200 words" in result.output
    lines = out.read_text().splitlines()
    counts = [int(line.split()[1]) for line in lines]
    assert lines[0].startswith("w0 ") and counts == sorted(counts, reverse=True)


def test_config_file_fills_options_and_flags_win(tmp_path, small_corpus):
    config = tmp_path / "c.toml"
    config.write_text('model = "sgns"\ndim = 6\nepochs = 1\nthreads = 1\nmin_count = 50\n')
    out = tmp_path / "v.txt"
    result = run("train", "--config", config, small_corpus, "-o", out, "--dim", "5", "-q")
    assert result.exit_code == 0, result.output
    vectors = Embeddings.load(out)
    assert vectors.dim == 5 and len(vectors) < 60  # dim from the flag, min_count from the file
    config.write_text("dim = 6\nwindoww = 3\n")
    result = run("train", "--config", config, small_corpus)
    assert result.exit_code == 2 and "unknown key(s): windoww" in result.output


@pytest.mark.parametrize(
    "setup,args,message",
    [
        (lambda p: None, ["--min-count", "1"], "corpus file not found"),
        (lambda p: p.write_text(""), [], "the corpus is empty"),
        (lambda p: p.write_bytes(bytes(range(256)) * 64), [], "looks like a binary file"),
        (lambda p: p.write_text("a b c a b\n"), ["--min-count", "5"], "no word occurs at least min_count=5"),
        (lambda p: p.write_text("a b c\n" * 50), ["--dim", "0"], "dim must be in [1, 1,000,000], got 0"),
        (lambda p: p.write_text("a b c d\n" * 500), ["--alpha", "1e12"], "diverged"),
    ],
)
def test_bad_training_input_is_one_line_and_leaves_no_output(tmp_path, setup, args, message):
    corpus = tmp_path / "corpus.txt"
    setup(corpus)
    out = tmp_path / "out.bin"
    result = run("train", corpus, "-o", out, "--dim", "4", "--epochs", "2", "--threads", "1", "-q", *args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_reading_changes_are_reported(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_bytes(b"a b c d e f g h a b c d\n" * 20 + b"a b \xff c\n")
    result = run("train", corpus, "-o", tmp_path / "v.bin", "--max-sentence-length", "5", "--min-count", "1", *FAST)
    assert result.exit_code == 0, result.output
    assert "warning: 20 line(s) longer than the maximum sentence length were split" in result.output
    assert "warning: 1 line(s) contained invalid UTF-8 bytes" in result.output


def test_output_in_a_missing_directory_fails_before_training(tmp_path, small_corpus):
    result = run("train", small_corpus, "-o", tmp_path / "no" / "such" / "v.bin", *FAST)
    assert result.exit_code == 1 and "does not exist" in result.output


@pytest.mark.parametrize(
    "content,message",
    [
        (b"3 2\na 1 2\n", "announces 3 rows"),
        (b"5 4\nab" + b"\x00" * 9, "truncated"),
        (b"\n\n", "empty"),
        (b"2 2\na 1 2\na 3 4\n", "'a' appears more than once"),
    ],
)
def test_malformed_vectors_file_is_a_clean_error(tmp_path, content, message):
    path = tmp_path / "bad.bin"
    path.write_bytes(content)
    result = run("similar", "a", "--vectors", path)
    assert result.exit_code == 1 and message in result.output


def test_debug_shows_the_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["--debug", "similar", "a", "--vectors", str(tmp_path / "none.bin")])
    assert result.exit_code == 1 and result.exception is not None and type(result.exception).__name__ == "EmbedkitError"


def test_python_dash_m_and_help():
    done = subprocess.run([sys.executable, "-m", "embedkit", "-h"], capture_output=True, text=True, check=True)
    for command in ("train", "similar", "similarity", "analogy", "evaluate", "vocab"):
        assert command in done.stdout


def test_limit_loads_the_first_rows_for_queries_info_and_convert(tmp_path, vectors_file):
    """--limit N (gensim's limit) on the loading commands: the first N words only; below 1 a usage error."""
    words = Embeddings.load(vectors_file).words
    result = run("info", "--limit", 3, "--vectors", vectors_file)
    assert result.exit_code == 0 and "words       3\n" in result.output
    result = run("similar", words[0], "-n", 10, "--limit", 5, "--vectors", vectors_file)
    assert result.exit_code == 0 and sorted(line.split("\t")[0] for line in result.output.splitlines()) == sorted(
        words[1:5]
    )
    assert run("similarity", words[0], words[9], "--limit", 5, "--vectors", vectors_file).exit_code != 0
    result = run("convert", vectors_file, tmp_path / "head.bin", "--limit", 4)
    assert result.exit_code == 0 and Embeddings.load(tmp_path / "head.bin").words == words[:4]
    result = run("info", "--limit", 0, "--vectors", vectors_file)
    assert result.exit_code == 2 and "--limit" in result.output


def test_export_projector_tsv_pair_escapes_words_and_refuses_bad_prefixes(tmp_path):
    """The Projector's pair: one tab-separated vector per line, one label per line (no header for a
    single column), tabs/newlines/backslashes in words escaped; --limit keeps the first rows; a
    prefix in a missing directory is a one-line error and nothing is written."""
    from embedkit.projector import write_projector

    words = ["the", "new\tyork", "a\\b", "x y"]
    vectors = np.arange(12, dtype=np.float32).reshape(4, 3) / 7
    source = tmp_path / "v.npy"  # the native format holds words with tabs and spaces
    Embeddings(words, vectors).save(source)
    write_projector(Embeddings(["x\ny", "r\r"], vectors[:2]), tmp_path / "lib")
    assert (tmp_path / "lib_metadata.tsv").read_bytes() == b"x\\ny\nr\\r\n"
    result = run("export", "--projector", tmp_path / "out", "--vectors", source)
    assert result.exit_code == 0, result.output
    tensor = np.loadtxt(tmp_path / "out_tensor.tsv", delimiter="\t", dtype=np.float32)
    np.testing.assert_array_equal(tensor, vectors)
    assert (tmp_path / "out_metadata.tsv").read_text() == "the\nnew\\tyork\na\\\\b\nx y\n"
    assert run("export", "--projector", tmp_path / "top", "--limit", 2, "--vectors", source).exit_code == 0
    assert (tmp_path / "top_metadata.tsv").read_text() == "the\nnew\\tyork\n"
    assert len((tmp_path / "top_tensor.tsv").read_text().splitlines()) == 2
    result = run("export", "--projector", tmp_path / "missing" / "out", "--vectors", source)
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "missing").exists()
    assert run("export", "--projector", tmp_path / "x", "--vectors", tmp_path / "none.bin").exit_code != 0


def test_the_command_line_starts_without_numba():
    """numba (about 150 MB resident, a second to import) loads with the trainers, not with the
    CLI: a query command must not pay for it. The phrase and remapping kernels once slipped in
    through module-level imports."""
    code = "import sys, embedkit.cli, embedkit.encode, embedkit.sharded; print('numba' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
