"""Huffman coding of the vocabulary for hierarchical softmax (Morin & Bengio 2005; word2vec.c).

Each word is a leaf of a binary Huffman tree built from the word counts; its probability is the
product of binary decisions at the ``V - 1`` inner nodes on the path from the root. The tree is
built with word2vec.c's linear-time two-queue construction, which needs the counts sorted in
descending order (the vocabulary's order).
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np


class HuffmanTree(NamedTuple):
    """Paths of every word through the tree, padded to the longest code.

    points : int32 (V, L)
        Inner-node indices (rows of the output matrix, ``0 .. V-2``) from the root down.
    codes : int8 (V, L)
        The branch taken at each of those nodes (0 or 1).
    lengths : int32 (V,)
        Code length of each word; entries past it are padding (-1).
    """

    points: np.ndarray
    codes: np.ndarray
    lengths: np.ndarray


def build_huffman_tree(counts: np.ndarray) -> HuffmanTree:
    """Huffman tree over words with ``counts`` (int, shape (V,), descending, V >= 2).

    Frequent words get short codes: the expected code length is minimal for the count
    distribution, and no code is a prefix of another.

    Raises
    ------
    ValueError
        If fewer than two words are given or the counts are not in descending order.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.shape[0] < 2:
        raise ValueError("hierarchical softmax needs at least two words")
    if np.any(np.diff(counts) > 0):
        raise ValueError("counts must be sorted in descending order")
    parent, branch = _build(counts)
    return HuffmanTree(*_paths(parent, branch, counts.shape[0]))


@nb.njit(cache=True)
def _build(counts):
    n = counts.shape[0]
    weight = np.empty(2 * n - 1, dtype=np.int64)
    weight[:n] = counts
    parent = np.zeros(2 * n - 1, dtype=np.int64)
    branch = np.zeros(2 * n - 1, dtype=np.int8)
    leaf = n - 1  # next unused leaf, smallest count first
    inner = n  # next unused inner node, created in non-decreasing weight order
    for a in range(n - 1):
        picked = np.empty(2, dtype=np.int64)
        for k in range(2):
            if leaf >= 0 and (inner >= n + a or weight[leaf] < weight[inner]):
                picked[k] = leaf
                leaf -= 1
            else:
                picked[k] = inner
                inner += 1
        weight[n + a] = weight[picked[0]] + weight[picked[1]]
        parent[picked[0]] = n + a
        parent[picked[1]] = n + a
        branch[picked[1]] = 1
    return parent, branch


@nb.njit(cache=True)
def _paths(parent, branch, n):
    root = 2 * n - 2
    lengths = np.zeros(n, dtype=np.int32)
    for w in range(n):
        node = w
        while node != root:
            lengths[w] += 1
            node = parent[node]
    depth = lengths.max()
    points = np.full((n, depth), -1, dtype=np.int32)
    codes = np.full((n, depth), -1, dtype=np.int8)
    for w in range(n):
        node = w
        k = lengths[w] - 1
        while node != root:
            codes[w, k] = branch[node]
            points[w, k] = parent[node] - n
            node = parent[node]
            k -= 1
    return points, codes, lengths
