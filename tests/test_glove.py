"""GloVe: the cost's gradient against finite differences, AdaGrad and clipping, training behaviour
and quality on real text."""

import numpy as np
import pytest

from embedkit.config import GloveConfig
from embedkit.cooccur import CooccurrenceOptions, count_cooccurrences
from embedkit.datasets import dataset_path
from embedkit.encode import prepare_corpus
from embedkit.errors import ConfigError, TrainingError
from embedkit.evaluate import evaluate_analogy, evaluate_similarity
from embedkit.models._glove_kernels import glove_step, shuffle_cells
from embedkit.models.glove import train_glove, train_glove_cooccurrences

ETA = np.float32(0.05)
NO_CLIP = np.float32(1e30)


def weighting(x, x_max, power):
    return (x / x_max) ** power if x < x_max else 1.0


def cost(params, x, x_max=10.0, power=0.75):
    """J = f(x) (w . c + b + b~ - log x)^2 / 2 for one cell, float64; params = [w, b, c, b~]."""
    dim = params.shape[0] // 2 - 1
    w, b, c, bc = params[:dim], params[dim], params[dim + 1 : -1], params[-1]
    return 0.5 * weighting(x, x_max, power) * (w @ c + b + bc - np.log(x)) ** 2


def numeric_gradient(f, p, eps=1e-6):
    grad = np.zeros_like(p)
    for k in range(p.shape[0]):
        up, down = p.copy(), p.copy()
        up[k] += eps
        down[k] -= eps
        grad[k] = (f(up) - f(down)) / (2 * eps)
    return grad


def one_step(w, c, gw, gc, x, clip=NO_CLIP, x_max=10.0, power=0.75):
    """Run the kernel step on rows laid out as [params, G]; update the four arrays in place."""
    weight = np.float32(weighting(x, x_max, power))
    w_row, c_row = np.concatenate([w, gw]), np.concatenate([c, gc])
    result = glove_step(w_row, c_row, np.float32(np.log(x)), weight, ETA, clip)
    n = w.shape[0]
    w[:], gw[:], c[:], gc[:] = w_row[:n], w_row[n:], c_row[:n], c_row[n:]
    return result


@pytest.mark.parametrize("x", [0.4, 3.0, 25.0])  # below and above x_max = 10
def test_first_step_is_minus_eta_times_the_finite_difference_gradient(x):
    rng = np.random.default_rng(int(x * 10))
    dim = 6
    w, c = (rng.normal(scale=1.5, size=dim + 1).astype(np.float32) for _ in range(2))
    params = np.concatenate([w, c]).astype(np.float64)
    grad = numeric_gradient(lambda p: cost(p, x), params)
    gw, gc = np.ones(dim + 1, np.float32), np.ones(dim + 1, np.float32)
    w_new, c_new = w.copy(), c.copy()
    returned = one_step(w_new, c_new, gw, gc, x)
    assert returned == pytest.approx(cost(params, x), rel=1e-5)
    step = np.concatenate([w_new - w, c_new - c]).astype(np.float64)
    rate = np.full(2 * (dim + 1), ETA, dtype=np.float64)
    rate[[dim, -1]] = 1.0  # glove.c's current release steps the biases without eta
    np.testing.assert_allclose(step, -rate * grad, rtol=2e-4, atol=1e-7)
    # AdaGrad accumulators hold the squared steps (with eta for the vector components) ...
    np.testing.assert_allclose(np.concatenate([gw, gc]) - 1.0, (rate * grad) ** 2, rtol=5e-4, atol=2.4e-7)
    # ... and scale the next step by 1 / sqrt(1 + sum of squared steps).
    params2 = np.concatenate([w_new, c_new]).astype(np.float64)
    grad2 = numeric_gradient(lambda p: cost(p, x), params2)
    w2, c2 = w_new.copy(), c_new.copy()
    one_step(w2, c2, gw.copy(), gc.copy(), x)
    expected = -rate * grad2 / np.sqrt(np.concatenate([gw, gc]).astype(np.float64))
    np.testing.assert_allclose(np.concatenate([w2 - w_new, c2 - c_new]), expected, rtol=5e-4, atol=1e-7)


def test_gradient_components_are_clipped():
    dim = 4
    w, c = np.full(dim + 1, 3.0, np.float32), np.full(dim + 1, 3.0, np.float32)
    gw, gc = np.ones(dim + 1, np.float32), np.ones(dim + 1, np.float32)
    one_step(w, c, gw, gc, 2.0, clip=np.float32(0.5))  # unclipped components would be ~ f * 39 * 3
    np.testing.assert_allclose(w[:dim], 3.0 - ETA * 0.5, rtol=1e-6)
    np.testing.assert_allclose(c[:dim], 3.0 - ETA * 0.5, rtol=1e-6)
    assert w[dim] < 3.0 - 1.0  # the bias step is not clipped (glove.c)


