"""The word2vec losses, their gradients, and the jitted steps that apply them.

For skip-gram and CBOW, with negative-sampling labels (1, 0, 0, ...) and hierarchical-softmax
labels (1 - Huffman code), the analytic gradient is checked against central finite differences
of a float64 NumPy loss, and the jitted step's parameter changes against ``-alpha * gradient``
(within the sigmoid table's resolution). The returned loss is checked against the exact loss.
"""

import numpy as np
import pytest

from embedkit.huffman import build_huffman_tree
from embedkit.models._w2v_kernels import (
    MAX_EXP,
    cbow_step,
    make_scratch,
    output_layer_step,
    shared_rows,
    sigmoid_and_log,
    skipgram_step,
)

ALPHA = 0.01
TABLE_TOLERANCE = 2e-3  # |label - sigma| from the table is within ~1e-3 of the exact value


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def sign(labels):
    return np.where(labels == 1, 1.0, -1.0)


def output_loss(X, Y, labels):
    """L = -sum_ij log sigma((2 l_j - 1) x_i . y_j) (float64)."""
    return -log_sigmoid(sign(labels) * (X @ Y.T)).sum()


def output_gradient(X, Y, labels):
    err = labels - 1.0 / (1.0 + np.exp(-(X @ Y.T)))  # (m, T)
    return -err @ Y, -err.T @ X


def numeric_gradient(f, A, eps=1e-6):
    grad = np.zeros_like(A)
    for idx in np.ndindex(A.shape):
        old = A[idx]
        A[idx] = old + eps
        up = f()
        A[idx] = old - eps
        down = f()
        A[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


@pytest.fixture(params=["ns", "hs"])
def problem(request):
    """W (8 words), C (targets) and labels for negative sampling or a Huffman path."""
    rng = np.random.default_rng(5)
    dim = 12
    W = rng.normal(scale=0.6, size=(8, dim))
    if request.param == "ns":
        labels = np.array([1, 0, 0, 0, 0, 0])
    else:
        tree = build_huffman_tree(np.array([50, 30, 20, 10, 8, 5, 3, 1]))
        word = 6
        labels = 1 - tree.codes[word, : tree.lengths[word]].astype(int)
        assert len(labels) >= 3
    C = rng.normal(scale=0.6, size=(len(labels), dim))
    return W, C, labels


def jitted_inputs(W, C, labels, context):
    """float32 copies of W and C, and a scratch holding the context rows, targets and labels."""
    scratch = make_scratch(32, 4, len(labels), W.shape[1])
    scratch.context[: len(context)] = context
    scratch.targets[: len(labels)] = np.arange(len(labels))
    scratch.labels[: len(labels)] = labels
    return W.astype(np.float32), C.astype(np.float32), scratch


def step(inputs, rows, outputs, targets, labels, alpha, skip_saturated=False):
    """One output_layer_step on float32 arrays; returns (loss, grad, gain)."""
    grad = np.zeros((len(rows), inputs.shape[1]), np.float32)
    gain = np.zeros((len(rows), len(targets)), np.float32)
    loss = output_layer_step(
        inputs,
        np.asarray(rows, np.int32),
        len(rows),
        shared_rows(outputs),
        np.asarray(targets, np.int64),
        np.asarray(labels, np.int8),
        len(targets),
        np.float32(alpha),
        skip_saturated,
        grad,
        gain,
    )
    return loss, grad, gain


def test_output_layer_gradient_matches_finite_differences(problem):
    W, C, labels = problem
    X = W[:3]
    gx, gy = output_gradient(X, C, labels)
    loss = lambda: output_loss(X, C, labels)  # noqa: E731
    np.testing.assert_allclose(gx, numeric_gradient(loss, X), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy, numeric_gradient(loss, C), rtol=1e-6, atol=1e-8)


def test_skipgram_step_applies_minus_alpha_times_gradient(problem):
    W, C, labels = problem
    context = np.array([1, 4, 6])
    syn0, syn1, scratch = jitted_inputs(W, C, labels, context)
    loss = skipgram_step(syn0, shared_rows(syn1), scratch, len(context), len(labels), np.float32(ALPHA), False)
    gw, gc = output_gradient(W[context], C, labels)
    np.testing.assert_allclose(
        syn0[context] - W[context], -ALPHA * gw, atol=TABLE_TOLERANCE * ALPHA * np.abs(C).sum(axis=0).max()
    )
    np.testing.assert_allclose(syn1 - C, -ALPHA * gc, atol=TABLE_TOLERANCE * ALPHA * np.abs(W).sum(axis=0).max())
    untouched = np.setdiff1d(np.arange(8), context)
    np.testing.assert_array_equal(syn0[untouched], W[untouched].astype(np.float32))
    assert loss == pytest.approx(output_loss(W[context], C, labels), rel=2e-3)


@pytest.mark.parametrize("cbow_mean", [True, False])
def test_cbow_step_gradient(problem, cbow_mean):
    W, C, labels = problem
    context = np.array([0, 2, 5, 7])
    m = len(context)

    def loss():
        h = W[context].mean(axis=0) if cbow_mean else W[context].sum(axis=0)
        return output_loss(h[None, :], C, labels)

    numeric_w = numeric_gradient(loss, W)
    numeric_c = numeric_gradient(loss, C)
    h = W[context].mean(axis=0) if cbow_mean else W[context].sum(axis=0)
    gh, gc = output_gradient(h[None, :], C, labels)
    np.testing.assert_allclose(gc, numeric_c, rtol=1e-6, atol=1e-8)
    # dL/dW_c = dL/dh / m for the mean, dL/dh for the sum
    np.testing.assert_allclose(
        numeric_w[context], np.repeat(gh, m, axis=0) / (m if cbow_mean else 1), rtol=1e-5, atol=1e-8
    )

    syn0, syn1, scratch = jitted_inputs(W, C, labels, context)
    step_loss = cbow_step(syn0, shared_rows(syn1), scratch, m, len(labels), np.float32(ALPHA), False, cbow_mean)
    tolerance = TABLE_TOLERANCE * ALPHA
    np.testing.assert_allclose(syn1 - C, -ALPHA * numeric_c, atol=tolerance * np.abs(h).max() * 2)
    # mean (word2vec.c, gensim): every context row receives the full step for h, m times its
    # own gradient; sum (gensim): the step for h divided by m, 1/m times its own gradient
    expected_w = -ALPHA * numeric_w[context] * (m if cbow_mean else 1 / m)
    np.testing.assert_allclose(syn0[context] - W[context], expected_w, atol=tolerance * np.abs(C).sum(axis=0).max())
    assert step_loss == pytest.approx(loss(), rel=2e-3)


def test_output_layer_skips_negative_targets():
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(2, 5)).astype(np.float32)
    outputs = rng.normal(size=(4, 5)).astype(np.float32)
    before = outputs.copy()
    _, _, gain = step(inputs, [0, 1], outputs, [0, -1, 2], [1, 0, 0], 0.1)
    np.testing.assert_array_equal(outputs[[1, 3]], before[[1, 3]])
    assert np.all(gain[:, 1] == 0) and not np.array_equal(outputs[2], before[2])


