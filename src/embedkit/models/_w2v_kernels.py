"""Numba kernels of the word2vec family: skip-gram and CBOW, negative sampling and
hierarchical softmax.

Plain functions over contiguous arrays; the Python driver in :mod:`embedkit.models.word2vec`
owns the epoch loop, the progress bar and all checking. One kernel call trains a range of
corpus chunks in parallel (``prange``, Hogwild as word2vec.c) and returns per-chunk counters.

Output layer
------------
Every update is one call of :func:`output_layer_step`: input vectors ``x_1..x_m`` against
output vectors ``y_j = C[t_j]`` with binary labels ``l_j``, scores ``s_ij = x_i . y_j`` and loss::

    L = - sum_ij log sigma((2 l_j - 1) s_ij)

One step of SGD with rate ``alpha`` (``g_ij = alpha * (l_j - sigma(s_ij))``) applies::

    x_i += sum_j g_ij y_j        C[t_j] += sum_i g_ij x_i

with all gradients taken at the parameters before the step. sigma comes from a table over
``|s| < MAX_EXP``; beyond it the two losses differ, as in word2vec.c and gensim:

* Negative sampling: ``t_0`` is the observed word (label 1), ``t_1..t_K`` noise words drawn
  from the unigram^0.75 table (label 0); a noise word equal to the observed word is skipped,
  as in word2vec.c. A saturated score takes word2vec.c's clamped step (sigma = 0 or 1).
* Hierarchical softmax (Morin & Bengio 2005): the ``t_j`` are the inner nodes on the observed
  word's Huffman path and ``l_j = 1 - code_j`` (word2vec.c's convention). A node whose score is
  saturated is skipped (no step), as word2vec.c and gensim do.

The nodes at the top of the tree are on the paths of most words, so with several threads those
rows are written by all of them at once and their cache lines bounce between the cores. With
more than one thread each chunk therefore trains the ``PRIVATE_NODES`` most visited inner nodes
(the highest rows: nodes are numbered by increasing weight, the root last) in a private copy
and adds its change to the shared rows when the chunk ends: the top of the tree is up to one
chunk stale across threads (pWord2Vec's idea of syncing hot rows less often than they change,
Ji et al. 2016); the rest of the tree and all of W stay Hogwild. With one thread nothing is
private and the updates are unchanged.

Architectures
-------------
* Skip-gram: the inputs are the ``m`` context words' rows of W, all predicting the centre word
  in one step. For negative sampling the noise words are drawn once per centre word and shared
  by its context words ("HogBatch", Ji et al. 2016, arXiv:1604.04661): the same expected
  gradient as word2vec.c's fresh draw per pair, computed as small dense products over rows that
  stay in L1 cache. For hierarchical softmax the path is the same for every context word, so
  the batched step is exact.
* CBOW: the single input is ``h``, the mean (``cbow_mean``) or sum of the context rows. With
  the mean, as in word2vec.c and gensim, every context word receives the full step computed
  for ``h`` (``m`` times the gradient of ``L`` with respect to that word's row). With the sum,
  as gensim (word2vec.c does not divide), each receives that step divided by ``m``.

Right after a centre word's targets are drawn, every cache line of their output rows is
prefetched (:func:`embedkit._numba.prefetch_row`, with write intent): the rows are random, so
without it each dot product waits for its own misses in turn; with it they overlap each other and
CBOW's context sum. Measured on the shared corpus, 2 threads: CBOW 1.64M -> 2.43M words/s,
SGNS about 1.45x on a 20 MB slice; prefetching the context rows as well gained nothing (they are
mostly cached: the window slides by one word). ``docs/performance.md`` has the profile.

The fast-math flags (:data:`embedkit._numba.FASTMATH`) are given to :func:`train_chunks`
itself: numba inlines the helpers into it and compiles them with the caller's flags, so
without them the dot products are scalar chains of dependent adds (measured: half the speed).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np

from .._numba import FASTMATH, axpy, dot, prefetch_row
from .._random import accept, below, draw_alias, next_state, output, stream_seed

#: Inner nodes of the Huffman tree that each chunk trains in a private copy when threads > 1.
PRIVATE_NODES = 255

#: sigma(x) is looked up for |x| < MAX_EXP, saturated beyond (word2vec.c uses 6 as well).
MAX_EXP = 6.0
_TABLE_SIZE = 2048
_SCALE = _TABLE_SIZE / (2.0 * MAX_EXP)
# Values at the bin centres, so rounding down the index gives at most half a bin of error.
_centres = (np.arange(_TABLE_SIZE) + 0.5) / _SCALE - MAX_EXP
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(-_centres))).astype(np.float32)
LOG_SIGMOID_TABLE = (-np.logaddexp(0.0, -_centres)).astype(np.float32)


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


class Tables(NamedTuple):
    """Lookup tables of a run.

    keep : uint64 (V,) subsampling thresholds (keep probability scaled to 2**32);
    noise_threshold : uint64 (V,), noise_alias : int32 (V,) the noise alias table;
    points : int32 (V, L), labels : int8 (V, L), code_lengths : int32 (V,) the Huffman paths
    (inner-node rows, 1 - code, lengths); shape (1, 1) / (1,) placeholders when unused.
    """

    keep: np.ndarray
    noise_threshold: np.ndarray
    noise_alias: np.ndarray
    points: np.ndarray
    labels: np.ndarray
    code_lengths: np.ndarray


class Schedule(NamedTuple):
    """Hyper-parameters of one run: window, negative (0 = hierarchical softmax), cbow (0/1),
    cbow_mean (0/1), alpha (start), min_alpha (end), epochs, total_words (tokens per epoch),
    seed, private_nodes (top inner nodes each chunk trains in a private copy: HS with more
    than one thread, see :func:`private_nodes`)."""

    window: int
    negative: int
    cbow: int
    cbow_mean: int
    alpha: float
    min_alpha: float
    epochs: int
    total_words: int
    seed: int
    private_nodes: int = 0


def private_nodes(hierarchical_softmax: bool, threads: int, n_inner: int) -> int:
    """How many of the top Huffman-tree nodes each chunk keeps private: ``PRIVATE_NODES``
    (capped at the ``n_inner`` nodes) for hierarchical softmax with more than one thread, else
    0."""
    return min(PRIVATE_NODES, n_inner) if hierarchical_softmax and threads > 1 else 0


class Scratch(NamedTuple):
    """Per-chunk work buffers (see :func:`make_scratch`)."""

    sentence: np.ndarray
    context: np.ndarray
    targets: np.ndarray
    labels: np.ndarray
    hidden: np.ndarray
    hidden_rows: np.ndarray
    grad: np.ndarray
    gain: np.ndarray


class OutputRows(NamedTuple):
    """The output layer as one chunk sees it: row ``t`` is ``shared[t]`` for ``t < split`` and
    ``private[t - split]`` above (the chunk's copy of the top of the Huffman tree).

    shared : float32 (R, D) the output matrix; private : float32 (R - split, D); split : int
    (R when nothing is private).
    """

    shared: np.ndarray
    private: np.ndarray
    split: int


@nb.njit(cache=True)
def shared_rows(outputs):
    """``outputs`` (float32 (R, D)) as :class:`OutputRows` with nothing private."""
    return OutputRows(outputs, outputs[:0], outputs.shape[0])


@nb.njit(inline="always")
def output_row(out, t):
    """Row ``t`` of the output layer: a view, so updates go where the row lives."""
    return out.shared[t] if t < out.split else out.private[t - out.split]


@nb.njit(inline="always")
def private_copy(outputs, n_private):
    """The chunk's private copy of the top ``n_private`` rows, and their starting values."""
    split = outputs.shape[0] - n_private
    private = outputs[split:].copy()
    return OutputRows(outputs, private, split), private.copy()


@nb.njit(inline="always")
def merge_private(out, start):
    """Add the change of the private rows since ``start`` to the shared rows."""
    for r in range(out.private.shape[0]):
        shared, private, before = out.shared[out.split + r], out.private[r], start[r]
        for k in range(shared.shape[0]):
            shared[k] += private[k] - before[k]


@nb.njit(cache=True)
def make_scratch(max_length, window, max_targets, dim):
    """Buffers for one thread: sentence int32 (max_length,), context int32 (2*window,),
    targets int64 / labels int8 (max_targets,), hidden float32 (1, dim) with hidden_rows
    int32 [0], grad float32 (2*window, dim), gain float32 (2*window, max_targets)."""
    return Scratch(
        np.empty(max_length, dtype=np.int32),
        np.empty(2 * window, dtype=np.int32),
        np.empty(max_targets, dtype=np.int64),
        np.empty(max_targets, dtype=np.int8),
        np.empty((1, dim), dtype=np.float32),
        np.zeros(1, dtype=np.int32),
        np.empty((2 * window, dim), dtype=np.float32),
        np.empty((2 * window, max_targets), dtype=np.float32),
    )


@nb.njit(inline="always", fastmath=FASTMATH)
def _fused_update(gain, x, y, g):
    """g += gain * y and y += gain * x, both with the old y (one pass over y instead of two;
    a noise word drawn twice for one CBOW example sees its first update, a negligible change)."""
    for k in range(x.shape[0]):
        old = y[k]
        g[k] += gain * old
        y[k] = old + gain * x[k]


@nb.njit(inline="always")
def sigmoid_and_log(score, label):
    """(label - sigma(score), -log p(label | score)) with the table lookup of word2vec.c.

    ``label`` is 1 or 0; outside ``|score| < MAX_EXP`` sigma saturates to 0 or 1 (as
    word2vec.c) and the loss uses the exact softplus.
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


@nb.njit(inline="always", fastmath=FASTMATH, cache=True)
def output_layer_step(inputs, rows, n_rows, out, targets, labels, n_targets, alpha, skip_saturated, grad, gain):
    """One SGD step of the output layer; returns the loss (float64) before the step.

    Parameters
    ----------
    inputs : float32 (R, D)
        Matrix holding the input vectors (W, or a buffer with a CBOW ``h``).
    rows : int32 (>= n_rows,)
        Rows of ``inputs`` taking part; duplicates allowed.
    out : OutputRows
        The output layer (C, or the inner nodes for HS), updated in place.
    targets : int64 (>= n_targets,)
        Rows of ``out``; a negative entry is skipped.
    labels : int8 (>= n_targets,)
        1 or 0 for each target.
    alpha : float32
        Learning rate.
    skip_saturated : bool
        True (hierarchical softmax): a pair with ``|score| >= MAX_EXP`` takes no step (its loss
        still counts); False (negative sampling): word2vec.c's clamped step.
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
            score = dot(x, output_row(out, t))
            err, pair_loss = sigmoid_and_log(score, labels[j])
            saturated = skip_saturated and (score >= MAX_EXP or score <= -MAX_EXP)
            gain[i, j] = 0.0 if saturated else alpha * err
            loss += pair_loss
    if n_rows == 1:  # CBOW: one pass per target reads y once for both updates
        x, g = inputs[rows[0]], grad[0]
        g[:] = 0.0
        for j in range(n_targets):
            t = targets[j]
            if t >= 0:
                _fused_update(gain[0, j], x, output_row(out, t), g)
        return loss
    for i in range(n_rows):
        g = grad[i]
        g[:] = 0.0
        for j in range(n_targets):
            t = targets[j]
            if t >= 0:
                axpy(gain[i, j], output_row(out, t), g)
    for j in range(n_targets):
        t = targets[j]
        if t < 0:
            continue
        y = output_row(out, t)
        for i in range(n_rows):
            axpy(gain[i, j], inputs[rows[i]], y)
    return loss


@nb.njit(inline="always", cache=True)
def skipgram_step(syn0, out, scratch, m, n_targets, alpha, skip_saturated):
    """Skip-gram update for one centre word: the ``m`` rows ``scratch.context[:m]`` of
    ``syn0`` predict the targets in ``scratch`` (rows of the :class:`OutputRows` ``out``);
    returns the loss."""
    context, grad = scratch.context, scratch.grad
    loss = output_layer_step(
        syn0, context, m, out, scratch.targets, scratch.labels, n_targets, alpha, skip_saturated, grad, scratch.gain
    )
    for r in range(m):
        axpy(np.float32(1.0), grad[r], syn0[context[r]])
    return loss


@nb.njit(inline="always", fastmath=FASTMATH, cache=True)
def cbow_step(syn0, out, scratch, m, n_targets, alpha, skip_saturated, cbow_mean):
    """CBOW update for one centre word: ``h`` = mean (or sum) of the ``m`` context rows predicts
    the targets; each context row receives the step computed for ``h`` (the mean, word2vec.c
    and gensim) or that step divided by ``m`` (the sum, gensim)."""
    context, h, grad = scratch.context, scratch.hidden[0], scratch.grad
    h[:] = 0.0
    for r in range(m):
        axpy(np.float32(1.0), syn0[context[r]], h)
    scale = np.float32(1.0) / np.float32(m)
    if cbow_mean:
        for k in range(h.shape[0]):
            h[k] *= scale
    loss = output_layer_step(
        scratch.hidden,
        scratch.hidden_rows,
        1,
        out,
        scratch.targets,
        scratch.labels,
        n_targets,
        alpha,
        skip_saturated,
        grad,
        scratch.gain,
    )
    step = np.float32(1.0) if cbow_mean else scale
    for r in range(m):
        axpy(step, grad[0], syn0[context[r]])
    return loss


@nb.njit(inline="always")
def subsample(ids, start, stop, keep, state, out):
    """Copy the tokens of ``ids[start:stop]`` that survive subsampling into ``out``."""
    n = 0
    for p in range(start, stop):
        w = ids[p]
        state = next_state(state)
        if accept(output(state), keep[w]):
            out[n] = w
            n += 1
    return n, state


@nb.njit(inline="always")
def set_targets(centre, schedule, tables, state, targets, labels):
    """Fill the targets and labels for predicting ``centre``; returns (count, state)."""
    if schedule.negative == 0:
        n = tables.code_lengths[centre]
        for k in range(n):
            targets[k] = tables.points[centre, k]
            labels[k] = tables.labels[centre, k]
        return n, state
    targets[0] = centre
    labels[0] = 1
    for k in range(1, schedule.negative + 1):
        state = next_state(state)
        t = draw_alias(output(state), tables.noise_threshold, tables.noise_alias)
        targets[k] = -1 if t == centre else t
        labels[k] = 0
    return schedule.negative + 1, state


@nb.njit(inline="always")
def learning_rate(schedule, epoch, position):
    """Linear decay from alpha to min_alpha over all epochs, by corpus position (word2vec.c)."""
    done = (epoch * schedule.total_words + position) / (schedule.epochs * schedule.total_words)
    return max(schedule.min_alpha, schedule.alpha - (schedule.alpha - schedule.min_alpha) * done)


@nb.njit(parallel=True, cache=True, fastmath=FASTMATH)
def train_chunks(corpus, tables, schedule, epoch, first, last, syn0, syn1, stats):
    """Train chunks ``first..last-1`` of one epoch (skip-gram or CBOW; NS or HS).

    Parameters
    ----------
    corpus : Corpus
    tables : Tables
    schedule : Schedule
    epoch : int
        0-based epoch (for the learning rate and the random streams).
    first, last : int
        Chunk range of this call.
    syn0 : float32 (V, D)
        Input vectors W, updated in place (Hogwild across threads).
    syn1 : float32 (V, D) for negative sampling, (V - 1, D) for hierarchical softmax
        Output vectors C, updated in place.
    stats : float64 (K, 3)
        Per chunk, filled with (loss sum, training examples, words kept by subsampling); an
        example is a (context, centre) pair for skip-gram and a centre word for CBOW.
    """
    window = schedule.window
    max_targets = max(schedule.negative + 1, tables.points.shape[1])
    hs = schedule.negative == 0
    for c in nb.prange(first, last):
        state = stream_seed(schedule.seed, epoch, c)
        scratch = make_scratch(corpus.max_length, window, max_targets, syn0.shape[1])
        out, private_start = private_copy(syn1, schedule.private_nodes)
        sentence, context = scratch.sentence, scratch.context
        loss = 0.0
        examples = 0
        kept = 0
        for s in range(corpus.chunk_starts[c], corpus.chunk_starts[c + 1]):
            start = corpus.sentence_starts[s]
            alpha = np.float32(learning_rate(schedule, epoch, start))
            stop = corpus.sentence_starts[s + 1]
            base = corpus.ids_base
            n, state = subsample(corpus.ids, start - base, stop - base, tables.keep, state, sentence)
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
                n_targets, state = set_targets(sentence[i], schedule, tables, state, scratch.targets, scratch.labels)
                for j in range(n_targets):
                    if 0 <= scratch.targets[j] < out.split:
                        prefetch_row(out.shared, scratch.targets[j])
                if schedule.cbow:
                    loss += cbow_step(syn0, out, scratch, m, n_targets, alpha, hs, schedule.cbow_mean)
                    examples += 1
                else:
                    loss += skipgram_step(syn0, out, scratch, m, n_targets, alpha, hs)
                    examples += m
        merge_private(out, private_start)
        stats[c, 0] = loss
        stats[c, 1] = examples
        stats[c, 2] = kept
