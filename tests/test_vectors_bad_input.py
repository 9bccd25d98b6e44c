"""Bad vectors files and bad query/convert arguments: each ends in one clean ``Error:`` line, exit 1,
and leaves the directory as it was (tests/badinput.py)."""

import errno
import os

import numpy as np
import pytest

from badinput import assert_clean_error, cli_run, unchanged
from embedkit.io import native_words_path
from embedkit.vectors import Embeddings

WORDS = ["king", "queen", "man", "woman", "apple", "pear"]


def good(directory, name="v.txt", words=WORDS, seed=0):
    """A valid vectors file of ``words`` (format by suffix)."""
    path = directory / name
    Embeddings(words, np.random.default_rng(seed).normal(size=(len(words), 4)).astype(np.float32)).save(path)
    return path


def raw(content, name="v.txt"):
    def build(directory):
        path = directory / name
        path.write_bytes(content)
        return path

    return build


def f32(*values):
    return np.array(values, "<f4").tobytes()


def binary(rows, header=None):
    """A word2vec binary file: ``rows`` are (word bytes, float list)."""
    dim = len(rows[0][1])
    head = header if header is not None else f"{len(rows)} {dim}\n".encode()
    return raw(head + b"".join(w + b" " + f32(*v) + b"\n" for w, v in rows), "v.bin")


def native(mutate):
    """A valid native pair, then ``mutate(npy_path, words_path, directory)``."""

    def build(directory):
        path = good(directory, "v.npy")
        mutate(path, native_words_path(path), directory)
        return path

    return build


def _other_run_same_shape(path, words_path, directory):
    other = good(directory, "o.npy", seed=1)
    os.replace(other, path)
    native_words_path(other).unlink()


def _npy_of(array):
    def mutate(path, words_path, directory):
        np.save(path, array)

    return mutate


def _truncate_npy(path, words_path, directory):
    data = path.read_bytes()
    path.write_bytes(data[:-5])


def _words_dir(path, words_path, directory):
    words_path.unlink()
    words_path.mkdir()


def _fifo(directory):
    path = directory / "fifo.txt"
    os.mkfifo(path)
    return path


def _directory(directory):
    (directory / "vecs").mkdir()
    return directory / "vecs"


def _similar(path, tmp):
    return ["similar", "king", "--vectors", path], None


def _info(path, tmp):
    return ["info", path], None


def _convert(path, tmp):
    return ["convert", path, tmp / "out.txt"], None


def _convert_native(path, tmp):
    return ["convert", path, tmp / "out.npy"], None


def _analogy(path, tmp):
    return ["analogy", "king", "man", "woman", "--vectors", path], None


def _similarity(path, tmp):
    return ["similarity", "king", "queen", "--vectors", path], None


def _query(path, tmp):
    return ["query", "--vectors", path], "king\n"


def _doesnt_match(path, tmp):
    return ["doesnt-match", "king", "queen", "man", "--vectors", path], None


COMMANDS = {
    "similar": _similar,
    "info": _info,
    "convert": _convert,
    "convert-native": _convert_native,
    "analogy": _analogy,
    "similarity": _similarity,
    "query": _query,
    "doesnt-match": _doesnt_match,
}

