"""Huffman tree for hierarchical softmax: prefix-free, optimal, V-1 inner nodes."""

import heapq

import numpy as np
import pytest

from embedkit.huffman import build_huffman_tree


def heapq_code_lengths(counts):
    """Reference Huffman code lengths with a priority queue."""
    heap = [(int(c), i, [i]) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    lengths = np.zeros(len(counts), dtype=int)
    tie = len(counts)
    while len(heap) > 1:
        c1, _, w1 = heapq.heappop(heap)
        c2, _, w2 = heapq.heappop(heap)
        lengths[w1 + w2] += 1
        heapq.heappush(heap, (c1 + c2, tie, w1 + w2))
        tie += 1
    return lengths


@pytest.fixture(params=["zipf", "flat", "two"])
def counts(request):
    if request.param == "two":
        return np.array([5, 3])
    if request.param == "flat":
        return np.full(64, 10)
    return np.sort((100_000 / np.arange(1, 3001) ** 1.1).astype(np.int64) + 1)[::-1]


def test_codes_are_prefix_free_and_complete(counts):
    tree = build_huffman_tree(counts)
    codes = ["".join(map(str, tree.codes[w, : tree.lengths[w]])) for w in range(len(counts))]
    assert len(set(codes)) == len(codes)
    ordered = sorted(codes)
    assert not any(b.startswith(a) for a, b in zip(ordered, ordered[1:]))
    assert sum(2.0 ** -len(c) for c in codes) == pytest.approx(1.0)  # a full binary tree


def test_tree_has_v_minus_1_inner_nodes_and_paths_start_at_the_root(counts):
    tree = build_huffman_tree(counts)
    v = len(counts)
    used = {int(p) for w in range(v) for p in tree.points[w, : tree.lengths[w]]}
    assert used == set(range(v - 1))
    assert np.all(tree.points[:, 0] == v - 2)
    # a node's children are reached through it: each (node, branch) pair leads to one subtree
    child = {}
    for w in range(v):
        for k in range(tree.lengths[w] - 1):
            key = (int(tree.points[w, k]), int(tree.codes[w, k]))
            assert child.setdefault(key, int(tree.points[w, k + 1])) == int(tree.points[w, k + 1])


def test_lengths_follow_counts_and_are_optimal(counts):
    tree = build_huffman_tree(counts)
    assert np.all(np.diff(tree.lengths) >= 0)  # rarer words never get shorter codes
    assert (counts * tree.lengths).sum() == (counts * heapq_code_lengths(counts)).sum()
    assert np.all(tree.points[np.arange(tree.points.shape[1]) >= tree.lengths[:, None]] == -1)


def test_bad_input():
    with pytest.raises(ValueError, match="two words"):
        build_huffman_tree(np.array([3]))
    with pytest.raises(ValueError, match="descending"):
        build_huffman_tree(np.array([1, 5, 3]))
