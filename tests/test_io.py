"""Vector files: our writers and readers, and interop with gensim in both directions."""

import os

import numpy as np
import pytest

from embedkit.errors import StorageError, VectorsFormatError
from embedkit.files import atomic_writer
from embedkit.io import native_words_path, read_vectors, replace_whitespace, write_vectors
from embedkit.vectors import Embeddings

gensim_kv = pytest.importorskip("gensim.models.keyedvectors", reason="gensim (dev extra) is needed for interop")


@pytest.fixture
def embeddings():
    rng = np.random.default_rng(0)
    words = ["the", "king", "queen", "naïve", "über", "x"]
    return Embeddings(
        words, rng.normal(size=(len(words), 7)).astype(np.float32) * np.float32(1e-3) ** rng.integers(0, 3, (6, 1))
    )


@pytest.mark.parametrize("name", ["v.bin", "v.txt", "v.npy", "v.glove"])
def test_round_trip_is_exact(tmp_path, embeddings, name):
    path = tmp_path / name
    embeddings.save(path, "glove-text" if name == "v.glove" else "auto")
    loaded = Embeddings.load(path)
    assert loaded.words == embeddings.words
    assert loaded.vectors.dtype == np.float32
    np.testing.assert_array_equal(loaded.vectors, embeddings.vectors)


def test_binary_layout_is_word2vec_c(tmp_path, embeddings):
    path = tmp_path / "v.bin"
    embeddings.save(path)
    data = path.read_bytes()
    assert data.startswith(b"6 7\nthe ")
    first_row = np.frombuffer(data, dtype="<f4", count=7, offset=len(b"6 7\nthe "))
    np.testing.assert_array_equal(first_row, embeddings.vectors[0])
    assert data[len(b"6 7\nthe ") + 28 : len(b"6 7\nthe ") + 29] == b"\n"


@pytest.mark.parametrize("binary", [True, False])
def test_gensim_loads_our_files_with_the_same_numbers(tmp_path, embeddings, binary):
    path = tmp_path / ("v.bin" if binary else "v.txt")
    embeddings.save(path)
    kv = gensim_kv.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert list(kv.index_to_key) == embeddings.words
    np.testing.assert_array_equal(kv.vectors, embeddings.vectors)


@pytest.mark.parametrize("binary", [True, False])
def test_we_load_gensims_files(tmp_path, embeddings, binary):
    kv = gensim_kv.KeyedVectors(vector_size=embeddings.dim)
    kv.add_vectors(embeddings.words, embeddings.vectors)
    path = tmp_path / "g.out"
    kv.save_word2vec_format(str(path), binary=binary)
    words, vectors = read_vectors(path)
    assert words == embeddings.words
    np.testing.assert_allclose(vectors, embeddings.vectors, rtol=0 if binary else 1e-6)


def test_reads_glove_headerless_and_fasttext_vec(tmp_path):
    glove = tmp_path / "glove.txt"
    glove.write_text("the 0.1 -0.2 0.3\ncat 1 2 3\n")
    words, vectors = read_vectors(glove)
    assert words == ["the", "cat"] and vectors.shape == (2, 3)
    np.testing.assert_allclose(vectors[0], [0.1, -0.2, 0.3])
    vec = tmp_path / "wiki.vec"
    vec.write_text("2 3\nthe 0.1 -0.2 0.3 \ncat 1 2 3 \n")  # fastText writes a trailing space
    assert read_vectors(vec)[0] == ["the", "cat"]


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty"),
        (b"3 2\na 1 2\nb 3 4\n", "announces 3 rows"),
        (b"2 2\na 1 2\nb 3\n", "line 3 has 1 values after the word, expected 2"),
        (b"2 2\na 1 2\nb 3 x\n", "line 3: 'x' is not a number"),
        (b"2 2\na 1 2\nqueen 0.2 3 4\n", "line 3 has 3 values"),
        (b"2 2\na 1 2\nb 0,2 4\n", "decimal comma"),
        (b"5 -4\na 1 2 3 4\n", "positive integers"),
        (b"0 4\n", "no vectors"),
        (b"a 1 2\nb 1 2 3\n", "line 2 has 3 values after the word, expected 2"),
        (b"2 2\na " + np.ones(2, "<f4").tobytes() + b"\nb " + np.ones(1, "<f4").tobytes(), "truncated"),
    ],
)
def test_malformed_files_raise_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.vec"
    path.write_bytes(content)
    with pytest.raises(VectorsFormatError, match=message):
        read_vectors(path)


