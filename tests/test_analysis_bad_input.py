"""Bad input to the analysis commands (evaluate, datasets, bias weat, plot) ends in one clean
line or a correct result, never ``nan``, a traceback, a RuntimeWarning or a file left behind.

Vectors are tiny files written with ``Embeddings(words, vectors).save``; every run checks that
the directory holding its inputs and outputs is unchanged (or gained only the image it wrote).
"""

import errno
import json
import os
import time
import warnings

import numpy as np
import pytest

from badinput import assert_clean_error, cli_run, unchanged
from embedkit.bias import WeatTest, load_tests, weat
from embedkit.datasets import dataset_path
from embedkit.errors import ConfigError, EmbedkitError
from embedkit.evaluate import evaluate_analogy, evaluate_similarity
from embedkit.plot import plot_words, project
from embedkit.vectors import Embeddings

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")  # numpy/scipy warnings fail the test

WORDS = ["king", "queen", "man", "woman", "paris", "rome", "france", "italy", "cat", "tiger"]


def save(tmp_path, name, vectors, words=WORDS):
    path = tmp_path / name
    Embeddings(list(words), np.asarray(vectors, dtype=np.float32)).save(path)
    return path


@pytest.fixture
def work(tmp_path):
    """A directory with random, all-zero and all-equal vectors of WORDS."""
    rng = np.random.default_rng(4)
    save(tmp_path, "good.txt", rng.normal(size=(len(WORDS), 6)))
    save(tmp_path, "zero.txt", np.zeros((len(WORDS), 6)))
    save(tmp_path, "same.txt", np.ones((len(WORDS), 6)))
    return tmp_path


def run_in(directory, *args, allow=()):
    with unchanged(directory, allow=allow):
        return cli_run(*args)


def dataset_words(*names):
    words = []
    for name in names:
        for line in dataset_path(name)[1].read_text().splitlines():
            if not line.startswith(("#", ":")):
                words += [w.lower() for w in (line.split("\t")[:2] if "\t" in line else line.split())]
    return list(dict.fromkeys(words))


@pytest.fixture(scope="module")
def shipped_vectors(tmp_path_factory):
    """All-zero and all-equal vectors of every word of the shipped sets (google-analogy too)."""
    folder = tmp_path_factory.mktemp("shipped")
    words = dataset_words("wordsim353", "simlex999", "google-analogy")
    save(folder, "zero.npy", np.zeros((len(words), 4)), words)
    save(folder, "same.npy", np.ones((len(words), 4)), words)
    return folder


# ----------------------------------------------------------------------------- evaluate: vectors


