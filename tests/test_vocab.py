"""Vocabulary: counting, cutting, ordering, word2vec.c vocab files, derived distributions."""

import math

import numpy as np
import pytest

from embedkit.errors import CorpusError
from embedkit.vocab import VocabOptions, Vocabulary, WordCounter


def test_counts_sorted_by_descending_count_ties_in_first_occurrence_order():
    sentences = [["b", "a", "c"], ["a", "c", "d"], ["c"]]
    vocab = Vocabulary.build(sentences, VocabOptions(min_count=1))
    assert vocab.words == ["c", "a", "b", "d"]
    assert vocab.counts.tolist() == [3, 2, 1, 1]
    assert vocab.counts.dtype == np.int64
    assert vocab.total_words == 7
    assert vocab.index["a"] == 1 and "z" not in vocab


def test_min_count_and_max_vocab_cut_the_vocabulary():
    sentences = [["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2]
    assert Vocabulary.build(sentences, VocabOptions(min_count=3)).words == ["a", "b", "c"]
    assert Vocabulary.build(sentences, VocabOptions(min_count=1, max_vocab=2)).words == ["a", "b"]


def test_no_word_reaching_min_count_and_empty_corpus_are_errors():
    with pytest.raises(CorpusError, match="min_count=5"):
        Vocabulary.build([["a", "b", "a"]], VocabOptions(min_count=5))
    with pytest.raises(CorpusError, match="empty"):
        Vocabulary.build([[], []])


def test_pruning_while_counting_bounds_distinct_words_and_keeps_frequent_ones():
    frequent = ["the", "of"] * 50
    rare = [[f"rare{i}"] for i in range(3000)]
    sentences = [frequent] + rare + [frequent]
    vocab = Vocabulary.build(sentences, VocabOptions(min_count=1, prune_at=1000))
    assert vocab.pruned_below >= 2
    assert vocab.words[:2] == ["the", "of"] and vocab.counts[:2].tolist() == [100, 100]
    assert len(vocab) < 1100


def test_save_and_load_round_trip_in_word2vec_c_format(tmp_path):
    vocab = Vocabulary(["the", "cat", "sat"], np.array([10, 4, 2]))
    path = tmp_path / "vocab.txt"
    vocab.save(path)
    assert path.read_text() == "the 10\ncat 4\nsat 2\n"
    loaded = Vocabulary.load(path)
    assert loaded.words == vocab.words and loaded.counts.tolist() == [10, 4, 2]
    path.write_text("the 10\nbroken line here\n")
    with pytest.raises(CorpusError, match="expected 'word count'"):
        Vocabulary.load(path)


def test_keep_probability_is_word2vec_c_formula():
    vocab = Vocabulary(["a", "b", "c"], np.array([90_000, 9_000, 1_000]))
    t, n = 1e-3, 100_000
    expected = [min(1.0, (math.sqrt(c / (t * n)) + 1) * (t * n) / c) for c in (90_000, 9_000, 1_000)]
    np.testing.assert_allclose(vocab.keep_probabilities(t), expected, rtol=1e-12)
    # by hand: t*N = 100, so 90,000 -> (sqrt(900) + 1) * 100 / 90000 = 31/900 and
    # 1,000 -> (sqrt(10) + 1) / 10; a count of 100 would give 2, capped at 1
    assert vocab.keep_probabilities(t)[[0, 2]].tolist() == pytest.approx([31 / 900, (math.sqrt(10) + 1) / 10])
    assert Vocabulary(["x", "y"], np.array([99_900, 100])).keep_probabilities(t)[1] == 1.0
    assert vocab.keep_probabilities(0).tolist() == [1.0, 1.0, 1.0]


def test_noise_distribution_is_count_power_normalised():
    vocab = Vocabulary(["a", "b"], np.array([16, 1]))
    np.testing.assert_allclose(vocab.noise_distribution(0.75), [8 / 9, 1 / 9])
    np.testing.assert_allclose(vocab.noise_distribution(1.0), [16 / 17, 1 / 17])


def _counter_reference(sentences, prune_at):
    """word2vec.c's ReduceVocab semantics written with collections.Counter (the former counter)."""
    from collections import Counter

    counter, pruned_below = Counter(), 0
    for tokens in sentences:
        counter.update(tokens)
        if len(counter) > prune_at:
            pruned_below = max(pruned_below, 1) + 1
            counter = Counter({w: c for w, c in counter.items() if c >= pruned_below})
    return dict(counter), pruned_below


@pytest.mark.parametrize("prune_at", [1000, 10**6])
def test_word_counter_equals_a_counter_with_word2vec_pruning(monkeypatch, prune_at):
    """Counts, first-appearance order and pruning threshold equal the Counter reference, with a
    flush block small enough that pruning falls between flushes; the sink sees the provisional ids
    of every token until the first pruning only."""
    import embedkit.vocab as vocab_module

    monkeypatch.setattr(vocab_module, "_FLUSH_TOKENS", 500)
    rng = np.random.default_rng(2)
    sentences = [[f"w{int(k)}" for k in rng.zipf(1.3, size=rng.integers(1, 60))] for _ in range(800)]
    seen = []
    counter = WordCounter(prune_at, sink=seen.append)
    for tokens in sentences:
        counter.add(tokens)
    counts = dict(zip(counter.words, counter.counts().tolist()))
    expected, pruned_below = _counter_reference(sentences, prune_at)
    assert list(counts.items()) == list(expected.items())
    assert counter.pruned_below == pruned_below and counter.renumbered == (pruned_below > 0) == (prune_at == 1000)
    if not counter.renumbered:
        words = list(counts)
        assert [words[i] for i in np.concatenate(seen)] == [w for s in sentences for w in s]
    else:
        assert sum(map(len, seen)) < sum(map(len, sentences))