class _ExplodingWord(str):
    """A word whose encoding fails, to interrupt a write half-way."""

    def encode(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    def __format__(self, spec):
        raise RuntimeError("disk on fire")


@pytest.mark.parametrize("name", ["v.bin", "v.txt"])
def test_interrupted_write_leaves_no_partial_file_and_keeps_the_old_one(tmp_path, embeddings, name):
    path = tmp_path / name
    words = embeddings.words[:-1] + [_ExplodingWord("last")]
    with pytest.raises(RuntimeError):
        write_vectors(path, words, embeddings.vectors)
    assert list(tmp_path.iterdir()) == []
    embeddings.save(path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        write_vectors(path, words, embeddings.vectors)
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("name", ["v.bin", "v.txt", "v.npy"])
@pytest.mark.parametrize("word", ["a b", "", "tab\there", "new\nline", "cr\r"])
def test_unwritable_words_are_refused_before_any_file_exists(tmp_path, name, word):
    if name == "v.npy" and word in ("a b", "tab\there"):
        write_vectors(tmp_path / name, ["x", word], np.ones((2, 3), np.float32))  # native holds spaces
        assert Embeddings.load(tmp_path / name).words == ["x", word]
        return
    expected = "replace-space" if name != "v.npy" else "line break"
    with pytest.raises(VectorsFormatError, match="cannot write .*" + expected):
        write_vectors(tmp_path / name, ["x", word], np.ones((2, 3), np.float32))
    assert list(tmp_path.iterdir()) == []


def test_replace_whitespace_and_its_duplicates():
    assert replace_whitespace(["new york", "a \t b", "c"], "_") == ["new_york", "a_b", "c"]
    with pytest.raises(VectorsFormatError, match="makes 'new_york' and 'new york' the same word 'new_york'"):
        replace_whitespace(["new_york", "new york"], "_")
    with pytest.raises(VectorsFormatError, match="non-empty"):
        replace_whitespace(["a b"], " ")


@pytest.mark.parametrize(
    "content,words,first",
    [
        (b"2 2\nnew york 1 2\nb 3 4\n", ["new york", "b"], [1, 2]),  # a word with a space (GloVe 840B)
        (b"a 1 2\nlos  angeles\t3 4\n", ["a", "los  angeles"], [1, 2]),  # kept as written
        (b"\xef\xbb\xbf2 2\na 1 2\nb 3 4\n", ["a", "b"], [1, 2]),  # UTF-8 BOM
        (b"\xef\xbb\xbfa 1 2\nb 3 4\n", ["a", "b"], [1, 2]),
        (b"2 2\r\na 1 2\r\nb 3 4\r\n\r\n", ["a", "b"], [1, 2]),  # CRLF, blank line at the end
        (b"2 2\na\t1\t2\nb 3   4\n", ["a", "b"], [1, 2]),  # tabs, several spaces
        (b"2 2\n2009 1 2\nnan 3 4\n", ["2009", "nan"], [1, 2]),  # numeric words
        (b"2 2\na 1e-3 +2\nb .5 4.\n", ["a", "b"], [1e-3, 2]),
        (b"new york 1 2\nb 3 4\nc 5 6\n", ["new york", "b", "c"], [1, 2]),  # first row's word has a space
        (b"new york city 1 2\nlos angeles 3 4\nc 5 6\n", ["new york city", "los angeles", "c"], [1, 2]),
        (b"2 2\na 1 2\nki\x1bng 3 4\n", ["a", "ki\x1bng"], [1, 2]),  # a control character in a later word
        (b"2 2\nki\x1bng 1 2\nb 3 4\n", ["ki\x1bng", "b"], [1, 2]),  # ... or in the first one
    ],
)
def test_strict_text_reader_accepts(tmp_path, content, words, first):
    path = tmp_path / "v.txt"
    path.write_bytes(content)
    got_words, vectors = read_vectors(path)
    assert got_words == words and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors[0], first)


def test_glove_dimension_is_the_most_common_count_of_trailing_numbers(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"route 66 1 2\nb 3 4\nc 5 6\n")  # row 1 ends in three numbers, the others in two
    with pytest.raises(VectorsFormatError, match="line 1 has 3 values after the word, expected 2"):
        read_vectors(path)  # never the word 'route' with a 3-d vector, never 'route 66' silently


@pytest.mark.parametrize("field", [b"1_000", b"1_0.5", b"2e1_0"])
def test_underscore_digit_separators_are_not_numbers(tmp_path, field):
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 2\na 1 2\nb 3 " + field + b"\n")
    with pytest.raises(VectorsFormatError, match=f"line 3: '{field.decode()}' is not a number"):
        read_vectors(path)


@pytest.mark.parametrize("name", ["v.bin", "v.txt", "v.npy"])
def test_a_100000_character_word_round_trips(tmp_path, name):
    words = ["x" * 100_000, "king", "queen"]
    vectors = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    write_vectors(tmp_path / name, words, vectors)
    got_words, got = read_vectors(tmp_path / name)
    assert got_words == words
    np.testing.assert_array_equal(got, vectors)


@pytest.mark.parametrize("first", ["2", "2.5", "nan", "1e3"])
def test_glove_text_refuses_1d_vectors_whose_first_word_is_a_number(tmp_path, first):
    with pytest.raises(VectorsFormatError, match="would read back as a 'V D' header"):
        write_vectors(tmp_path / "v.glove", [first, "x"], np.ones((2, 1), np.float32), "glove-text")
    assert list(tmp_path.iterdir()) == []
    write_vectors(tmp_path / "v.glove", ["x", first], np.ones((2, 1), np.float32), "glove-text")  # later rows are fine
    assert read_vectors(tmp_path / "v.glove")[0] == ["x", first]


def test_text_with_header_is_never_read_as_binary(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 3\na 1 2\nb 3 4 5\n")
    with pytest.raises(VectorsFormatError, match="line 2 has 2 values after the word, expected 3"):
        read_vectors(path)


def test_header_larger_than_the_file_does_not_allocate(tmp_path, monkeypatch):
    def no_allocation(*args, **kwargs):
        raise AssertionError("allocated")

    monkeypatch.setattr(np, "empty", no_allocation)
    for content in (b"1000000000 300\na " + b"\x00" * 1200, b"1 1000000000\na 1\n", b"1000000000 2\na 1 2\n"):
        (tmp_path / "v").write_bytes(content)
        with pytest.raises(VectorsFormatError, match="header"):
            read_vectors(tmp_path / "v")


def test_nonfinite_values_need_allow_nonfinite(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"3 2\na 1 2\nb 1 inf\nc nan 1\n")
    with pytest.raises(VectorsFormatError, match="line 3: the vector of 'b' .* --allow-nonfinite"):
        read_vectors(path)
    emb = Embeddings.load(path, allow_nonfinite=True)
    assert np.isnan(emb.vectors[2, 0]) and not emb.usable[1:].any()
    assert emb.similarity("a", "b") == 0.0


def test_native_pair_written_words_first_and_checked(tmp_path, embeddings, monkeypatch):
    path = tmp_path / "v.npy"
    embeddings.save(path)
    header = native_words_path(path).read_text().splitlines()[0]
    assert header.startswith("# embedkit-native v1 rows=6 dim=7 crc32=")
    renamed = []
    real_replace = os.replace

    def crash_before_second_rename(src, dst):
        if renamed:
            raise KeyboardInterrupt  # killed between the two renames
        renamed.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_before_second_rename)
    new = Embeddings(embeddings.words, embeddings.vectors[::-1])
    with pytest.raises(KeyboardInterrupt):
        new.save(path)
    monkeypatch.undo()
    assert renamed == [path] and sorted(p.name for p in tmp_path.iterdir()) == ["v.npy", "v.npy.words"]
    with pytest.raises(VectorsFormatError, match="do not belong together"):
        Embeddings.load(path)
    new.save(path)
    np.testing.assert_array_equal(Embeddings.load(path).vectors, new.vectors)


def test_native_files_without_the_header_still_load(tmp_path, embeddings):
    path = tmp_path / "v.npy"
    embeddings.save(path)
    words_path = native_words_path(path)
    words_path.write_text("".join(f"{w}\n" for w in embeddings.words))
    assert Embeddings.load(path).words == embeddings.words


def test_native_words_directory_is_a_storage_error(tmp_path, embeddings):
    path = tmp_path / "v.npy"
    embeddings.save(path)
    native_words_path(path).unlink()
    native_words_path(path).mkdir()
    with pytest.raises(StorageError, match="it is a directory"):
        Embeddings.load(path)


def test_written_files_get_umask_permissions_not_mkstemp_0600(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_writer(tmp_path / "f.bin") as fh:
            fh.write(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == 0o644


def _blocky_embeddings(n: int = 300, dim: int = 5) -> Embeddings:
    rng = np.random.default_rng(4)
    words = [f"w{i}" + "é" * int(rng.integers(0, 30)) for i in range(n)]
    return Embeddings(words, rng.normal(size=(n, dim)).astype(np.float32))


@pytest.mark.parametrize("block", [7, 64, 1000, 1 << 24])
@pytest.mark.parametrize("fmt", ["word2vec-text", "word2vec-binary", "glove-text"])
def test_streaming_readers_across_block_boundaries(tmp_path, monkeypatch, fmt, block):
    """Rows (and words, and a trailing run of blank lines or newlines) cut anywhere by the read
    blocks load the same; ``limit`` gives the first rows."""
    import embedkit.io as io

    expected = _blocky_embeddings()
    path = tmp_path / "v"
    expected.save(path, fmt)
    with open(path, "ab") as fh:
        fh.write(b"\n \n\r\n\n" if fmt != "word2vec-binary" else b"\n\n")
    monkeypatch.setattr(io, "_BLOCK_BYTES", block)
    words, vectors = read_vectors(path, fmt)
    assert words == expected.words
    np.testing.assert_array_equal(vectors, expected.vectors)
    words, vectors = read_vectors(path, fmt, limit=17)
    assert words == expected.words[:17] and vectors.shape == (17, 5)
    np.testing.assert_array_equal(vectors, expected.vectors[:17])
    assert read_vectors(path, fmt, limit=10**6)[0] == expected.words


@pytest.mark.parametrize("fmt", ["word2vec-text", "word2vec-binary", "glove-text"])
def test_limit_reads_the_head_of_a_file_whose_tail_is_damaged(tmp_path, fmt):
    """gensim's limit: the first rows of a truncated file load; without it the file is refused."""
    path = tmp_path / "v"
    _blocky_embeddings().save(path, fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3] + b"x")  # a row cut short
    assert len(read_vectors(path, fmt, limit=50)[0]) == 50
    with pytest.raises(VectorsFormatError):
        read_vectors(path, fmt)
    with pytest.raises(VectorsFormatError, match="limit must be at least 1"):
        read_vectors(path, fmt, limit=0)


@pytest.mark.parametrize("fmt", ["word2vec-text", "word2vec-binary", "glove-text"])
def test_loading_holds_the_matrix_and_one_block_not_the_file(tmp_path, monkeypatch, fmt):
    """Peak traced allocation while reading 40,000 x 100 vectors (a 16 MB matrix; a 17 MB binary,
    ~45 MB text file) with 256 KiB blocks: at most 1.2 x the matrix, the words, the first MiB,
    three blocks and, for text, the parse buffers of one chunk of rows (their float64 values,
    joined text and split lines). Reading the whole file (and, for text, splitting it into
    lines), as before, needs the file's size on top of the matrix."""
    import tracemalloc

    import embedkit.io as io

    expected = _blocky_embeddings(40_000, 100)
    path = tmp_path / "v"
    expected.save(path, fmt)
    block = 1 << 18
    monkeypatch.setattr(io, "_BLOCK_BYTES", block)
    tracemalloc.start()
    try:
        words, vectors = read_vectors(path, fmt)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(vectors, expected.vectors)
    words_bytes = sum(len(w.encode()) for w in words) + 60 * len(words)  # str objects and list slots
    parse = 0 if fmt == "word2vec-binary" else io._TEXT_CHUNK_ROWS * 100 * (8 + 2 * 16)
    allowed = 1.2 * vectors.nbytes + words_bytes + io._HEAD_BYTES + 3 * block + parse
    assert peak < allowed < vectors.nbytes + path.stat().st_size
