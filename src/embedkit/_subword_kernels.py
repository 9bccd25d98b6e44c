"""Numba kernels of the subword (fastText) model: character n-gram bucket ids and word vectors
composed from rows.

The n-grams are fastText's (``Dictionary::computeSubwords``, Bojanowski et al. 2017): the word is
wrapped in ``<`` and ``>``, every run of ``n`` UTF-8 characters with ``minn <= n <= maxn`` is an
n-gram except a lone ``<`` or ``>``, and an n-gram's bucket is its 32-bit FNV-1a hash modulo the
bucket count, where the bytes enter the hash as *signed* chars (``h ^= uint32(int8(byte))``): the
variant every published fastText model was trained with, so bytes >= 0x80 are sign-extended.

Words come as one uint8 array of their wrapped UTF-8 bytes (``<word>``) with int64 offsets, so
one call hashes a whole vocabulary.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619
_MASK32 = 0xFFFFFFFF


@nb.njit(inline="always")
def _fnv_step(h, byte):
    """One byte of fastText's FNV-1a: the byte sign-extended to 32 bits (``int8_t`` cast)."""
    extended = byte | 0xFFFFFF00 if byte >= 128 else byte
    return ((h ^ extended) * _FNV_PRIME) & _MASK32


@nb.njit(cache=True)
def fnv1a_hash(data):
    """fastText's hash of the bytes ``data`` (uint8 (n,)), as int64 in [0, 2**32)."""
    h = np.int64(_FNV_OFFSET)
    for k in range(data.shape[0]):
        h = _fnv_step(h, np.int64(data[k]))
    return h


@nb.njit(inline="always")
def _ngrams_of(data, start, stop, minn, maxn, buckets, out, at):
    """The bucket ids of the n-grams of the wrapped word ``data[start:stop]``, in fastText's
    order, written to ``out[at:]`` when ``out`` is long enough (else only counted); returns
    how many there are."""
    count = 0
    for i in range(start, stop):
        if (data[i] & 0xC0) == 0x80:  # a UTF-8 continuation byte starts no character
            continue
        h = np.int64(_FNV_OFFSET)
        j = i
        n = 1
        while j < stop and n <= maxn:
            h = _fnv_step(h, np.int64(data[j]))
            j += 1
            while j < stop and (data[j] & 0xC0) == 0x80:
                h = _fnv_step(h, np.int64(data[j]))
                j += 1
            if n >= minn and not (n == 1 and (i == start or j == stop)):
                if at + count < out.shape[0]:
                    out[at + count] = h % buckets
                count += 1
            n += 1
    return count


@nb.njit(cache=True)
def count_ngrams(data, offsets, minn, maxn):
    """Number of n-grams of each wrapped word: int64 (W,) for ``offsets`` int64 (W+1,)."""
    counts = np.empty(offsets.shape[0] - 1, dtype=np.int64)
    nothing = np.empty(0, dtype=np.int64)
    for w in range(counts.shape[0]):
        counts[w] = _ngrams_of(data, offsets[w], offsets[w + 1], minn, maxn, 1, nothing, 0)
    return counts


@nb.njit(cache=True)
def fill_subword_rows(data, offsets, minn, maxn, buckets, first_bucket_row, word_rows, starts, rows):
    """Fill ``rows`` (int32 (starts[-1],)) with each word's input rows: ``word_rows[w]`` first
    when it is >= 0 (a vocabulary word's own row), then ``first_bucket_row + bucket`` of each
    n-gram; ``starts`` int64 (W+1,) comes from the counts."""
    scratch = np.empty(rows.shape[0], dtype=np.int64)
    for w in range(offsets.shape[0] - 1):
        at = starts[w]
        if word_rows[w] >= 0:
            rows[at] = word_rows[w]
            at += 1
        n = _ngrams_of(data, offsets[w], offsets[w + 1], minn, maxn, buckets, scratch, at)
        for k in range(at, at + n):
            rows[k] = first_bucket_row + scratch[k]


@nb.njit(parallel=True, cache=True)
def mean_rows(matrix, starts, rows, out):
    """``out[w]`` = mean of ``matrix[rows[starts[w]:starts[w+1]]]`` (float32 (W, D)); zero for a
    word without rows (fastText's ``getWordVector``). Accumulates in float32, as fastText."""
    for w in nb.prange(out.shape[0]):
        target = out[w]
        target[:] = 0.0
        begin, end = starts[w], starts[w + 1]
        for k in range(begin, end):
            row = matrix[rows[k]]
            for d in range(target.shape[0]):
                target[d] += row[d]
        if end > begin:
            scale = np.float32(1.0) / np.float32(end - begin)
            for d in range(target.shape[0]):
                target[d] *= scale
