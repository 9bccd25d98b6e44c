"""Numba kernels of co-occurrence counting (driven by :mod:`embedkit.cooccur`).

A co-occurrence *event* is a word ``left`` seen ``d`` tokens before a word ``right`` in the same
sentence, ``1 <= d <= window``. Its weight is ``1/d`` (GloVe's cooccur.c) or 1. Events land in
one of two places:

* the dense table, float64 (R, V), for rows ``a < R`` (the R most frequent words): most events
  of a Zipfian corpus, added in place;
* the event buffer, uint64, for the rest, each encoded as ``(a * V + b) << 8 | d`` so that one
  sort groups equal cells and the weight is recovered from ``d``.

With ``symmetric`` the cell is the canonical ``(a, b) = (min, max)`` of the pair (the matrix is
symmetric, so only its upper triangle is counted) and a diagonal event counts twice, as
cooccur.c adds a repeated word's event to the same cell from both sides.
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

#: Bits of an encoded event that hold the distance; so ``window <= 255``.
DISTANCE_BITS = 8
MAX_WINDOW = (1 << DISTANCE_BITS) - 1
_DISTANCE_MASK = np.uint64(MAX_WINDOW)
_SHIFT = np.uint64(DISTANCE_BITS)


class Text(NamedTuple):
    """A block of the encoded corpus: ``ids`` int32 (n,) token ids, ``ids[0]`` being corpus token
    ``base``; ``starts`` int64 (S + 1,) the sentence offsets of the whole corpus."""

    ids: np.ndarray
    starts: np.ndarray
    base: int


class Counting(NamedTuple):
    """What is counted: ``window`` (1..255), ``symmetric``, ``weighted`` (1/d or 1), ``n_words`` (V)."""

    window: int
    symmetric: bool
    weighted: bool
    n_words: int


class Buffers(NamedTuple):
    """Where events go: ``dense`` float64 (R, V), the rows of the R most frequent words,
    incremented in place; ``events`` uint64 (capacity,), the event buffer."""

    dense: np.ndarray
    events: np.ndarray


#: What the driver checks before calling :func:`count_sentences` (see :mod:`embedkit._kernel_inputs`).
TEXT_SPEC = {"ids": (np.int32, 1), "starts": (np.int64, 1), "base": int}
COUNTING_SPEC = {"window": int, "symmetric": bool, "weighted": bool, "n_words": int}
BUFFERS_SPEC = {"dense": (np.float64, 2), "events": (np.uint64, 1)}


@nb.njit(cache=True)
def count_sentences(text, counting, buffers, first, last, n_events):
    """Count the events of sentences ``first .. last-1``.

    Parameters
    ----------
    text : Text
        Sentence ``s`` is ``text.ids[starts[s] - base : starts[s + 1] - base]``.
    counting : Counting
    buffers : Buffers
        The event buffer is filled from position ``n_events``.

    Returns
    -------
    (next_sentence, n_events)
        Stops before a sentence whose events might not fit in the buffer (the caller sizes the
        buffer for at least the longest sentence, empties it and calls again).
    """
    ids, starts, base = text.ids, text.starts, text.base
    window, symmetric, weighted, n_words = counting.window, counting.symmetric, counting.weighted, counting.n_words
    dense, events = buffers.dense, buffers.events
    dense_rows = dense.shape[0]
    capacity = events.shape[0]
    s = first
    while s < last:
        lo = starts[s] - base
        hi = starts[s + 1] - base
        if n_events + 2 * (hi - lo) * window > capacity:
            break
        for p in range(lo, hi):
            right = np.int64(ids[p])
            for d in range(1, window + 1):
                q = p - d
                if q < lo:
                    break
                left = np.int64(ids[q])
                a, b, times = left, right, 1
                if symmetric:
                    if left > right:
                        a, b = right, left
                    elif left == right:
                        times = 2
                if a < dense_rows:
                    dense[a, b] += times * (1.0 / d if weighted else 1.0)
                else:
                    event = (np.uint64(a * n_words + b) << _SHIFT) | np.uint64(d)
                    for _ in range(times):
                        events[n_events] = event
                        n_events += 1
        s += 1
    return s, n_events


@nb.njit(cache=True)
def collapse_sorted(codes, values, shift, weighted):
    """Sum equal cells of a sorted array.

    Parameters
    ----------
    codes : uint64 (n,), ascending
        Encoded events (``shift = DISTANCE_BITS``, ``values`` empty: each weighs ``1/d`` or 1
        by ``weighted``) or cell keys (``shift = 0``, weights in ``values``, float64 (n,)).

    Returns
    -------
    keys : uint64 (m,)
        Distinct cells ``a * V + b``, ascending.
    sums : float64 (m,)
        Summed weights.
    """
    n = codes.shape[0]
    from_events = values.shape[0] == 0
    m = 0
    for k in range(n):
        if k == 0 or (codes[k] >> shift) != (codes[k - 1] >> shift):
            m += 1
    keys = np.empty(m, dtype=np.uint64)
    sums = np.zeros(m, dtype=np.float64)
    out = -1
    for k in range(n):
        key = codes[k] >> shift
        if out < 0 or key != keys[out]:
            out += 1
            keys[out] = key
        if not from_events:
            sums[out] += values[k]
        elif weighted:
            sums[out] += 1.0 / np.float64(codes[k] & _DISTANCE_MASK)
        else:
            sums[out] += 1.0
    return keys, sums
