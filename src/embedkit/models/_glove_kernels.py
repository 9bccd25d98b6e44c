"""Numba kernels of GloVe (Pennington, Socher & Manning 2014), driven by :mod:`embedkit.models.glove`.

Cost over the nonzero cells of X, with word vectors ``w_i``, context vectors ``c_j`` and biases::

    J = sum_ij f(X_ij) (w_i . c_j + b_i + b~_j - log X_ij)^2 / 2
    f(x) = (x / x_max)^power  if x < x_max  else 1

(the 1/2 as in Stanford's glove.c, whose reported cost is J / N). One visit of a cell takes one
AdaGrad step as glove.c's current release does it. Vector components: with
``g = clip(f(X_ij) * diff * other, -grad_clip, grad_clip) * eta`` the component moves by
``-g / sqrt(G)`` and then ``G += g**2`` — the squared-gradient sums G start at 1 and include
``eta**2``, so the first step is plain SGD with rate ``eta``. Biases: the same with ``g = f * diff``,
neither clipped nor scaled by ``eta`` (glove.c's 2014 release and the paper scale them too; the
current rule gives +0.004 analogy accuracy on the shared corpus, matching glove.c's quality).

Parameter layout: ``W`` and ``C`` are float32 (V, 2 (D + 1)); row i of W is ``[w_i, b_i, G(w_i),
G(b_i)]`` — the word's parameters followed by their squared-gradient sums, so that one cell
touches two contiguous 808-byte rows (at D = 100) instead of four scattered ones (17% faster
than separate G arrays on this machine).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np

from .._numba import FASTMATH
from .._random import below, next_state, output, splitmix64


class Cells(NamedTuple):
    """The shuffled nonzero cells: rows, cols int32 (N,) and values float32 (N,), all > 0."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray


class Parameters(NamedTuple):
    """W and C, float32 (V, 2 (D + 1)) in the layout of the module docstring (updated in place)."""

    W: np.ndarray
    C: np.ndarray


class Step(NamedTuple):
    """One run's settings: block_size (cells per block), mirror (visit a stored off-diagonal
    cell of a symmetric matrix as (i, j) and (j, i)), and the float32 scalars x_max, power (the
    weighting exponent), eta (learning rate) and grad_clip."""

    block_size: int
    mirror: bool
    x_max: np.float32
    power: np.float32
    eta: np.float32
    grad_clip: np.float32


#: What the driver checks before calling :func:`train_blocks` (see :mod:`embedkit._kernel_inputs`).
CELLS_SPEC = {"rows": (np.int32, 1), "cols": (np.int32, 1), "values": (np.float32, 1)}
PARAMETERS_SPEC = {"W": (np.float32, 2), "C": (np.float32, 2)}
STEP_SPEC = {
    "block_size": int,
    "mirror": bool,
    "x_max": np.float32,
    "power": np.float32,
    "eta": np.float32,
    "grad_clip": np.float32,
}


@nb.njit(inline="always", fastmath=FASTMATH)
def glove_step(w_row, c_row, log_x, weight, eta, grad_clip):
    """One AdaGrad step on one cell; returns its cost ``f * diff**2 / 2`` (float64).

    ``w_row``, ``c_row``: float32 (2 (D + 1),) rows of W and C (parameters, then their G).
    """
    dim = w_row.shape[0] // 2 - 1
    w, gw = w_row[: dim + 1], w_row[dim + 1 :]
    c, gc = c_row[: dim + 1], c_row[dim + 1 :]
    diff = np.float32(0.0)
    for k in range(dim):
        diff += w[k] * c[k]
    diff += w[dim] + c[dim] - log_x
    fdiff = weight * diff
    cost = 0.5 * np.float64(fdiff) * np.float64(diff)
    for k in range(dim):
        gw_k = min(max(fdiff * c[k], -grad_clip), grad_clip) * eta
        gc_k = min(max(fdiff * w[k], -grad_clip), grad_clip) * eta
        w[k] -= gw_k / math.sqrt(gw[k])
        c[k] -= gc_k / math.sqrt(gc[k])
        gw[k] += gw_k * gw_k
        gc[k] += gc_k * gc_k
    g_bias = fdiff
    w[dim] -= g_bias / math.sqrt(gw[dim])
    c[dim] -= g_bias / math.sqrt(gc[dim])
    gw[dim] += g_bias * g_bias
    gc[dim] += g_bias * g_bias
    return cost


@nb.njit(parallel=True, cache=True, fastmath=FASTMATH)
def train_blocks(cells, params, step, block_order, block_costs):
    """Visit the cells of blocks ``block_order`` (block ``b`` = cells ``b*block_size ...``).

    Parameters
    ----------
    cells : Cells
    params : Parameters
        Updated in place; blocks run in parallel without locks (Hogwild, as glove.c's threads).
    step : Step
    block_order : int64 (B,)
        The blocks of this call.
    block_costs : float64 (B,)
        ``block_costs[k]`` receives the summed cost of ``block_order[k]``.
    """
    rows, cols, values = cells.rows, cells.cols, cells.values
    W, C = params.W, params.C
    block_size, x_max, power = step.block_size, step.x_max, step.power
    eta, grad_clip, mirror = step.eta, step.grad_clip, step.mirror
    n = values.shape[0]
    inv_x_max = np.float32(1.0 / x_max)
    for k in nb.prange(block_order.shape[0]):
        start = block_order[k] * block_size
        stop = min(start + block_size, n)
        cost = 0.0
        for e in range(start, stop):
            i = rows[e]
            j = cols[e]
            x = values[e]
            log_x = np.float32(math.log(x))
            weight = np.float32(1.0) if x >= x_max else np.float32(math.exp(power * math.log(x * inv_x_max)))
            cost += glove_step(W[i], C[j], log_x, weight, eta, grad_clip)
            if mirror and i != j:
                cost += glove_step(W[j], C[i], log_x, weight, eta, grad_clip)
        block_costs[k] = cost


@nb.njit(cache=True)
def shuffle_cells(rows, cols, values, seed):
    """Fisher-Yates shuffle of the three parallel arrays in place (xorshift64* stream from ``seed``)."""
    state = splitmix64(np.uint64(seed)) | np.uint64(1)
    for k in range(values.shape[0] - 1, 0, -1):
        state = next_state(state)
        m = below(output(state), k + 1)
        rows[k], rows[m] = rows[m], rows[k]
        cols[k], cols[m] = cols[m], cols[k]
        values[k], values[m] = values[m], values[k]
