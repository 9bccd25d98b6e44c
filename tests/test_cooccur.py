"""Co-occurrence counting: brute force on real text, spilling, caching, the .npz export."""

import re

import numpy as np
import pytest
from scipy import sparse

from conftest import synthetic_lines
from embedkit.cooccur import (
    MIN_MEMORY_GIB,
    CooccurrenceOptions,
    Cooccurrences,
    cooccurrences_for,
    count_cooccurrences,
)
from embedkit.encode import prepare_corpus
from embedkit.errors import ConfigError
from embedkit.vocab import VocabOptions


@pytest.fixture(scope="module")
def wiki_small(tmp_path_factory):
    """300 lines of synthetic Zipf text (~23,000 tokens), words seen at least twice."""
    path = tmp_path_factory.mktemp("cooc") / "wiki300.txt"
    path.write_text("".join(synthetic_lines(300)), encoding="utf-8")
    return prepare_corpus([path], vocab_options=VocabOptions(min_count=2), use_cache=False)


def brute_force(prepared, options: CooccurrenceOptions) -> np.ndarray:
    """cooccur.c's definition, pair by pair in Python: dense float64 (V, V)."""
    n = len(prepared.vocab)
    ids = prepared.encoded.read_ids(0, prepared.encoded.n_tokens)
    starts = prepared.encoded.sentence_starts
    counts = np.zeros((n, n))
    for s in range(len(starts) - 1):
        sentence = ids[starts[s] : starts[s + 1]]
        for p, right in enumerate(sentence):
            for d in range(1, options.window + 1):
                if p - d < 0:
                    break
                left = sentence[p - d]
                weight = 1.0 / d if options.distance_weighting else 1.0
                counts[left, right] += weight
                if options.symmetric:
                    counts[right, left] += weight
    return counts


def spilled_runs(messages: list[str]) -> int:
    return int(re.search(r"(\d+) spilled to disk", messages[-1]).group(1))


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_counts_equal_a_brute_force_count_in_memory_and_when_spilling(wiki_small, tmp_path, symmetric, weighted):
    options = CooccurrenceOptions(window=5, symmetric=symmetric, distance_weighting=weighted)
    expected = brute_force(wiki_small, options)
    n = len(wiki_small.vocab)
    in_memory, spilling = [], []
    roomy = count_cooccurrences(wiki_small.encoded, n, options, tmp_path / "a", 4.0, False, in_memory.append)
    tight = count_cooccurrences(wiki_small.encoded, n, options, tmp_path / "b", MIN_MEMORY_GIB, False, spilling.append)
    assert spilled_runs(in_memory) == 0 and spilled_runs(spilling) >= 2
    for matrix in (roomy, tight):
        assert matrix.values.dtype == np.float32 and matrix.rows.dtype == np.int32
        np.testing.assert_allclose(matrix.to_csr().toarray(), expected, rtol=1e-6)
        assert matrix.nnz == np.count_nonzero(expected)
        assert np.all(np.diff(matrix.rows.astype(np.int64) * n + matrix.cols) > 0)  # sorted, no duplicates
    if symmetric:
        assert np.all(roomy.rows <= roomy.cols)
    np.testing.assert_array_equal(roomy.rows, tight.rows)
    np.testing.assert_array_equal(roomy.cols, tight.cols)
    np.testing.assert_allclose(roomy.values, tight.values, rtol=1e-6)


def test_repeated_word_counts_twice_on_the_diagonal(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("a a b\n", encoding="utf-8")
    prepared = prepare_corpus([text], vocab_options=VocabOptions(min_count=1), use_cache=False)
    a, b = prepared.vocab.index["a"], prepared.vocab.index["b"]
    dense = count_cooccurrences(prepared.encoded, 2, CooccurrenceOptions(window=2), progress=False).to_csr().toarray()
    assert dense[a, a] == 2.0  # (a, a) at distance 1, seen from both sides, as cooccur.c
    assert dense[a, b] == dense[b, a] == pytest.approx(1.0 + 0.5)


def test_cache_is_reused_and_keyed_by_options(small_corpus):
    prepared = prepare_corpus([small_corpus])
    first = cooccurrences_for(prepared, CooccurrenceOptions(window=3), progress=False)
    again = cooccurrences_for(prepared, CooccurrenceOptions(window=3), progress=False)
    other = cooccurrences_for(prepared, CooccurrenceOptions(window=2), progress=False)
    assert not first.from_cache and again.from_cache and not other.from_cache
    np.testing.assert_array_equal(first.values, again.values)
    assert other.stored < first.stored


def test_save_and_load_roundtrip_and_scipy_npz(wiki_small, tmp_path):
    matrix = count_cooccurrences(
        wiki_small.encoded, len(wiki_small.vocab), CooccurrenceOptions(window=3), progress=False
    )
    matrix.save(tmp_path / "copy")
    loaded = Cooccurrences.load(tmp_path / "copy")
    np.testing.assert_array_equal(loaded.values, matrix.values)
    matrix.save_npz(tmp_path / "x.npz", wiki_small.vocab.words)
    full = sparse.load_npz(tmp_path / "x.npz")
    assert full.shape == (len(wiki_small.vocab),) * 2 and full.nnz == matrix.nnz
    assert abs(full - full.T).max() == 0
    assert list(np.load(tmp_path / "x.npz")["words"][:3]) == wiki_small.vocab.words[:3]


def test_bad_settings_are_config_errors(wiki_small):
    with pytest.raises(ConfigError, match="window must be in 1..255"):
        CooccurrenceOptions(window=300)
    with pytest.raises(ConfigError, match=r"^--memory must be at least 0\.001 GiB \(1 MiB\), got 1e-06 GiB$"):
        count_cooccurrences(wiki_small.encoded, len(wiki_small.vocab), memory=1e-6, progress=False)