# (id, builder, command, fragment of the error line)
BAD_FILES = [
    ("empty", raw(b""), "similar", "empty"),
    ("blank-lines-only", raw(b"\n \n\t\n"), "info", "empty"),
    ("header-only", raw(b"2 3\n"), "convert", "no vectors"),
    ("header-0-rows", raw(b"0 4\n"), "info", "no vectors"),
    ("header-dim-0", raw(b"3 0\na\nb\nc\n"), "similar", "no vectors"),
    ("header-negative-dim", raw(b"5 -4\na 1 2 3 4\n"), "analogy", "positive integers"),
    ("header-negative-rows", raw(b"-2 3\na 1 2 3\n"), "similarity", "positive integers"),
    ("header-float", raw(b"2.5 3\na 1 2 3\n"), "query", "positive integers"),
    ("header-more-rows", raw(b"3 2\na 1 2\nb 3 4\n"), "doesnt-match", "announces 3 rows"),
    ("header-fewer-rows", raw(b"1 2\na 1 2\nb 3 4\n"), "convert", "announces 1 rows"),
    ("header-billion-rows", raw(b"1000000000 4\na 1 2 3 4\n"), "info", "announces 1,000,000,000 rows"),
    ("header-billion-dim", raw(b"1 1000000000\na 1\n"), "similar", "header is wrong"),
    ("decimal-comma", raw(b"2 2\na 0,1 0,2\nb 1 2\n"), "similar", "line 2: '0,1' is not a number (a decimal comma"),
    ("decimal-comma-glove", raw(b"a 0,5 1\nb 1 2\n"), "info", "decimal comma"),
    ("extra-number", raw(b"2 2\nking 0.1 0.2\nqueen 0.2 0.3 0.4\n"), "similarity", "line 3 has 3 values"),
    ("missing-number", raw(b"2 3\nking 1 2 3\nqueen 1 2\n"), "analogy", "line 3 has 2 values"),
    ("word-only-row", raw(b"2 2\nking 1 2\nqueen\n"), "query", "line 3 has 0 values"),
    ("not-a-number", raw(b"2 2\nking 1 2\nqueen 1 x\n"), "doesnt-match", "'x' is not a number"),
    (
        "underscore-digits",
        raw(b"3 2\nking 1 2\nman 1_000 2\nqueen 1 2\n"),
        "similar",
        "line 3: '1_000' is not a number",
    ),
    ("underscore-digits-glove", raw(b"king 1 2\nman 1 2_0\n"), "info", "line 2: '2_0' is not a number"),
    ("nan", raw(b"2 2\nking nan 2\nqueen 1 2\n"), "similar", "line 2: the vector of 'king'"),
    ("inf", raw(b"2 2\nking 1 2\nqueen inf 2\n"), "info", "--allow-nonfinite"),
    ("minus-infinity", raw(b"king 1 -Infinity\nqueen 1 2\n"), "convert", "'king'"),
    ("beyond-float32", raw(b"2 2\nking 1 2\nqueen 1e39 2\n"), "similarity", "float32's range"),
    ("nan-payload", raw(b"king nan(1) 1\nqueen 1 2\n"), "analogy", "NaN or infinite"),
    ("empty-line-inside", raw(b"3 2\nking 1 2\n\nqueen 1 2\n"), "query", "line 3 is empty"),
    ("empty-line-inside-glove", raw(b"king 1 2\n\nqueen 1 2\n"), "doesnt-match", "line 2 is empty"),
    ("glove-ragged", raw(b"king 1 2 3\nqueen 1 2\n"), "similar", "line 2 has 2 values after the word, expected 3"),
    ("glove-no-numbers", raw(b"hello\nworld\n"), "info", "no numbers"),
    ("text-word-not-utf8", raw(b"2 2\ncaf\xe9 1 2\nking 1 2\n"), "convert", "line 2: the word is not UTF-8"),
    ("duplicate-word", raw(b"2 2\nking 1 2\nking 3 4\n"), "similarity", "appears more than once"),
    ("bom-then-comma", raw(b"\xef\xbb\xbf2 2\nking 0,1 1\nqueen 1 2\n"), "analogy", "decimal comma"),
    ("binary-truncated", binary([(b"king", [1, 2]), (b"queen", [1, 2])], b"3 2\n"), "query", "file has"),
    ("binary-cut-row", raw(b"2 2\nking " + f32(1, 2) + b"\nqueen " + f32(1), "v.bin"), "doesnt-match", "truncated"),
    ("binary-nan", binary([(b"king", [1, 2]), (b"queen", [np.nan, 2])]), "similar", "row 2: the vector of 'queen'"),
    ("binary-inf", binary([(b"king", [np.inf, 2]), (b"queen", [1, 2])]), "info", "'king'"),
    (
        "binary-trailing-data",
        raw(b"1 2\nking " + f32(1, 2) + b"\nmore stuff" + f32(3, 4), "v.bin"),
        "convert",
        "after the 1 rows",
    ),
    ("binary-billion-rows", binary([(b"king", [1, 2])], b"1000000000 2\n"), "similarity", "truncated, or not"),
    ("binary-word-not-utf8", binary([(b"caf\xe9", [1, 2]), (b"king", [1, 2])]), "analogy", "not UTF-8"),
    ("binary-no-header", raw(b"\x00\x01\x02king\xff\xfe" + f32(1, 2, 3), "v.bin"), "query", "neither text nor"),
    ("binary-empty-word", raw(b"2 1\n " + f32(1) + b"\nlongword " + f32(2), "v.bin"), "doesnt-match", "empty word"),
    ("native-truncated", native(_truncate_npy), "similar", "truncated"),
    ("native-words-missing", native(lambda p, w, d: w.unlink()), "info", "native word list not found"),
    ("native-words-directory", native(_words_dir), "convert", "it is a directory"),
    ("native-pair-from-other-run", native(_other_run_same_shape), "similarity", "do not belong together"),
    ("native-too-few-words", native(lambda p, w, d: w.write_text("king\nqueen\n")), "analogy", "2 words"),
    ("native-1d", native(_npy_of(np.ones(6, np.float32))), "query", "(V, D) matrix"),
    ("native-int64", native(_npy_of(np.ones((6, 4), np.int64))), "doesnt-match", "float32"),
    ("native-empty-matrix", native(_npy_of(np.ones((0, 4), np.float32))), "similar", "non-empty"),
    (
        "native-nan",
        native(lambda p, w, d: Embeddings(WORDS, np.full((6, 4), np.nan)).save(p)),
        "info",
        "--allow-nonfinite",
    ),
    (
        "native-crlf-old-format",
        native(lambda p, w, d: w.write_bytes("".join(x + "\r\n" for x in WORDS).encode())),
        "similar",
        "line 1 holds a carriage return (Windows line ends?)",
    ),
    (
        "native-crlf",
        native(lambda p, w, d: w.write_bytes(w.read_bytes().replace(b"\n", b"\r\n"))),
        "info",
        "v.npy.words: line 1 holds a carriage return",
    ),
    (
        "native-cr-in-a-word",
        native(lambda p, w, d: w.write_bytes(w.read_bytes().replace(b"queen\n", b"qu\reen\n"))),
        "convert",
        "line 3 holds a carriage return",
    ),
    ("native-words-not-utf8", native(lambda p, w, d: w.write_bytes(b"\xff\xfe\n" * 6)), "convert", "not UTF-8"),
    (
        "native-empty-word",
        native(lambda p, w, d: w.write_text("king\n\nman\nwoman\napple\npear\n")),
        "similarity",
        "line 2 is empty",
    ),
    (
        "native-bad-npy-header",
        native(lambda p, w, d: p.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}   \n")),
        "analogy",
        "not a valid .npy",
    ),
    (
        "native-trailing-bytes",
        native(lambda p, w, d: p.write_bytes(p.read_bytes() + b"xx")),
        "query",
        "bytes after the matrix",
    ),
    ("not-native-requested", raw(b"2 2\nking 1 2\nqueen 1 2\n"), "convert-native-from", "not a native"),
    ("binary-requested-on-text", raw(b"2 2\nking 1 2\nqueen 1 2\n"), "convert-binary-from", "not a word2vec binary"),
    ("vectors-is-directory", _directory, "similar", "it is a directory"),
    ("vectors-is-fifo", _fifo, "similarity", "not a regular file"),
    ("vectors-missing", lambda d: d / "missing.txt", "analogy", "vectors file not found"),
]

