"""Vector files: our writers and readers, and interop with gensim in both directions."""

import os

import numpy as np
import pytest

from embedkit.errors import VectorsFormatError
from embedkit.io import atomic_writer, read_vectors, write_vectors
from embedkit.vectors import Embeddings

gensim_kv = pytest.importorskip("gensim.models.keyedvectors", reason="gensim (dev extra) is needed for interop")


@pytest.fixture
def embeddings():
    rng = np.random.default_rng(0)
    words = ["the", "king", "queen", "naïve", "über", "x"]
    return Embeddings(words, rng.normal(size=(len(words), 7)).astype(np.float32) * np.float32(1e-3) ** rng.integers(0, 3, (6, 1)))


@pytest.mark.parametrize("name", ["v.bin", "v.txt"])
def test_round_trip_is_exact(tmp_path, embeddings, name):
    path = tmp_path / name
    embeddings.save(path)
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
        (b"2 2\na 1 2\nb 3\n", "expected 2"),
        (b"2 2\na 1 2\nb 3 x\n", "not a number"),
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


def test_words_with_whitespace_are_refused(tmp_path):
    with pytest.raises(ValueError, match="without whitespace"):
        write_vectors(tmp_path / "v.bin", ["a b"], np.zeros((1, 3), np.float32))


def test_written_files_get_umask_permissions_not_mkstemp_0600(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_writer(tmp_path / "f.bin") as fh:
            fh.write(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == 0o644
