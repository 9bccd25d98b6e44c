"""The SGNS loss, its gradient, and the jitted step that applies it.

1. The analytic gradient of the shared-negatives loss is checked against central finite
   differences of a float64 NumPy loss.
2. The jitted step's parameter changes are checked against ``-alpha * gradient`` (within the
   sigmoid table's resolution) and its returned loss against the exact loss.
"""

import numpy as np
import pytest

from embedkit.models._w2v_kernels import MAX_EXP, negative_sampling_step, sigmoid_and_log


def log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def reference_loss(X, Y, labels, active):
    """L = -sum_ij log sigma(+-x_i . y_j) over active targets (float64)."""
    sign = np.where(labels == 1, 1.0, -1.0)
    return -(log_sigmoid(sign * (X @ Y.T)) * active).sum()


def reference_gradient(X, Y, labels, active):
    err = (labels - 1.0 / (1.0 + np.exp(-(X @ Y.T)))) * active  # (m, T)
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


@pytest.fixture
def problem():
    rng = np.random.default_rng(5)
    m, n_targets, dim = 4, 6, 12
    X = rng.normal(scale=0.6, size=(m, dim))
    Y = rng.normal(scale=0.6, size=(n_targets, dim))
    labels = np.array([1.0] + [0.0] * (n_targets - 1))
    active = np.ones((1, n_targets))
    active[0, 3] = 0.0  # a noise word equal to the centre word is skipped
    return X, Y, labels, active


def test_analytic_gradient_matches_finite_differences(problem):
    X, Y, labels, active = problem
    gx, gy = reference_gradient(X, Y, labels, active)
    loss = lambda: reference_loss(X, Y, labels, active)  # noqa: E731
    np.testing.assert_allclose(gx, numeric_gradient(loss, X), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gy, numeric_gradient(loss, Y), rtol=1e-6, atol=1e-8)
    assert np.all(gy[3] == 0)


def test_jitted_step_applies_minus_alpha_times_gradient(problem):
    X, Y, labels, active = problem
    m, n_targets = X.shape[0], Y.shape[0]
    alpha = 0.01
    inputs = X.astype(np.float32)
    outputs = Y.astype(np.float32)
    rows = np.arange(m, dtype=np.int32)
    targets = np.arange(n_targets, dtype=np.int64)
    targets[3] = -1
    grad = np.zeros((m, X.shape[1]), dtype=np.float32)
    gain = np.zeros((m, n_targets), dtype=np.float32)
    before = outputs.copy()

    loss = negative_sampling_step(inputs, rows, m, outputs, targets, n_targets, np.float32(alpha), grad, gain)

    gx, gy = reference_gradient(X, Y, labels, active)
    # the table lookup of sigma is accurate to ~1e-3; the step must equal -alpha * gradient to that
    table_error = 2e-3 * alpha * np.abs(Y).sum(axis=0).max()
    np.testing.assert_allclose(grad, -alpha * gx, atol=table_error)
    np.testing.assert_allclose(outputs - before, -alpha * gy, atol=2e-3 * alpha * np.abs(X).sum(axis=0).max())
    assert np.all(outputs[3] == before[3])
    assert np.all(inputs == X.astype(np.float32))  # inputs untouched: the caller applies grad
    assert loss == pytest.approx(reference_loss(X, Y, labels, active), rel=2e-3)


def test_duplicate_context_rows_accumulate(problem):
    X, Y, _, _ = problem
    inputs = X.astype(np.float32)
    outputs_once, outputs_twice = Y.astype(np.float32), Y.astype(np.float32)
    targets = np.arange(Y.shape[0], dtype=np.int64)
    grad = np.zeros((2, X.shape[1]), dtype=np.float32)
    gain = np.zeros((2, Y.shape[0]), dtype=np.float32)
    negative_sampling_step(inputs, np.array([0], np.int32), 1, outputs_once, targets, len(targets), 0.01, grad, gain)
    negative_sampling_step(inputs, np.array([0, 0], np.int32), 2, outputs_twice, targets, len(targets), 0.01, grad,
                           gain)
    np.testing.assert_allclose(outputs_twice - Y, 2 * (outputs_once - Y), rtol=1e-3, atol=1e-7)


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
