"""Numba kernels of the word2vec family (skip-gram with negative sampling).

Plain functions over contiguous arrays; the Python driver in :mod:`embedkit.models.word2vec`
owns the epoch loop, the progress bar and all checking. One kernel call trains a range of
corpus chunks in parallel (``prange``, Hogwild as word2vec.c) and returns per-chunk counters.

Update rule
-----------
For each centre word ``w`` with context words ``c_1..c_m`` (dynamic window ``b ~ U{1..window}``
as word2vec.c) the skip-gram step draws one set of ``negative`` noise words and shares it among
all ``m`` context words ("HogBatch", Ji et al. 2016, arXiv:1604.04661). With input vectors
``x_i = W[c_i]``, output vectors ``y_j = C[t_j]`` (``t_0 = w`` with label 1, noise words with
label 0) and scores ``s_ij = x_i . y_j``, the loss is::

    L = - sum_i [ log sigma(s_i0) + sum_{j>=1} log sigma(-s_ij) ]

and one step of SGD with rate ``alpha`` applies (``g_ij = alpha * (label_j - sigma(s_ij))``)::

    W[c_i] += sum_j g_ij y_j        C[t_j] += sum_i g_ij x_i

with all gradients taken at the parameters before the step. word2vec.c does the same per
(context, centre) pair with fresh noise words for each pair; sharing them turns the step into
small dense matrix products over rows that stay in L1 cache, the same expected gradient.
A noise word equal to the centre word is skipped, as in word2vec.c.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np

from .._random import below, draw_alias, next_state, output, stream_seed

#: sigma(x) is looked up for |x| < MAX_EXP, saturated beyond (word2vec.c uses 6 as well).
MAX_EXP = 6.0
_TABLE_SIZE = 2048
_SCALE = _TABLE_SIZE / (2.0 * MAX_EXP)
# Values at the bin centres, so rounding down the index gives at most half a bin of error.
_centres = (np.arange(_TABLE_SIZE) + 0.5) / _SCALE - MAX_EXP
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(-_centres))).astype(np.float32)
LOG_SIGMOID_TABLE = (-np.logaddexp(0.0, -_centres)).astype(np.float32)

# Without "nnan"/"ninf", so NaN/Inf propagate and are caught by the driver (umap's lesson).
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


class Corpus(NamedTuple):
    """The part of the encoded corpus one kernel call trains on.

    ids : int32 (n,) token ids of the call's chunks, ``ids[0]`` being corpus token
    ``ids_base``; sentence_starts : int64 (S+1,) absolute token offsets of all sentences;
    chunk_starts : int64 (K+1,) offsets into ``sentence_starts``; max_length : longest
    sentence in tokens.
    """

    ids: np.ndarray
    ids_base: int
    sentence_starts: np.ndarray
    chunk_starts: np.ndarray
    max_length: int


class Sampling(NamedTuple):
    """Random-draw tables: ``keep`` uint64 (V,) subsampling thresholds (scaled to 2**32);
    ``noise_threshold`` uint64 (V,) and ``noise_alias`` int32 (V,) the noise alias table."""

    keep: np.ndarray
    noise_threshold: np.ndarray
    noise_alias: np.ndarray


class Schedule(NamedTuple):
    """Hyper-parameters of one run: window, negative, alpha (start), min_alpha (end),
    epochs, total_words (tokens per epoch), seed."""

    window: int
    negative: int
    alpha: float
    min_alpha: float
    epochs: int
    total_words: int
    seed: int


@nb.njit(inline="always", fastmath=FASTMATH)
def _dot(a, b):
    s = np.float32(0.0)
    for k in range(a.shape[0]):
        s += a[k] * b[k]
    return s


@nb.njit(inline="always", fastmath=FASTMATH)
def _axpy(alpha, x, y):
    for k in range(x.shape[0]):
        y[k] += alpha * x[k]


@nb.njit(inline="always")
def sigmoid_and_log(score, label):
    """(label - sigma(score), -log p(label | score)) with the table lookup of word2vec.c.

    ``label`` is 1 for the observed word, 0 for a noise word; outside ``|score| < MAX_EXP``
    sigma saturates to 0 or 1 (as word2vec.c) and the loss uses the exact softplus.
    """
    z = score if label == 1 else -score
    if score >= MAX_EXP:
        err = np.float32(label - 1)
    elif score <= -MAX_EXP:
        err = np.float32(label)
    else:
        err = np.float32(label) - SIGMOID_TABLE[int((score + MAX_EXP) * _SCALE)]
    if -MAX_EXP < z < MAX_EXP:
        loss = -LOG_SIGMOID_TABLE[int((z + MAX_EXP) * _SCALE)]
    else:
        loss = max(-z, 0.0) + math.log1p(math.exp(-abs(z)))
    return err, loss


@nb.njit(inline="always", fastmath=FASTMATH)
def negative_sampling_step(inputs, rows, n_rows, outputs, targets, n_targets, alpha, grad, gain):
    """One shared-negatives SGD step; returns the loss (float64) before the step.

    Parameters
    ----------
    inputs : float32 (R, D)
        Matrix holding the input vectors (W, or a buffer with a CBOW mean).
    rows : int32 (>= n_rows,)
        Rows of ``inputs`` taking part; duplicates allowed.
    outputs : float32 (V, D)
        Output matrix C, updated in place.
    targets : int64 (>= n_targets,)
        ``targets[0]`` is the observed word (label 1), the rest noise words (label 0);
        a negative entry is skipped.
    grad : float32 (>= n_rows, D)
        Receives the step for each input row (the caller applies it).
    gain : float32 (>= n_rows, >= n_targets)
        Scratch for ``alpha * (label - sigma(score))``.
    """
    loss = 0.0
    for i in range(n_rows):
        x = inputs[rows[i]]
        for j in range(n_targets):
            t = targets[j]
            if t < 0:
                gain[i, j] = 0.0
                continue
            err, pair_loss = sigmoid_and_log(_dot(x, outputs[t]), 1 if j == 0 else 0)
            gain[i, j] = alpha * err
            loss += pair_loss
    for i in range(n_rows):
        g = grad[i]
        g[:] = 0.0
        for j in range(n_targets):
            t = targets[j]
            if t >= 0:
                _axpy(gain[i, j], outputs[t], g)
    for j in range(n_targets):
        t = targets[j]
        if t < 0:
            continue
        y = outputs[t]
        for i in range(n_rows):
            _axpy(gain[i, j], inputs[rows[i]], y)
    return loss


@nb.njit(inline="always")
def _subsample(ids, start, stop, keep, state, out):
    """Copy the tokens of ``ids[start:stop]`` that survive subsampling into ``out``."""
    n = 0
    for p in range(start, stop):
        w = ids[p]
        state = next_state(state)
        if (output(state) >> np.uint64(32)) < keep[w]:
            out[n] = w
            n += 1
    return n, state


@nb.njit(inline="always")
def _draw_targets(centre, negative, sampling, state, targets):
    targets[0] = centre
    for k in range(1, negative + 1):
        state = next_state(state)
        t = draw_alias(output(state), sampling.noise_threshold, sampling.noise_alias)
        targets[k] = -1 if t == centre else t
    return state


@nb.njit(inline="always")
def learning_rate(schedule, epoch, position):
    """Linear decay from alpha to min_alpha over all epochs, by corpus position (word2vec.c)."""
    done = (epoch * schedule.total_words + position) / (schedule.epochs * schedule.total_words)
    return max(schedule.min_alpha, schedule.alpha - (schedule.alpha - schedule.min_alpha) * done)


@nb.njit(parallel=True, cache=True)
def train_skipgram_chunks(corpus, sampling, schedule, epoch, first, last, syn0, syn1, stats):
    """Train skip-gram (negative sampling) on chunks ``first..last-1`` of one epoch.

    Parameters
    ----------
    corpus : Corpus
    sampling : Sampling
    schedule : Schedule
    epoch : int
        0-based epoch (for the learning rate and the random streams).
    first, last : int
        Chunk range of this call.
    syn0, syn1 : float32 (V, D)
        Input and output matrices, updated in place (Hogwild across threads).
    stats : float64 (K, 3)
        Per chunk, filled with (loss sum, positive pairs trained, words kept by subsampling).
    """
    dim = syn0.shape[1]
    window = schedule.window
    n_targets = schedule.negative + 1
    for c in nb.prange(first, last):
        state = stream_seed(schedule.seed, epoch, c)
        sentence = np.empty(corpus.max_length, dtype=np.int32)
        context = np.empty(2 * window, dtype=np.int32)
        targets = np.empty(n_targets, dtype=np.int64)
        grad = np.empty((2 * window, dim), dtype=np.float32)
        gain = np.empty((2 * window, n_targets), dtype=np.float32)
        loss = 0.0
        pairs = 0
        kept = 0
        for s in range(corpus.chunk_starts[c], corpus.chunk_starts[c + 1]):
            start = corpus.sentence_starts[s]
            alpha = np.float32(learning_rate(schedule, epoch, start))
            stop = corpus.sentence_starts[s + 1]
            base = corpus.ids_base
            n, state = _subsample(corpus.ids, start - base, stop - base, sampling.keep, state, sentence)
            kept += n
            for i in range(n):
                state = next_state(state)
                reduced = 1 + below(output(state), window)
                m = 0
                for j in range(max(0, i - reduced), min(n, i + reduced + 1)):
                    if j != i:
                        context[m] = sentence[j]
                        m += 1
                if m == 0:
                    continue
                state = _draw_targets(sentence[i], schedule.negative, sampling, state, targets)
                loss += negative_sampling_step(syn0, context, m, syn1, targets, n_targets, alpha, grad, gain)
                for r in range(m):
                    _axpy(np.float32(1.0), grad[r], syn0[context[r]])
                pairs += m
        stats[c, 0] = loss
        stats[c, 1] = pairs
        stats[c, 2] = kept
