"""Numba kernel of the subword (fastText) skip-gram and CBOW.

The input matrix holds the V word rows and then the bucket rows; word ``w``'s input vector is
the mean of the rows ``rows[starts[w]:starts[w+1]]`` (its own row and its n-grams' buckets,
:func:`embedkit.subwords.subword_rows`), and a step on that vector adds its gradient to every
one of those rows, unscaled, as fastText does (``Model::update``: averaging forward, the full
gradient back to each row). The output side, the targets, subsampling, the window and the
schedule are the word kernel's (:mod:`embedkit.models._w2v_kernels`), so negative sampling
(HogBatch) and hierarchical softmax work unchanged.

Deferred rows
-------------
Composing a vector reads about ten random rows of a matrix far larger than the caches, and
applying a step writes them all back; done per (context, centre) pair as fastText does, that is
most of the work. Here the vector of each position of the (subsampled) sentence is composed
once, when the position comes within ``window`` of the centre, into a ring of ``2 * window + 1``
slots that stays in L1; every step on it is added to the slot's vector (the mean of rows that
each move by ``g`` moves by ``g``, so the slot stays exactly what recomposing would give) and to
the slot's pending sum; when the position falls behind the window, the pending sum is added to
each of its rows once. The only difference from updating the rows at every step: a row shared
by two positions inside one window (the same word twice, or two words hashing an n-gram to one
bucket) sees the other position's steps when that position leaves the window, not at once -
staleness of at most ``2 * window`` centre words, less than Hogwild's between threads.

Skip-gram takes the context positions' vectors as inputs predicting the centre word (the word
kernel's orientation and HogBatch's shared negatives; fastText feeds the centre's n-grams and
predicts each context word, the same pairs the other way round). CBOW's input is fastText's bag:
the mean over all the rows of all the context words, so ``h = sum_p n_p v_p / sum_p n_p`` for
positions ``p`` with ``n_p`` rows and vector ``v_p``, and each context row gets the full step.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from .._numba import FASTMATH, axpy, prefetch_row
from .._random import below, next_state, output, stream_seed
from ._w2v_kernels import (
    learning_rate,
    make_scratch,
    merge_private,
    output_layer_step,
    private_copy,
    set_targets,
    subsample,
)


class SubwordTable(NamedTuple):
    """Each word's input rows: word ``w`` averages ``rows[starts[w]:starts[w+1]]``.

    starts : int64 (V+1,); rows : int32 (starts[-1],), its own row first, then V + bucket of
    each n-gram.
    """

    starts: np.ndarray
    rows: np.ndarray


@nb.njit(inline="always", fastmath=FASTMATH)
def _compose(syn0, table, word, out):
    """``out`` = the mean of ``word``'s rows (their cache lines fetched first, so the misses
    overlap); returns how many rows it has."""
    begin, end = table.starts[word], table.starts[word + 1]
    for k in range(begin, end):
        prefetch_row(syn0, table.rows[k])
    out[:] = 0.0
    for k in range(begin, end):
        axpy(np.float32(1.0), syn0[table.rows[k]], out)
    count = end - begin
    scale = np.float32(1.0) / np.float32(count)
    for d in range(out.shape[0]):
        out[d] *= scale
    return count


@nb.njit(inline="always", fastmath=FASTMATH)
def _flush(syn0, table, word, pending):
    """Add the pending step of a position to every row of its word."""
    for k in range(table.starts[word], table.starts[word + 1]):
        axpy(np.float32(1.0), pending, syn0[table.rows[k]])


@nb.njit(parallel=True, cache=True, fastmath=FASTMATH)
def train_subword_chunks(corpus, tables, schedule, table, epoch, first, last, syn0, syn1, stats):
    """Train chunks ``first..last-1`` of one epoch of the subword model (skip-gram or CBOW
    with the mean; NS or HS).

    Parameters
    ----------
    corpus, tables, schedule
        As :func:`embedkit.models._w2v_kernels.train_chunks` (``schedule.cbow_mean`` must be 1).
    table : SubwordTable
    epoch, first, last : int
        As :func:`embedkit.models._w2v_kernels.train_chunks`.
    syn0 : float32 (V + buckets, D)
        Word rows then bucket rows, updated in place (Hogwild across threads).
    syn1 : float32 (V, D) for negative sampling, (V - 1, D) for hierarchical softmax
    stats : float64 (K, 3)
        Per chunk: loss sum, training examples, words kept by subsampling.
    """
    window = schedule.window
    dim = syn0.shape[1]
    max_targets = max(schedule.negative + 1, tables.points.shape[1])
    hs = schedule.negative == 0
    ring = min(2 * window + 1, max(corpus.max_length, 1))
    for c in nb.prange(first, last):
        state = stream_seed(schedule.seed, epoch, c)
        scratch = make_scratch(corpus.max_length, window, max_targets, dim)
        vectors = np.empty((ring, dim), dtype=np.float32)
        pending = np.empty((ring, dim), dtype=np.float32)
        sizes = np.empty(ring, dtype=np.float32)
        out, private_start = private_copy(syn1, schedule.private_nodes)
        sentence, context, h = scratch.sentence, scratch.context, scratch.hidden[0]
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
            composed = 0
            flushed = 0
            for i in range(n):
                while flushed < i - window:
                    _flush(syn0, table, sentence[flushed], pending[flushed % ring])
                    flushed += 1
                while composed < min(n, i + window + 1):
                    slot = composed % ring
                    sizes[slot] = _compose(syn0, table, sentence[composed], vectors[slot])
                    pending[slot] = 0.0
                    composed += 1
                state = next_state(state)
                reduced = 1 + below(output(state), window)
                m = 0
                for j in range(max(0, i - reduced), min(n, i + reduced + 1)):
                    if j != i:
                        context[m] = j % ring
                        m += 1
                if m == 0:
                    continue
                n_targets, state = set_targets(sentence[i], schedule, tables, state, scratch.targets, scratch.labels)
                for j in range(n_targets):
                    if 0 <= scratch.targets[j] < out.split:
                        prefetch_row(out.shared, scratch.targets[j])
                if schedule.cbow:
                    h[:] = 0.0
                    total = np.float32(0.0)
                    for r in range(m):
                        axpy(sizes[context[r]], vectors[context[r]], h)
                        total += sizes[context[r]]
                    scale = np.float32(1.0) / total
                    for d in range(dim):
                        h[d] *= scale
                    loss += output_layer_step(
                        scratch.hidden,
                        scratch.hidden_rows,
                        1,
                        out,
                        scratch.targets,
                        scratch.labels,
                        n_targets,
                        alpha,
                        hs,
                        scratch.grad,
                        scratch.gain,
                    )
                    for r in range(m):
                        axpy(np.float32(1.0), scratch.grad[0], vectors[context[r]])
                        axpy(np.float32(1.0), scratch.grad[0], pending[context[r]])
                    examples += 1
                else:
                    loss += output_layer_step(
                        vectors,
                        context,
                        m,
                        out,
                        scratch.targets,
                        scratch.labels,
                        n_targets,
                        alpha,
                        hs,
                        scratch.grad,
                        scratch.gain,
                    )
                    for r in range(m):
                        axpy(np.float32(1.0), scratch.grad[r], vectors[context[r]])
                        axpy(np.float32(1.0), scratch.grad[r], pending[context[r]])
                    examples += m
            while flushed < n:
                _flush(syn0, table, sentence[flushed], pending[flushed % ring])
                flushed += 1
        merge_private(out, private_start)
        stats[c, 0] = loss
        stats[c, 1] = examples
        stats[c, 2] = kept
