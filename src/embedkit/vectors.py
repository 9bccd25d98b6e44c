"""Trained word vectors and the queries on them: similarity, nearest neighbours, analogies.

All queries use cosine similarity, computed on unit-normalised float32 vectors (rows of zero
norm stay zero). Words are looked up exactly; :meth:`Embeddings.restricted` gives the
case-folded, frequency-restricted view the evaluators use.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from .errors import UnknownWordError, VectorsFormatError
from .io import read_vectors, write_vectors

ANALOGY_METHODS = ("3cosadd", "3cosmul")
#: 3CosMul's epsilon in the denominator (Levy & Goldberg 2014; gensim uses the same).
COSMUL_EPSILON = 1e-6


class Embeddings:
    """Words and their vectors, most frequent word first.

    Parameters
    ----------
    words : sequence of str, length V
    vectors : ndarray, shape (V, D)
        Stored as float32 (C-contiguous).

    Raises
    ------
    ValueError
        If lengths differ or a word repeats.
    """

    def __init__(self, words: Sequence[str], vectors: np.ndarray):
        self.words = list(words)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise ValueError(f"{len(self.words)} words but vectors of shape {self.vectors.shape}")
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("duplicate words in embeddings")

    @classmethod
    def load(cls, path: str | os.PathLike, fmt: str = "auto") -> "Embeddings":
        """Read a word2vec text/binary, GloVe text or fastText ``.vec`` file (see :mod:`embedkit.io`).

        Raises
        ------
        VectorsFormatError
            If the file is unreadable or malformed, or lists a word twice.
        """
        words, vectors = read_vectors(path, fmt)
        if len(set(words)) != len(words):
            seen: set[str] = set()
            duplicate = next(w for w in words if w in seen or seen.add(w))
            raise VectorsFormatError(f"{path}: word {duplicate!r} appears more than once")
        return cls(words, vectors)

    def save(self, path: str | os.PathLike, fmt: str = "auto") -> None:
        """Write atomically; ``fmt="auto"`` picks text for ``.txt``/``.vec``, else binary."""
        write_vectors(path, self.words, self.vectors, fmt)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.row(word)]

    def row(self, word: str) -> int:
        """Row index of ``word``; raises :class:`UnknownWordError` if absent."""
        try:
            return self.index[word]
        except KeyError:
            raise UnknownWordError(word) from None

    @cached_property
    def unit(self) -> np.ndarray:
        """Rows scaled to unit L2 norm, shape (V, D), float32 (zero rows stay zero)."""
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        return self.vectors / np.where(norms > 0, norms, 1).astype(np.float32)

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words, in [-1, 1]."""
        return float(self.unit[self.row(word1)] @ self.unit[self.row(word2)])

    def most_similar(
        self,
        positive: Sequence[str] = (),
        negative: Sequence[str] = (),
        topn: int = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]]:
        """Words closest to the normalised sum of unit vectors of ``positive`` minus ``negative``.

        The query words themselves are excluded (as gensim's ``most_similar``).

        Parameters
        ----------
        positive, negative : sequences of str
        topn : int
            Number of neighbours (default 10).
        restrict_vocab : int, optional
            Search only the first (most frequent) ``restrict_vocab`` words.

        Returns
        -------
        list of (word, cosine) pairs, best first.

        Raises
        ------
        UnknownWordError
            If a query word is not in the vocabulary.
        ValueError
            If no query word is given.
        """
        if not positive and not negative:
            raise ValueError("most_similar needs at least one word")
        rows = [self.row(w) for w in positive] + [self.row(w) for w in negative]
        weights = np.array([1.0] * len(positive) + [-1.0] * len(negative), dtype=np.float32)
        query = (weights[:, None] * self.unit[rows]).mean(axis=0)
        norm = np.linalg.norm(query)
        if norm > 0:
            query /= norm
        scores = self._candidates(restrict_vocab) @ query
        return self._top(scores, topn, exclude=set(rows))

    def analogy(
        self, a: str, b: str, c: str, topn: int = 10, method: str = "3cosadd", restrict_vocab: int | None = None
    ) -> list[tuple[str, float]]:
        """Words ``x`` best completing ``a - b + c`` (``king man woman`` -> ``queen``).

        Parameters
        ----------
        a, b, c : str
            ``b`` is to ``a`` as ``c`` is to the answer.
        method : {"3cosadd", "3cosmul"}
            3CosAdd maximises ``cos(x, a) - cos(x, b) + cos(x, c)`` (Mikolov et al. 2013);
            3CosMul maximises ``s(x, a) * s(x, c) / (s(x, b) + 1e-6)`` with cosines shifted to
            [0, 1] by ``s = (1 + cos) / 2`` (Levy & Goldberg 2014, as gensim's
            ``most_similar_cosmul``).

        Returns
        -------
        list of (word, score) pairs, best first; ``a``, ``b`` and ``c`` are excluded.
        """
        if method == "3cosadd":
            return self.most_similar([a, c], [b], topn=topn, restrict_vocab=restrict_vocab)
        if method != "3cosmul":
            raise ValueError(f"unknown analogy method {method!r} (choose from {', '.join(ANALOGY_METHODS)})")
        rows = [self.row(w) for w in (a, b, c)]
        candidates = self._candidates(restrict_vocab)
        shifted = (1.0 + candidates @ self.unit[rows].T) / 2.0
        scores = shifted[:, 0] * shifted[:, 2] / (shifted[:, 1] + np.float32(COSMUL_EPSILON))
        return self._top(scores, topn, exclude=set(rows))

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word least similar to the others: lowest cosine to the normalised mean of the
        unit vectors of ``words`` (as gensim's ``doesnt_match``).

        Raises
        ------
        UnknownWordError
            If a word is not in the vocabulary.
        ValueError
            With fewer than two words.
        """
        if len(words) < 2:
            raise ValueError("doesnt_match needs at least two words")
        rows = [self.row(w) for w in words]
        mean = self.unit[rows].mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        return words[int(np.argmin(self.unit[rows] @ mean))]

    def _candidates(self, restrict_vocab: int | None) -> np.ndarray:
        return self.unit if restrict_vocab is None else self.unit[:restrict_vocab]

    def _top(self, scores: np.ndarray, topn: int, exclude: set[int]) -> list[tuple[str, float]]:
        k = min(len(scores), topn + len(exclude))
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in best if i not in exclude][:topn]