def test_duplicate_context_rows_accumulate():
    rng = np.random.default_rng(1)
    inputs = rng.normal(size=(1, 6)).astype(np.float32)
    once = rng.normal(size=(4, 6)).astype(np.float32)
    twice = once.copy()
    start = once.copy()
    step(inputs, [0], once, range(4), [1, 0, 0, 0], 0.01)
    step(inputs, [0, 0], twice, range(4), [1, 0, 0, 0], 0.01)
    np.testing.assert_allclose(twice - start, 2 * (once - start), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("score", [-20.0, -MAX_EXP - 0.1, -3.0, -0.01, 0.0, 0.5, 4.0, MAX_EXP + 0.1, 30.0])
@pytest.mark.parametrize("label", [0, 1])
def test_sigmoid_table_and_saturation(score, label):
    err, loss = sigmoid_and_log(score, label)
    exact_err = label - 1.0 / (1.0 + np.exp(-score))
    exact_loss = -log_sigmoid(score if label == 1 else -score)
    if abs(score) >= MAX_EXP:
        assert err == (label - 1 if score > 0 else label)  # saturated as word2vec.c
    else:
        assert err == pytest.approx(exact_err, abs=1.5e-3)
    assert loss == pytest.approx(exact_loss, rel=2e-3, abs=2e-3)


def saturating_problem():
    """One input row against three output rows whose scores are 0.4, 9 (saturated) and -0.3."""
    x = np.zeros((1, 4), np.float32)
    x[0, 0] = 1.0
    outputs = np.zeros((3, 4), np.float32)
    outputs[:, 0] = [0.4, 9.0, -0.3]
    outputs[:, 1] = [0.2, 0.5, 0.1]
    return x, outputs


@pytest.mark.parametrize("label", [0, 1])
def test_hierarchical_softmax_skips_saturated_nodes(label):
    """With skip_saturated (HS, as word2vec.c and gensim) a node with |score| >= MAX_EXP takes no
    step and gives the input none, whatever its label; its loss still counts. The others match a
    NumPy reference step."""
    x, outputs = saturating_problem()
    labels = np.array([1, label, 0])
    before = outputs.copy()
    loss, grad, gain = step(x, [0], outputs, [0, 1, 2], labels, ALPHA, skip_saturated=True)
    np.testing.assert_array_equal(outputs[1], before[1])
    assert gain[0, 1] == 0.0
    live = [0, 2]
    err = labels[live] - 1.0 / (1.0 + np.exp(-(before[live] @ x[0])))
    np.testing.assert_allclose(outputs[live] - before[live], ALPHA * err[:, None] * x, atol=TABLE_TOLERANCE * ALPHA)
    np.testing.assert_allclose(grad[0], ALPHA * err @ before[live], atol=TABLE_TOLERANCE * ALPHA)
    assert loss == pytest.approx(output_loss(x.astype(float), before.astype(float), labels), rel=2e-3)


def test_negative_sampling_clamps_saturated_scores():
    """Without skip_saturated (NS, word2vec.c) a saturated score steps with sigma clamped to 0/1:
    label 0 at score 9 gets the full step -alpha * x, label 1 none."""
    x, outputs = saturating_problem()
    for label, expected in ((0, -ALPHA * x[0]), (1, np.zeros(4, np.float32))):
        rows = outputs.copy()
        step(x, [0], rows, [0, 1, 2], [1, label, 0], ALPHA)
        np.testing.assert_allclose(rows[1] - outputs[1], expected, atol=1e-6)