@pytest.mark.parametrize(
    "vectors,name,message",
    [
        (
            "zero.npy",
            "google-analogy",
            "no analogy question has all its words in the vocabulary (with a nonzero vector)",
        ),
        ("zero.npy", "wordsim353", "fewer than two pairs"),
        ("zero.npy", "all", "no dataset could be scored"),
        ("same.npy", "wordsim353", "all 353 cosine similarities are equal; spearman's rho is undefined"),
        ("same.npy", "simlex999", "cosine similarities are equal"),
    ],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_degenerate_vectors_never_score(shipped_vectors, vectors, name, message, as_json):
    result = run_in(
        shipped_vectors, "evaluate", name, "--vectors", shipped_vectors / vectors, *(["--json"] if as_json else [])
    )
    assert_clean_error(result, contains=message)
    assert "nan" not in result.output.lower().replace("nonzero", "")


def test_ties_are_wrong_answers_so_equal_vectors_score_zero(shipped_vectors):
    result = run_in(shipped_vectors, "evaluate", "google-analogy", "--json", "--vectors", shipped_vectors / "same.npy")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["questions"] == 19544 and payload["correct"] == 0 and payload["accuracy"] == 0.0


def test_zero_vector_words_are_skipped_like_oov(tmp_path):
    vectors = np.random.default_rng(1).normal(size=(6, 4))
    vectors[5] = 0  # "queen2" has no direction
    words = ["man", "king", "woman", "queen", "boy", "queen2"]
    path = save(tmp_path, "v.npy", vectors, words)
    analogies = tmp_path / "a.txt"
    analogies.write_text(": s\nman king woman queen\nman king woman queen2\nman queen2 boy king\n")
    result = evaluate_analogy(Embeddings.load(path), analogies)
    assert (result.questions, result.oov_questions) == (1, 2)
    pairs = tmp_path / "p.txt"
    pairs.write_text("man king 1\nwoman queen 2\nboy queen2 3\nman boy 4\n")
    similarity = evaluate_similarity(Embeddings.load(path), pairs)
    assert (similarity.pairs, similarity.oov_pairs) == (3, 1)


def test_a_zero_vector_is_never_the_answer(tmp_path):
    # every real candidate scores below 0 for the question; the zero vector would win at score 0
    words = ["a", "b", "c", "d", "zero"]
    vectors = np.array([[1, 0], [0, 1], [0, -1], [-1, -0.1], [0, 0]], dtype=np.float32)
    analogies = tmp_path / "a.txt"
    analogies.write_text(": s\na b c d\n")
    result = evaluate_analogy(Embeddings(words, vectors), analogies)
    assert result.correct == 1


def test_json_of_an_analogy_without_semantic_sections_has_null_not_nan(work):
    analogies = work / "gram.txt"
    analogies.write_text(": gram-plural\nking queen man woman\nparis rome france italy\n")
    result = run_in(work, "evaluate", "--dataset", analogies, "--json", "--vectors", work / "good.txt")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert payload["semantic_accuracy"] is None and payload["syntactic_accuracy"] is not None
    text = run_in(work, "evaluate", "--dataset", analogies, "--vectors", work / "good.txt")
    assert "semantic -," in text.output and "nan" not in text.output


# ----------------------------------------------------------------------------- evaluate: dataset files


DATASET_CASES = {
    "binary": (b"king\tqueen\t1\n\x7fELF\x00\x01\n", "bad.txt:2: the dataset looks like a binary file"),
    "latin-1": ("king\tqueen\t1\ncafé\tman\t2\n".encode("latin-1"), "bad.txt:2: the dataset is not utf-8 text"),
    "two-columns": (b"king\tqueen\t1\nman\twoman\n", "bad.txt:2: expected 'word1 word2 score' (3 columns), got 2"),
    "four-tab-columns": (b"king\tqueen\t1\t2\n", "bad.txt:1: analogy question before"),  # 4 fields: an analogy
    "decimal-comma": (b"king\tqueen\t1,5\nman\twoman\t2\n", "bad.txt:1: the score '1,5' is not a number"),
    "word-score": (b"king queen high\n", "bad.txt:1: the score 'high' is not a number"),
    "nan-score": (b"king queen 1\nman woman nan\n", "bad.txt:2: the score 'nan' is not a finite number"),
    "inf-score": (b"king queen inf\n", "bad.txt:1: the score 'inf' is not a finite number"),
    "constant-human-scores": (b"king queen 5\nman woman 5\ncat tiger 5\n", "all 3 human scores are equal"),
    "one-pair-in-vocabulary": (b"king queen 5\nfoo bar 3\n", "fewer than two pairs"),
    "three-word-question": (b": royal\nking queen man\n", "bad.txt:2: expected a question 'a b c d'"),
    "five-word-question": (b": royal\nking queen man woman cat\n", "bad.txt:2: expected a question"),
    "question-before-section": (b"king queen man woman\n", "bad.txt:1: analogy question before the first"),
    "no-question-in-vocabulary": (b": s\nfoo bar baz qux\n", "no analogy question has all its words"),
    "empty": (b"", "dataset file is empty"),
    "comments-only": (b"# nothing\n# here\n", "dataset file is empty"),
    "blank-lines-only": (b"\n\n  \n", "dataset file is empty"),
}


@pytest.mark.parametrize("case", sorted(DATASET_CASES))
def test_bad_dataset_file_is_a_clean_error(work, case):
    content, message = DATASET_CASES[case]
    (work / "bad.txt").write_bytes(content)
    result = run_in(work, "evaluate", "--dataset", work / "bad.txt", "--vectors", work / "good.txt")
    assert_clean_error(result, contains=message)


def test_dataset_with_a_bom_is_read(work):
    (work / "bom.txt").write_bytes(b"\xef\xbb\xbfking\tqueen\t9\nman\twoman\t5\ncat\ttiger\t1\n")
    result = run_in(work, "evaluate", "--dataset", work / "bom.txt", "--vectors", work / "good.txt")
    assert result.exit_code == 0 and "on 3/3 pairs, 0 OOV" in result.output, result.output


def test_dataset_that_is_a_pipe(work):
    os.mkfifo(work / "pipe")
    result = run_in(work, "evaluate", "--dataset", work / "pipe", "--vectors", work / "good.txt")
    assert_clean_error(result, contains="it is a pipe, not a regular file")


def test_missing_dataset_file(work):
    result = run_in(work, "evaluate", "--dataset", work / "nope.txt", "--vectors", work / "good.txt")
    assert_clean_error(result, contains="nope.txt: no such file or directory")


def test_directory_as_dataset_is_a_usage_error(work):
    result = run_in(work, "evaluate", "--dataset", work, "--vectors", work / "good.txt")
    assert_clean_error(result, exit_code=2, contains="is a directory")


@pytest.mark.parametrize("command", [("evaluate", "men"), ("evaluate", "all"), ("datasets",)])
@pytest.mark.parametrize("where", ["missing", "file"])
def test_bad_data_dir_is_a_usage_error(work, command, where):
    data_dir = work / "nope" if where == "missing" else work / "good.txt"
    vectors = ["--vectors", work / "good.txt"] if command[0] == "evaluate" else []
    result = run_in(work, *command, "--data-dir", data_dir, *vectors)
    assert_clean_error(result, exit_code=2, contains="--data-dir")


def test_bad_data_dir_from_the_environment(work):
    with unchanged(work):
        result = cli_run("datasets", env={"EMBEDKIT_DATA": str(work / "nope")})
    assert_clean_error(result, exit_code=2, contains="does not exist")


def test_non_shipped_set_without_data_dir(work):
    result = run_in(work, "evaluate", "men", "--vectors", work / "good.txt", allow=())
    assert_clean_error(result, contains="is not shipped; download it")


def test_binary_set_in_data_dir(work):
    (work / "EN-MEN-TR-3k.txt").write_bytes(b"\x00\x01\x02")
    result = run_in(work, "evaluate", "men", "--data-dir", work, "--vectors", work / "good.txt")
    assert_clean_error(result, contains="EN-MEN-TR-3k.txt:1: the dataset looks like a binary file")


# ----------------------------------------------------------------------------- bias weat


GOOD_TEST = {"X": ["king", "queen"], "Y": ["paris", "rome"], "A": ["man"], "B": ["woman"]}


def toml_table(name="t", **table):
    lines = [f"[{name}]"] + [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


SETS_CASES = {
    "names-of-two": (toml_table(**GOOD_TEST, names=["a", "b"]), "test [t]: names must be a list of four strings"),
    "names-a-string": (toml_table(**GOOD_TEST, names="abcd"), "names must be a list of four strings"),
    "names-of-numbers": (toml_table(**GOOD_TEST, names=[1, 2, 3, 4]), "names must be a list of four strings"),
    "missing-B": (toml_table(**{k: v for k, v in GOOD_TEST.items() if k != "B"}), "test [t] needs word lists"),
    "X-not-a-list": (toml_table(**{**GOOD_TEST, "X": "king"}), "needs word lists X, Y, A and B"),
    "empty-A": (toml_table(**{**GOOD_TEST, "A": []}), "test [t]: A is empty"),
    "numbers-in-X": (toml_table(**{**GOOD_TEST, "X": [1, 2]}), "X must list words (non-empty strings), found 1"),
    "empty-word": (toml_table(**{**GOOD_TEST, "Y": ["paris", " "]}), "Y must list words"),
    "nested-list": (toml_table(**{**GOOD_TEST, "B": [["woman"]]}), "B must list words"),
    "word-in-X-and-Y": (toml_table(**{**GOOD_TEST, "Y": ["king", "rome"]}), "'king' in both X and Y"),
    "word-in-A-and-B": (toml_table(**{**GOOD_TEST, "B": ["man"]}), "'man' in both A and B"),
    "word-twice-in-X": (toml_table(**{**GOOD_TEST, "X": ["king", "king"]}), "X lists 'king' more than once"),
    "unknown-key": (toml_table(**GOOD_TEST, x=["cat"]), "unknown key(s) x"),
    "not-a-table": ("t = 1\n", "test [t] needs word lists"),
    "no-test": ("# nothing\n", "no weat test"),
    "bad-toml": ("[t\nX = [\n", "cannot read weat sets"),
    "binary": ("\x00\x01\x02", "the weat sets file looks like a binary file"),
}


@pytest.mark.parametrize("case", sorted(SETS_CASES))
def test_bad_weat_sets_are_a_config_error_naming_the_file(work, case):
    content, message = SETS_CASES[case]
    sets = work / "sets.toml"
    sets.write_text(content)
    result = run_in(work, "bias", "weat", "--sets", sets, "--vectors", work / "good.txt")
    assert_clean_error(result, contains=message)
    assert "sets.toml" in result.output
    with pytest.raises(ConfigError):
        load_tests(sets)


def test_weat_sets_not_utf8(work):
    (work / "sets.toml").write_bytes(toml_table(**GOOD_TEST).encode() + 'C = ["café"]\n'.encode("latin-1"))
    result = run_in(work, "bias", "weat", "--sets", work / "sets.toml", "--vectors", work / "good.txt")
    assert_clean_error(result, contains="sets.toml:6: the weat sets file is not utf-8 text")


@pytest.mark.parametrize("where,code,message", [("missing", 1, "no such file"), ("directory", 2, "is a directory")])
def test_weat_sets_path_that_is_no_file(work, where, code, message):
    sets = work / "nope.toml" if where == "missing" else work
    result = run_in(work, "bias", "weat", "--sets", sets, "--vectors", work / "good.txt")
    assert_clean_error(result, exit_code=code, contains=message)


@pytest.mark.parametrize(
    "vectors,reason",
    [("zero.txt", "too few of its words are in the vocabulary with a nonzero"), ("same.txt", "effect size undefined")],
)
@pytest.mark.parametrize("as_json", [False, True])
def test_weat_with_undefined_effect_size_is_skipped_never_nan(work, vectors, reason, as_json):
    (work / "sets.toml").write_text(toml_table(**GOOD_TEST))
    result = run_in(
        work,
        "bias",
        "weat",
        "--sets",
        work / "sets.toml",
        "--vectors",
        work / vectors,
        *(["--json"] if as_json else []),
    )
    assert_clean_error(result, contains="no weat test could be run")
    assert f"skipped t: {reason}" in result.output and "nan" not in result.output.lower()


def test_weat_json_keeps_the_defined_tests_and_skips_the_others(work):
    vectors = np.random.default_rng(2).normal(size=(len(WORDS), 6))
    for word in ("tiger", "king", "paris"):
        vectors[WORDS.index(word)] = vectors[WORDS.index("cat")]
    path = save(work, "mixed.txt", vectors)
    flat = toml_table("flat", X=["cat", "tiger"], Y=["king", "paris"], A=["man"], B=["woman"])
    (work / "sets.toml").write_text(toml_table("ok", **GOOD_TEST) + flat)
    result = run_in(work, "bias", "weat", "--sets", work / "sets.toml", "--json", "--vectors", path)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("["))
    rows = json.loads(line, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    assert [row["test"] for row in rows] == ["ok"] and np.isfinite(rows[0]["effect_size"])
    assert "skipped flat: effect size undefined" in result.output


@pytest.mark.parametrize(
    "option,value",
    [
        ("--permutations", "1000000000"),
        ("--permutations", "1000001"),
        ("--permutations", "99"),
        ("--seed", "-1"),
        ("--seed", str(2**32)),
        ("--seed", "1.5"),
    ],
)
def test_weat_permutations_and_seed_have_a_range(work, option, value):
    (work / "sets.toml").write_text(toml_table(**GOOD_TEST))
    result = run_in(work, "bias", "weat", "--sets", work / "sets.toml", option, value, "--vectors", work / "good.txt")
    assert_clean_error(result, exit_code=2, contains=option)


@pytest.mark.parametrize("seed", [0, 2**32 - 1])
def test_weat_seeds_at_the_ends_of_the_range_run(work, seed):
    (work / "sets.toml").write_text(toml_table(**GOOD_TEST))
    result = run_in(work, "bias", "weat", "--sets", work / "sets.toml", "--seed", seed, "--vectors", work / "good.txt")
    assert result.exit_code == 0 and "effect size d = " in result.output, result.output


@pytest.mark.parametrize(
    "permutations,seed", [(0, 1), (10**6 + 1, 1), (100, -1), (100, 2**32), (100, 1.0), (100, True)]
)
def test_weat_library_refuses_bad_permutations_and_seeds(work, permutations, seed):
    embeddings = Embeddings.load(work / "good.txt")
    with pytest.raises(ConfigError, match="permutations|seed"):
        weat(embeddings, WeatTest("t", *(tuple(GOOD_TEST[k]) for k in "XYAB")), permutations, seed)


@pytest.fixture(scope="module")
def thirty_words():
    words = [f"w{i}" for i in range(30)]
    return words, Embeddings(words, np.random.default_rng(5).normal(size=(30, 8)).astype(np.float32))


def test_a_million_sampled_partitions_take_seconds(thirty_words):
    words, embeddings = thirty_words
    test = WeatTest("t", tuple(words[:12]), tuple(words[12:24]), tuple(words[24:27]), tuple(words[27:]))
    started = time.perf_counter()
    result = weat(embeddings, test, permutations=10**6, seed=3)  # of C(24, 12) = 2,704,156
    assert time.perf_counter() - started < 20
    assert (result.exact, result.partitions) == (False, 10**6)
    assert result.p_value == pytest.approx(weat(embeddings, test, permutations=10**4, seed=4).p_value, abs=0.03)


def test_sampled_p_value_agrees_with_the_exact_one(thirty_words):
    words, embeddings = thirty_words
    test = WeatTest("t", tuple(words[:7]), tuple(words[7:14]), tuple(words[14:18]), tuple(words[18:]))
    exact = weat(embeddings, test, permutations=3432)  # C(14, 7): every partition
    sampled = weat(embeddings, test, permutations=3431, seed=2)
    assert (exact.exact, exact.partitions, sampled.exact, sampled.partitions) == (True, 3432, False, 3431)
    assert sampled.p_value == pytest.approx(exact.p_value, abs=0.03)


def test_sampled_partitions_are_seeded(thirty_words):
    words, embeddings = thirty_words
    test = WeatTest("t", tuple(words[:7]), tuple(words[7:14]), tuple(words[14:18]), tuple(words[18:]))
    first, again, other = (weat(embeddings, test, permutations=500, seed=s).p_value for s in (7, 7, 8))
    assert first == again and first != other


def test_weat_identical_target_vectors_through_the_library():
    vectors = np.array([[1, 0], [1, 0], [1, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float32)
    embeddings = Embeddings(["x1", "x2", "y1", "y2", "a", "b"], vectors)
    with pytest.raises(EmbedkitError, match=r"toy: effect size undefined \(every word of X and Y"):
        weat(embeddings, WeatTest("toy", ("x1", "x2"), ("y1", "y2"), ("a",), ("b",)))


# ----------------------------------------------------------------------------- plot


@pytest.fixture
def plot_work(tmp_path):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(3)
    words = ["king", "queen", "man", "woman", "new york", "$x$", "a_b", "zero"]
    vectors = rng.normal(size=(len(words), 5))
    vectors[-1] = 0
    save(tmp_path, "v.npy", vectors, words)
    save(tmp_path, "same.npy", np.ones((len(words), 5)), words)
    return tmp_path


def plot_run(directory, *args, vectors="v.npy", allow=()):
    return run_in(directory, "plot", *args, "--vectors", directory / vectors, allow=allow)


@pytest.mark.parametrize("title", ["a $\\foo$", "$", "50$ and $$", "\\textbf{x}", "a_b^c"])
def test_titles_are_drawn_literally(plot_work, title):
    result = plot_run(
        plot_work, "--words", "king,queen,man", "--title", title, "-o", plot_work / "p.png", allow=("p.png",)
    )
    assert result.exit_code == 0, result.output
    assert (plot_work / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_words_with_dollars_and_spaces_are_drawn(plot_work):
    result = plot_run(plot_work, "--words", "$x$,new york,king", "-o", plot_work / "p.svg", allow=("p.svg",))
    assert result.exit_code == 0, result.output
    svg = (plot_work / "p.svg").read_text()
    assert "<svg" in svg


@pytest.mark.parametrize(
    "option,value",
    [("--width", "100000"), ("--height", "10001"), ("--width", "99"), ("--height", "-5"), ("--width", "1e4")],
)
def test_image_size_has_a_range(plot_work, option, value):
    result = plot_run(plot_work, "--top", "4", option, value, "-o", plot_work / "p.png")
    assert_clean_error(result, exit_code=2, contains=option)


def test_library_refuses_a_huge_image(plot_work):
    from embedkit.plot import plot_words

    with pytest.raises(EmbedkitError, match="out of range"):
        plot_words(Embeddings.load(plot_work / "v.npy"), ["king", "queen", "man"], plot_work / "p.png", width=70_000)


@pytest.mark.parametrize(
    "output,code,message",
    [
        ("", 2, "is a directory"),
        ("missing/p.png", 1, "directory"),
        ("p.gif", 1, "cannot tell the image format"),
        ("p", 1, "cannot tell the image format"),
        ("v.npy/p.png", 1, "cannot write image"),
    ],
)
def test_bad_output_path(plot_work, output, code, message):
    result = plot_run(plot_work, "--top", "4", "-o", plot_work / output if output else plot_work)
    assert_clean_error(result, exit_code=code, contains=message)


def test_failing_savefig_leaves_nothing(plot_work, monkeypatch):
    from matplotlib.figure import Figure

    def full_disk(self, fh, **kwargs):
        fh.write(b"partial image")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full_disk)
    result = plot_run(plot_work, "--top", "4", "-o", plot_work / "p.png")
    assert_clean_error(result, contains="no space left on the device")


def test_zero_vector_words_are_left_out_with_a_note(plot_work):
    result = plot_run(
        plot_work, "--words", "king,queen,man,zero", "--pairs", "zero:king", "-o", plot_work / "p.png", allow=("p.png",)
    )
    assert result.exit_code == 0, result.output
    assert "note: not drawn (zero or non-finite vector): zero" in result.output


def test_too_few_words_with_a_vector(plot_work):
    result = plot_run(plot_work, "--words", "king,queen,zero", "-o", plot_work / "p.png")
    assert_clean_error(result, contains="at least 3 words with a nonzero, finite vector; zero has none")


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_identical_vectors_cannot_be_projected(plot_work, method):
    if method == "tsne":
        pytest.importorskip("sklearn")
    result = plot_run(plot_work, "--top", "5", "--method", method, "-o", plot_work / "p.png", vectors="same.npy")
    assert_clean_error(result, contains="have the same vector")


def test_nonfinite_vectors_loaded_on_request_are_left_out(plot_work):
    pytest.importorskip("matplotlib")
    (plot_work / "nan.txt").write_text("4 2\nking 1 0\nqueen 0 1\nman 1 1\nbad nan 1\n")
    refused = plot_run(plot_work, "--top", "4", "-o", plot_work / "p.png", vectors="nan.txt")
    assert_clean_error(refused)
    result = plot_run(
        plot_work, "--top", "4", "--allow-nonfinite", "-o", plot_work / "p.png", vectors="nan.txt", allow=("p.png",)
    )
    assert result.exit_code == 0, result.output
    assert "not drawn (zero or non-finite vector): bad" in result.output


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_project_refuses_nonfinite_values(bad):
    vectors = np.eye(4)
    vectors[2, 1] = bad
    with pytest.raises(EmbedkitError, match="NaN or infinite"):
        project(vectors)


@pytest.mark.parametrize("seed", ["-1", "99999999999", str(2**32), "x"])
def test_plot_seed_has_a_range(plot_work, seed):
    result = plot_run(plot_work, "--top", "4", "--method", "tsne", "--seed", seed, "-o", plot_work / "p.png")
    assert_clean_error(result, exit_code=2, contains="--seed")


@pytest.mark.slow
def test_tsne_seed_at_the_top_of_the_range(plot_work):
    pytest.importorskip("sklearn")
    result = plot_run(
        plot_work, "--top", "5", "--method", "tsne", "--seed", 2**32 - 1, "-o", plot_work / "p.png", allow=("p.png",)
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_project_refuses_a_bad_seed(seed):
    with pytest.raises(ConfigError, match="seed must be an integer"):
        project(np.eye(4), seed=seed)


@pytest.mark.parametrize("method", ["pca", pytest.param("tsne", marks=pytest.mark.slow)])
def test_one_dimensional_vectors_are_drawn_on_a_line(plot_work, method):
    if method == "tsne":
        pytest.importorskip("sklearn")
    (plot_work / "d1.txt").write_text("4 1\na 0.1\nb 0.5\nc -0.3\nd 0.9\n")
    result = plot_run(
        plot_work,
        "--words",
        "a,b,c,d",
        "--method",
        method,
        "-o",
        plot_work / "p.png",
        vectors="d1.txt",
        allow=("p.png",),
    )
    assert result.exit_code == 0, result.output
    assert (plot_work / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_pca_of_one_dimensional_vectors_has_a_zero_second_axis():
    points = project(np.array([[0.1], [0.5], [-0.3], [0.9]]))
    assert points.shape == (4, 2) and not points[:, 1].any()
    assert np.ptp(points[:, 0]) == pytest.approx(1.2)


@pytest.mark.parametrize("link", [False, True])
def test_image_over_the_vectors_file_is_refused(plot_work, link):
    (plot_work / "vec.png").write_text("4 2\nking 1 0\nqueen 0 1\nman 1 1\nwoman 1 -1\n")
    output = plot_work / "vec.png"
    if link:
        (plot_work / "alias.png").symlink_to(output)
        output = plot_work / "alias.png"
    result = plot_run(plot_work, "--top", "4", "-o", output, vectors="vec.png")
    assert_clean_error(result, contains="an input")


def test_library_refuses_an_image_over_an_input(plot_work):
    embeddings = Embeddings.load(plot_work / "v.npy")
    (plot_work / "v.png").write_bytes(b"keep")
    with unchanged(plot_work), pytest.raises(EmbedkitError, match="input"):
        plot_words(embeddings, ["king", "queen", "man"], plot_work / "v.png", inputs=[plot_work / "v.png"])


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_glyphs_missing_from_the_font_are_not_warned_about(tmp_path, suffix):
    pytest.importorskip("matplotlib")
    words = ["日本", "café", "🙂", "king", "ελλάδα"]
    save(tmp_path, "u.txt", np.random.default_rng(6).normal(size=(len(words), 3)), words)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_in(
            tmp_path,
            "plot",
            "--words",
            ",".join(words),
            "--title",
            "日本 <b>&amp; $x$",
            "-o",
            tmp_path / f"p.{suffix}",
            "--vectors",
            tmp_path / "u.txt",
            allow=(f"p.{suffix}",),
        )
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {tmp_path / f'p.{suffix}'}\n"
    assert not [str(w.message) for w in caught if "Glyph" in str(w.message)]


@pytest.mark.parametrize("pairs", ["the:", ":the", " : ", "king:queen:man", "king", "king:queen,man:"])
def test_malformed_pairs_are_a_usage_error_naming_the_item(plot_work, pairs):
    result = plot_run(plot_work, "--pairs", pairs, "-o", plot_work / "p.png")
    bad = next(
        item.strip()
        for item in pairs.split(",")
        if item.strip().count(":") != 1 or not all(w.strip() for w in item.split(":"))
    )
    assert_clean_error(result, exit_code=2, contains=f"--pairs takes A:B items (two words), got {bad!r}")


def test_pairs_with_spaces_around_the_colon(plot_work):
    result = plot_run(plot_work, "--pairs", "king : queen,man:woman", "-o", plot_work / "p.png", allow=("p.png",))
    assert result.exit_code == 0, result.output
