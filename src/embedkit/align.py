"""Aligning two embedding spaces and ranking the words whose meaning moved between them.

Two runs of any trainer (two corpora, two decades, two seeds) give vectors that are equal only
up to a rotation. Hamilton, Leskovec & Jurafsky (2016, "Diachronic Word Embeddings Reveal
Statistical Laws of Semantic Change", ACL) align them by orthogonal Procrustes over the shared
vocabulary: the orthogonal ``R`` minimising ``||B R - A||_F`` for the unit rows of the anchor
words (``scipy.linalg.orthogonal_procrustes``). Rotations keep cosines, so ``B R`` answers
every query as ``B`` does, in ``A``'s coordinates.

Drift (Hamilton et al. 2016, and their "Cultural Shift or Linguistic Drift?", EMNLP 2016) is
measured two ways for each shared word: the cosine distance between its vector in ``A`` and
its aligned vector from ``B`` (global measure), and the change of its ``k`` nearest neighbours
among the compared words (local measure; here the Jaccard distance of the two neighbour sets,
which needs no alignment).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import orthogonal_procrustes

from .errors import EmbedkitError
from .vectors import Embeddings

#: Rows of the (rows x compared words) similarity block computed at a time in the neighbour search.
NEIGHBOUR_BLOCK = 2048


@dataclass
class Alignment:
    """``rotation`` (D, D) float64, orthogonal: ``B.vectors @ rotation`` is B in A's space;
    ``anchors``: the words it was fitted on (A's frequency order); ``residual``: the mean
    Euclidean distance between the anchors' unit rows of A and rotated B (0 = a pure rotation)."""

    rotation: np.ndarray
    anchors: list[str]
    residual: float


def shared_words(a: Embeddings, b: Embeddings, top: int | None = None) -> list[str]:
    """Words with a usable (finite, non-zero) vector in both spaces, in A's order (most frequent
    first), at most the first ``top`` of them.

    Raises
    ------
    EmbedkitError
        If the dimensions differ or fewer than two words are shared.
    """
    if a.dim != b.dim:
        raise EmbedkitError(f"the vectors have different dimensions ({a.dim} and {b.dim}); they cannot be aligned")
    words = [w for i, w in enumerate(a.words) if a.usable[i] and w in b.index and b.usable[b.index[w]]]
    if len(words) < 2:
        raise EmbedkitError(
            f"the two vector sets share {len(words)} word(s) with a non-zero vector; at least 2 are needed"
        )
    return words[:top] if top else words


def align(a: Embeddings, b: Embeddings, anchors: int | None = None) -> tuple[Embeddings, Alignment]:
    """Rotate ``b`` onto ``a`` by orthogonal Procrustes over their shared words.

    Parameters
    ----------
    a, b : Embeddings
        Same dimension D; any vocabularies sharing at least two words.
    anchors : int, optional
        Fit on only the ``anchors`` most frequent shared words (A's order) [all shared words].

    Returns
    -------
    aligned : Embeddings
        All of ``b``'s words, vectors ``b.vectors @ rotation`` (float32, norms kept).
    alignment : Alignment

    Raises
    ------
    EmbedkitError
        As :func:`shared_words`.
    """
    alignment = _fit_rotation(a, b, shared_words(a, b, anchors))
    aligned = Embeddings(b.words, (b.vectors.astype(np.float64) @ alignment.rotation).astype(np.float32))
    return aligned, alignment


def _fit_rotation(a: Embeddings, b: Embeddings, words: list[str]) -> Alignment:
    """Orthogonal Procrustes of ``b``'s unit rows of ``words`` onto ``a``'s."""
    target = a.unit[[a.index[w] for w in words]].astype(np.float64)
    source = b.unit[[b.index[w] for w in words]].astype(np.float64)
    rotation, _ = orthogonal_procrustes(source, target)
    residual = float(np.linalg.norm(source @ rotation - target, axis=1).mean())
    return Alignment(rotation, words, residual)


@dataclass
class DriftRow:
    """One word: ``cosine_distance`` 1 - cos(A, aligned B), in [0, 2]; ``neighbour_distance``
    the Jaccard distance of its ``k`` nearest neighbours in A and in B, in [0, 1]."""

    word: str
    cosine_distance: float
    neighbour_distance: float


def drift(
    a: Embeddings, b: Embeddings, top: int = 10_000, anchors: int | None = None, neighbours: int = 10
) -> list[DriftRow]:
    """Shared words ranked by how far they moved from ``a`` to ``b``, farthest first.

    Parameters
    ----------
    a, b : Embeddings
    top : int
        Compare the ``top`` most frequent shared words (A's order) [10,000, as Hamilton et al.];
        their neighbours are searched among the same words.
    anchors : int, optional
        Words the rotation is fitted on [all shared words].
    neighbours : int
        ``k`` of the neighbour sets [10].

    Returns
    -------
    list of DriftRow, by cosine distance, largest first (ties: A's order).

    Raises
    ------
    EmbedkitError
        As :func:`shared_words`, or if ``neighbours`` is not below the number of compared words.
    """
    shared = shared_words(a, b)
    rotation = _fit_rotation(a, b, shared[:anchors] if anchors else shared).rotation
    words = shared[:top]
    if not 1 <= neighbours < len(words):
        raise EmbedkitError(
            f"--neighbours {neighbours} needs at least {neighbours + 1} compared words; {len(words)} are shared "
            "(within --top)"
        )
    unit_a = a.unit[[a.index[w] for w in words]]
    unit_b = (b.unit[[b.index[w] for w in words]].astype(np.float64) @ rotation).astype(np.float32)
    cosine = 1.0 - np.einsum("ij,ij->i", unit_a, unit_b, dtype=np.float64)
    shared = _overlap(_nearest(unit_a, neighbours), _nearest(unit_b, neighbours))
    jaccard = 1.0 - shared / (2 * neighbours - shared)
    order = np.argsort(-cosine, kind="stable")
    return [DriftRow(words[i], float(cosine[i]), float(jaccard[i])) for i in order]


def _nearest(unit: np.ndarray, k: int) -> np.ndarray:
    """(N, k) int64: the rows of each row's ``k`` largest cosines among the other rows (unordered)."""
    result = np.empty((len(unit), k), dtype=np.int64)
    for start in range(0, len(unit), NEIGHBOUR_BLOCK):
        block = unit[start : start + NEIGHBOUR_BLOCK] @ unit.T
        block[np.arange(len(block)), np.arange(start, start + len(block))] = -np.inf
        result[start : start + len(block)] = np.argpartition(-block, k - 1, axis=1)[:, :k]
    return result


def _overlap(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(N,) int: size of the intersection of row i of ``first`` and row i of ``second``."""
    both = np.sort(np.concatenate([first, second], axis=1), axis=1)
    return np.count_nonzero(both[:, 1:] == both[:, :-1], axis=1)