def test_shuffle_is_a_seeded_permutation_of_the_cells():
    rows, cols = np.arange(1000, dtype=np.int32), np.arange(1000, dtype=np.int32) * 2
    values = np.arange(1000, dtype=np.float32)
    shuffle_cells(rows, cols, values, 5)
    assert sorted(rows) == list(range(1000)) and np.all(cols == rows * 2) and np.all(values == rows)
    assert abs(np.corrcoef(rows, np.arange(1000))[0, 1]) < 0.1
    again = np.arange(1000, dtype=np.int32)
    shuffle_cells(again, again.copy(), again.astype(np.float32), 5)
    np.testing.assert_array_equal(again, rows)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from conftest import synthetic_sentences

    path = tmp_path_factory.mktemp("glove") / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in synthetic_sentences()) + "\n", encoding="utf-8")
    return prepare_corpus([path], use_cache=False)


def test_one_thread_is_reproducible_cost_falls_and_outputs_combine(small):
    config = GloveConfig(dim=8, window=5, x_max=10.0, epochs=4, threads=1, seed=3, vectors_out="concat")
    both, report = train_glove(small, config, progress=False)
    again, _ = train_glove(small, config, progress=False)
    np.testing.assert_array_equal(both.vectors, again.vectors)
    assert report.epoch_losses[-1] < 0.8 * report.epoch_losses[0]
    assert both.vectors.shape == (len(small.vocab), 16)
    total, _ = train_glove(small, GloveConfig(dim=8, window=5, x_max=10.0, epochs=4, threads=1, seed=3), progress=False)
    np.testing.assert_allclose(total.vectors, both.vectors[:, :8] + both.vectors[:, 8:], rtol=1e-6)
    other, _ = train_glove(small, GloveConfig(dim=8, window=5, epochs=4, threads=1, seed=4), progress=False)
    assert not np.array_equal(other.vectors, total.vectors)


def test_divergence_is_reported_with_a_hint(small):
    config = GloveConfig(dim=8, window=5, epochs=3, eta=1e30, grad_clip=1e30, threads=1)
    with pytest.raises(TrainingError, match="diverged.*lower --eta.*--grad-clip"):
        train_glove(small, config, progress=False)


def test_training_refuses_to_exceed_the_memory_budget(small):
    matrix = count_cooccurrences(small.encoded, len(small.vocab), CooccurrenceOptions(window=5), progress=False)
    with pytest.raises(ConfigError, match="raise --memory"):
        train_glove_cooccurrences(matrix, small.vocab.words, GloveConfig(memory=1e-4), progress=False)


def test_config_rejects_bad_values():
    with pytest.raises(ConfigError, match="x_max"):
        GloveConfig(x_max=0)
    with pytest.raises(ConfigError, match="window"):
        GloveConfig(window=256)


@pytest.fixture(scope="module")
def wiki_prepared(wiki_slice):
    return prepare_corpus([wiki_slice], use_cache=False)


# Calibrated on this 840k-token slice (window 10, x_max 10, 15 iterations, 2 threads), seeds 1, 2,
# 11: WS-353 rho 0.272-0.282, analogy accuracy 0.032-0.035. Untrained vectors score ~0.
def test_quality_on_real_wikipedia_text(wiki_prepared):
    config = GloveConfig(x_max=10.0, epochs=15, seed=11)
    embeddings, _ = train_glove(wiki_prepared, config, progress=False)
    similarity = evaluate_similarity(embeddings, dataset_path("wordsim353")[1])
    analogy = evaluate_analogy(embeddings, dataset_path("google-analogy")[1])
    assert similarity.pairs > 250
    assert similarity.spearman > 0.22
    assert analogy.accuracy > 0.02
    assert dict(embeddings.most_similar(["france"], topn=10)).keys() & {"germany", "italy", "spain", "england"}


def test_cells_beyond_the_budget_are_shuffled_on_disk(small, tmp_path):
    from embedkit.models.glove import shuffle_on_disk

    matrix = count_cooccurrences(small.encoded, len(small.vocab), CooccurrenceOptions(window=5), progress=False)
    rows, cols, values = shuffle_on_disk(matrix, tmp_path, budget=20_000, seed=3)
    assert not rows.flags.writeable  # memory mapped from tmp_path
    key = rows.astype(np.int64) * matrix.n_words + cols
    original = matrix.rows.astype(np.int64) * matrix.n_words + matrix.cols
    np.testing.assert_array_equal(np.sort(key), original)  # a permutation of the cells ...
    np.testing.assert_array_equal(values[np.argsort(key)], matrix.values)  # ... carrying their values
    assert abs(np.corrcoef(key, np.arange(key.shape[0]))[0, 1]) < 0.1  # ... and no longer sorted
    notes = []
    config = GloveConfig(dim=8, window=5, epochs=4, threads=1, memory=60_000 / 2**30)
    _, report = train_glove_cooccurrences(matrix, small.vocab.words, config, progress=False, log=notes.append)
    assert any("shuffling them on disk" in note for note in notes)
    assert report.epoch_losses[-1] < 0.8 * report.epoch_losses[0]