COMMANDS["convert-native-from"] = lambda path, tmp: (["convert", "--from", "native", path, tmp / "o.txt"], None)
COMMANDS["convert-binary-from"] = lambda path, tmp: (
    ["convert", "--from", "word2vec-binary", path, tmp / "o.txt"],
    None,
)


@pytest.mark.parametrize("build,command,fragment", [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_vectors_file_is_one_clean_error(tmp_path, build, command, fragment):
    path = build(tmp_path)
    args, stdin = COMMANDS[command](path, tmp_path)
    with unchanged(tmp_path):
        outcome = cli_run(*args, input=stdin)
    assert_clean_error(outcome, contains=fragment)


EVERY_COMMAND = ["similar", "info", "convert", "convert-native", "analogy", "similarity", "query", "doesnt-match"]


@pytest.mark.parametrize("command", EVERY_COMMAND)
@pytest.mark.parametrize("case", ["decimal-comma", "nan", "native-pair-from-other-run"])
def test_every_query_command_refuses_the_classic_bad_files(tmp_path, case, command):
    build, _, fragment = next(c[1:] for c in BAD_FILES if c[0] == case)
    args, stdin = COMMANDS[command](build(tmp_path), tmp_path)
    with unchanged(tmp_path):
        assert_clean_error(cli_run(*args, input=stdin), contains=fragment)


@pytest.mark.parametrize("command", ["similar", "info", "analogy", "similarity", "convert"])
def test_allow_nonfinite_loads_and_never_prints_nan(tmp_path, command):
    path = raw(b"5 2\nking nan 2\nqueen 1 2\nman 2 1\nwoman 1 1\napple 0 0\n")(tmp_path)
    args, _ = COMMANDS[command](path, tmp_path)
    outcome = cli_run(*args, "--allow-nonfinite")
    if command in ("similar", "analogy"):  # a query on the NaN word
        assert_clean_error(outcome, contains="'king' has non-finite values")
        return
    assert outcome.exit_code == 0, outcome.output
    assert "nan" not in outcome.output.lower().replace("non-finite", "")
    if command == "similarity":
        assert outcome.output.strip() == "0.0000"
    if command == "info":
        assert "non-finite  1" in outcome.output and "zero rows   1" in outcome.output


# ----------------------------------------------------------------------------- queries on odd vocabularies


def _zero_file(directory):
    return raw(b"4 2\nking 1 0\nqueen 0 0\nman 1 1\nwoman 0 1\n")(directory)


@pytest.mark.parametrize(
    "args,stdin,fragment",
    [
        (["similar", "queen"], None, "'queen' has a zero vector"),
        (["similar", "king", "-x", "queen"], None, "'queen' has a zero vector"),
        (["similar", "king", "-x", "king"], None, "cancel out"),
        (["analogy", "king", "queen", "man"], None, "'queen' has a zero vector"),
        (["analogy", "king", "man", "queen", "--method", "3cosmul"], None, "zero vector"),
        (["doesnt-match", "king", "queen", "man"], None, "zero vector"),
    ],
    ids=["similar", "negative", "cancel-out", "analogy", "3cosmul", "doesnt-match"],
)
def test_queries_on_zero_vectors_are_errors(tmp_path, args, stdin, fragment):
    path = _zero_file(tmp_path)
    with unchanged(tmp_path):
        assert_clean_error(cli_run(*args, "--vectors", path, input=stdin), contains=fragment)


def test_zero_rows_are_never_neighbours_and_score_zero(tmp_path):
    path = _zero_file(tmp_path)
    outcome = cli_run("similar", "king", "-n", "10", "--vectors", path)
    assert outcome.exit_code == 0 and [line.split("\t")[0] for line in outcome.output.splitlines()] == ["man", "woman"]
    assert cli_run("similarity", "king", "queen", "--vectors", path).output.strip() == "0.0000"
    assert "zero rows   1" in cli_run("info", path).output


@pytest.mark.parametrize(
    "content,args",
    [
        (b"1 2\nking 1 2\n", ["similar", "king"]),
        (b"3 2\nking 1 2\nman 1 1\nwoman 2 1\n", ["analogy", "king", "man", "woman"]),
        (b"2 2\nking 1 2\nqueen 0 0\n", ["similar", "king"]),
    ],
    ids=["one-word", "three-words-analogy", "only-a-zero-row-left"],
)
def test_nothing_to_compare_is_an_error(tmp_path, content, args):
    path = raw(content)(tmp_path)
    with unchanged(tmp_path):
        assert_clean_error(cli_run(*args, "--vectors", path), contains="nothing to compare")


# ----------------------------------------------------------------------------- convert targets and words


def test_words_with_spaces_need_replace_space(tmp_path):
    source = raw(b"paris 0.3 0.4\nnew york 0.1 0.2\n")(tmp_path)
    for target in ("out.txt", "out.bin"):
        with unchanged(tmp_path):
            assert_clean_error(cli_run("convert", source, tmp_path / target), contains="--replace-space _")
    outcome = cli_run("convert", source, tmp_path / "out.txt", "--replace-space", "_")
    assert outcome.exit_code == 0, outcome.output
    assert Embeddings.load(tmp_path / "out.txt").words == ["paris", "new_york"]
    native_ok = cli_run("convert", source, tmp_path / "keep.npy")  # the native format holds spaces
    assert native_ok.exit_code == 0 and Embeddings.load(tmp_path / "keep.npy").words == ["paris", "new york"]


SPACES = b"new york 1 2 3\nlos angeles 2 3 4\nking 1 0 0\nqueen 0.9 0.1 0\n"  # GloVe 840B: row 1 has a space


@pytest.mark.parametrize("command", ["similar", "info", "similarity"])
def test_glove_file_whose_first_word_has_a_space_loads(tmp_path, command):
    source = raw(SPACES)(tmp_path)
    args = {
        "similar": ["similar", "new york", "-n", "1", "--vectors", source],
        "info": ["info", source],
        "similarity": ["similarity", "new york", "los angeles", "--vectors", source],
    }[command]
    outcome = cli_run(*args)
    assert outcome.exit_code == 0 and "Error" not in outcome.output, outcome.output
    assert {"similar": "los angeles\t", "info": "dimension   3", "similarity": "0.9"}[command] in outcome.output


@pytest.mark.parametrize("target", ["out.txt", "out.bin", "out.glove"])
def test_first_word_with_a_space_converts_only_with_replace_space(tmp_path, target):
    source = raw(SPACES)(tmp_path)
    to = ["--to", "glove-text"] if target == "out.glove" else []
    with unchanged(tmp_path):
        assert_clean_error(cli_run("convert", source, tmp_path / target, *to), contains="'new york'")
    outcome = cli_run("convert", source, tmp_path / target, *to, "--replace-space", "_")
    assert outcome.exit_code == 0, outcome.output
    assert Embeddings.load(tmp_path / target).words == ["new_york", "los_angeles", "king", "queen"]
    native_ok = cli_run("convert", source, tmp_path / "keep.npy")
    assert native_ok.exit_code == 0 and Embeddings.load(tmp_path / "keep.npy").words[0] == "new york"


def test_replace_space_collision_names_both_words(tmp_path):
    source = raw(b"new york 1 2\nnew_york 3 4\nking 5 6\n")(tmp_path)
    with unchanged(tmp_path):
        assert_clean_error(
            cli_run("convert", source, tmp_path / "o.txt", "--replace-space", "_"),
            contains="makes 'new york' and 'new_york' the same word 'new_york'",
        )


def test_convert_of_a_long_word_to_binary_reads_back(tmp_path):
    source = good(tmp_path, words=["x" * 100_000, *WORDS])
    outcome = cli_run("convert", source, tmp_path / "o.bin")
    assert outcome.exit_code == 0, outcome.output
    info = cli_run("info", tmp_path / "o.bin")
    assert info.exit_code == 0 and "words       7" in info.output, info.output


def test_convert_refuses_an_unreadable_1d_glove_file(tmp_path):
    source = raw(b"3 1\n2 0.5\nx 0.25\ny -1\n")(tmp_path)
    with unchanged(tmp_path):
        assert_clean_error(
            cli_run("convert", source, tmp_path / "o.glove", "--to", "glove-text"),
            contains="would read back as a 'V D' header",
        )


@pytest.mark.parametrize(
    "content,args,fragment,exit_code",
    [
        (b"new_york 3 4\nnew york 1 2\n", ["--replace-space", "_"], "the same word", 1),
        (b"new york 1 2\n", ["--replace-space", ""], "non-empty", 2),
        (b"new york 1 2\n", ["--replace-space", "a b"], "without whitespace", 2),
    ],
    ids=["duplicates", "empty-replacement", "replacement-with-space"],
)
def test_bad_replace_space(tmp_path, content, args, fragment, exit_code):
    source = raw(content)(tmp_path)
    with unchanged(tmp_path):
        assert_clean_error(cli_run("convert", source, tmp_path / "out.txt", *args), exit_code, contains=fragment)


def _target_is_source(tmp_path):
    source = good(tmp_path)
    return source, source


def _target_is_native_words_of_source(tmp_path):
    source = good(tmp_path, "v.npy")
    return source, native_words_path(source)


def _target_words_is_directory(tmp_path):
    (tmp_path / "out.npy.words").mkdir()
    return good(tmp_path), tmp_path / "out.npy"


def _target_dir_missing(tmp_path):
    return good(tmp_path), tmp_path / "no" / "out.txt"


def _target_is_fifo(tmp_path):
    os.mkfifo(tmp_path / "out.txt")
    return good(tmp_path), tmp_path / "out.txt"


@pytest.mark.parametrize(
    "setup,fragment",
    [
        (_target_is_source, "input or output of this run"),
        (_target_is_native_words_of_source, "input or output of this run"),
        (_target_words_is_directory, "it is a directory"),
        (_target_dir_missing, "does not exist"),
        (_target_is_fifo, "not a regular file"),
    ],
    ids=["target-is-source", "target-is-source-words", "target-words-directory", "target-dir-missing", "target-fifo"],
)
def test_bad_convert_target(tmp_path, setup, fragment):
    source, target = setup(tmp_path)
    with unchanged(tmp_path):
        assert_clean_error(
            cli_run("convert", source, target, "--to", "word2vec-text" if target.suffix == ".words" else "auto"),
            contains=fragment,
        )


def test_convert_target_directory_is_a_usage_error(tmp_path):
    source = good(tmp_path)
    (tmp_path / "d").mkdir()
    with unchanged(tmp_path):
        assert_clean_error(cli_run("convert", source, tmp_path / "d"), exit_code=2, contains="directory")


def _no_space(*args):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("target", ["out.txt", "out.bin", "out.npy"])
def test_full_disk_keeps_the_old_output(tmp_path, monkeypatch, target):
    source = good(tmp_path)
    old = good(tmp_path, target, seed=3)
    before = Embeddings.load(old).vectors.copy()
    monkeypatch.setattr(os, "fsync", _no_space)
    with unchanged(tmp_path):
        assert_clean_error(cli_run("convert", source, tmp_path / target), contains="no space left")
    monkeypatch.undo()
    np.testing.assert_array_equal(Embeddings.load(old).vectors, before)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads and writes regardless of permissions")
def test_unreadable_file_and_read_only_directory(tmp_path):
    source = good(tmp_path)
    source.chmod(0)
    assert_clean_error(cli_run("similar", "king", "--vectors", source), contains="permission denied")
    source.chmod(0o644)
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        with unchanged(tmp_path):
            assert_clean_error(cli_run("convert", source, out / "x.txt"), contains="permission denied")
    finally:
        out.chmod(0o755)
