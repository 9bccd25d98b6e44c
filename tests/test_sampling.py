"""Statistical checks of the random machinery: noise alias table, uniform draws, subsampling
and the dynamic window, the last two through the real training kernel."""

import numba as nb
import numpy as np
import pytest
from scipy import stats

from conftest import synthetic_sentences
from embedkit._random import alias_table, below, next_state, output, sample_alias, stream_seed
from embedkit.config import Word2VecConfig
from embedkit.encode import prepare_corpus
from embedkit.models.word2vec import train_word2vec
from embedkit.vocab import Vocabulary

DRAWS = 2_000_000


def zipf_vocab(n=500):
    counts = (1_000_000 / np.arange(1, n + 1)).astype(np.int64)
    return Vocabulary([f"w{i}" for i in range(n)], counts)


def test_noise_samples_follow_count_to_the_three_quarters():
    vocab = zipf_vocab()
    p = vocab.noise_distribution(0.75)
    draws = sample_alias(*alias_table(p), DRAWS, 7)
    observed = np.bincount(draws, minlength=len(vocab))
    assert stats.chisquare(observed, p * DRAWS).pvalue > 1e-4
    # the test has power: the unsmoothed unigram distribution is rejected outright
    assert stats.chisquare(observed, vocab.noise_distribution(1.0) * DRAWS).pvalue < 1e-12


def test_alias_table_is_exact_for_extreme_distributions():
    p = np.array([0.0, 1e-9, 0.5, 0.5 - 1e-9])
    draws = sample_alias(*alias_table(p), 200_000, 3)
    assert not np.any(draws == 0)
    assert abs(np.mean(draws == 2) - 0.5) < 0.005


@nb.njit
def _draw_below(n, count, seed):
    out = np.empty(count, dtype=np.int64)
    state = stream_seed(seed, 0, 0)
    for i in range(count):
        state = next_state(state)
        out[i] = below(output(state), n)
    return out


def test_window_draws_are_uniform():
    draws = _draw_below(7, DRAWS, 11)
    assert draws.min() == 0 and draws.max() == 6
    assert stats.chisquare(np.bincount(draws, minlength=7)).pvalue > 1e-4


def test_random_streams_differ_by_seed_epoch_and_chunk():
    seeds = {int(stream_seed(s, e, c)) for s in range(3) for e in range(3) for c in range(50)}
    assert len(seeds) == 3 * 3 * 50


@pytest.fixture(scope="module")
def zipf_corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("zipf") / "zipf.txt"
    sentences = synthetic_sentences(n_sentences=6000, seed=3)
    path.write_text("\n".join(" ".join(s) for s in sentences) + "\n")
    return prepare_corpus([path], use_cache=False)


def test_subsampling_keeps_the_fraction_the_formula_gives(zipf_corpus):
    sample = 2e-3
    _, report = train_word2vec(zipf_corpus, Word2VecConfig(dim=8, epochs=3, sample=sample, threads=1), progress=False)
    p = zipf_corpus.vocab.keep_probabilities(sample)
    counts = zipf_corpus.vocab.counts * 3
    expected, sd = (counts * p).sum(), np.sqrt((counts * p * (1 - p)).sum())
    assert p.min() < 0.3  # the test exercises strong subsampling
    assert abs(report.kept_words - expected) < 4 * sd


def test_dynamic_window_gives_the_expected_number_of_pairs(zipf_corpus):
    window = 4
    _, report = train_word2vec(
        zipf_corpus, Word2VecConfig(dim=8, window=window, sample=0, epochs=2, threads=1), progress=False
    )
    b = np.arange(1, window + 1)
    mean = var = 0.0
    for n in np.diff(zipf_corpus.encoded.sentence_starts):
        i = np.arange(n)[:, None]
        contexts = np.minimum(i, b) + np.minimum(n - 1 - i, b)  # (n, window): each b equally likely
        mean += contexts.mean(axis=1).sum()
        var += contexts.var(axis=1).sum()
    assert abs(report.examples - 2 * mean) < 4 * np.sqrt(2 * var)
    # a window fixed at its maximum (no shrinking) would be far outside that band
    assert abs(
        report.examples
        - 2 * sum(np.minimum(np.arange(n), window).sum() * 2 for n in np.diff(zipf_corpus.encoded.sentence_starts))
    ) > 40 * np.sqrt(2 * var)
