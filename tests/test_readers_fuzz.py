"""Fuzzing the vector readers: random bytes and damaged valid files (byte flips, cuts, insertions)
load correctly or raise an EmbedkitError; never another exception, never non-finite vectors."""

import itertools
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embedkit.errors import EmbedkitError
from embedkit.io import FORMATS, native_words_path
from embedkit.vectors import Embeddings

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pytestmark = pytest.mark.slow  # 200 examples a test: the full suite's, not make test-fast's
_counter = itertools.count()


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


@pytest.fixture(scope="module")
def valid_files(workdir):
    """Bytes of valid files: {name: {relative path: bytes}}."""
    rng = np.random.default_rng(0)
    emb = Embeddings(["the", "king", "queen", "naïve", "x"], rng.normal(size=(5, 3)).astype(np.float32))
    files = {}
    for name, fmt in [
        ("v.txt", "word2vec-text"),
        ("v.bin", "word2vec-binary"),
        ("v.glove", "glove-text"),
        ("v.npy", "native"),
    ]:
        emb.save(workdir / name, fmt)
        paths = [workdir / name] + ([native_words_path(workdir / name)] if fmt == "native" else [])
        files[name] = {p.name: p.read_bytes() for p in paths}
    return files


def load_or_refuse(path, fmt="auto"):
    """Load ``path``; a refusal must be an EmbedkitError, a success finite and consistent."""
    try:
        emb = Embeddings.load(path, fmt)
    except EmbedkitError as exc:
        assert "\n" not in str(exc).strip()
        return
    assert emb.vectors.ndim == 2 and len(emb.words) == emb.vectors.shape[0] >= 1
    assert np.isfinite(emb.vectors).all()


def fresh(workdir, files):
    """Write ``files`` ({name: bytes}) under a new sub-directory; the path of the first."""
    directory = workdir / f"case{next(_counter)}"
    directory.mkdir()
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory / next(iter(files))


@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".txt", ".bin", ".vec"]), fmt=st.sampled_from(FORMATS))
def test_random_bytes(workdir, data, suffix, fmt):
    load_or_refuse(fresh(workdir, {"f" + suffix: data}), fmt)


@FUZZ
@given(
    body=st.lists(
        st.sampled_from(
            [
                "a",
                "b",
                "1",
                "-2.5",
                "nan",
                "inf",
                "0,5",
                "1e40",
                " ",
                "\t",
                "\n",
                "\r\n",
                "2 2\n",
                "\ufeff",
                "é",
                "\x00",
            ]
        ),
        max_size=40,
    )
)
def test_random_text_tokens(workdir, body):
    load_or_refuse(fresh(workdir, {"t.txt": "".join(body).encode("utf-8")}))


MUTATION = st.tuples(
    st.sampled_from(["flip", "cut", "insert", "delete"]), st.integers(0, 10_000), st.binary(min_size=1, max_size=8)
)


def mutate(data: bytes, mutations) -> bytes:
    for kind, position, payload in mutations:
        position = position % (len(data) + 1)
        if kind == "flip" and position < len(data):
            data = data[:position] + bytes([data[position] ^ payload[0] or 1]) + data[position + 1 :]
        elif kind == "cut":
            data = data[:position]
        elif kind == "insert":
            data = data[:position] + payload + data[position:]
        elif kind == "delete":
            data = data[:position] + data[position + len(payload) :]
    return data


@FUZZ
@given(
    name=st.sampled_from(["v.txt", "v.bin", "v.glove", "v.npy"]),
    which=st.integers(0, 1),
    mutations=st.lists(MUTATION, min_size=1, max_size=3),
)
def test_mutated_valid_files(workdir, valid_files, name, which, mutations):
    files = dict(valid_files[name])
    target = list(files)[which % len(files)]
    files[target] = mutate(files[target], mutations)
    load_or_refuse(fresh(workdir, files))
