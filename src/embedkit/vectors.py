"""Trained word vectors and the queries on them: similarity, nearest neighbours, analogies.

All queries use cosine similarity, computed on unit-normalised float32 vectors. Words are
looked up exactly. Vectors with subwords (:attr:`Embeddings.subwords`: trained with ``maxn > 0``,
or a fastText ``.bin``) answer for query words outside the vocabulary too, with the mean of
their n-gram rows (fastText's ``get_word_vector``); the answers are still vocabulary words.

Zero vectors (and rows with NaN or infinite values, which load only with
``allow_nonfinite=True``) are similar to nothing: their unit vector is zero, so their cosine
with any word is 0; they are never returned as a neighbour or an answer, and a query on such a
word is an error. A query that leaves no candidate (a one-word vocabulary) is an error too,
never an empty answer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from .errors import EmbedkitError, UnknownWordError, VectorsFormatError, ZeroVectorError
from .files import remove_file
from .io import read_vectors, refuse_nonfinite, write_vectors

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
        #: An :class:`embedkit.ann.NeighbourIndex` over :attr:`unit`: when set, :meth:`most_similar`
        #: (and 3CosAdd analogies) rank its candidates instead of scanning every row.
        self.neighbour_index = None
        #: The n-gram rows (:class:`embedkit.subwords.Subwords`) of a subword model, or None:
        #: when set, query words outside the vocabulary get vectors from them.
        self.subwords = None

    @classmethod
    def load(
        cls,
        path: str | os.PathLike,
        fmt: str = "auto",
        allow_nonfinite: bool = False,
        limit: int | None = None,
        subwords: bool = True,
    ) -> Embeddings:
        """Read a word2vec text/binary, GloVe text, fastText ``.vec`` or ``.bin``, or native file
        (see :mod:`embedkit.io` and :mod:`embedkit.fasttext_bin`), with the n-gram rows of
        ``PATH.ngrams`` when that file is present (:mod:`embedkit.subwords`).

        Parameters
        ----------
        path : str or PathLike
        fmt : str
            One of :data:`embedkit.io.FORMATS` (default ``auto``: detected from the content).
        allow_nonfinite : bool
            Load rows with NaN/Inf values (they are then similar to nothing) instead of refusing
            the file (default False).
        limit : int, optional
            Read only the first ``limit`` rows (gensim's ``limit``); the rest is not read.
        subwords : bool
            Attach the n-gram rows of a subword model (default True); False ignores them
            (``--oov skip``).

        Raises
        ------
        VectorsFormatError
            If the file is missing or malformed, lists a word twice, or has non-finite values
            (unless allowed); if its n-gram file belongs to other vectors.
        StorageError
            If the file system refuses the read.
        """
        from . import fasttext_bin
        from . import subwords as subword_files

        if fmt in ("auto", "fasttext-bin") and fasttext_bin.is_fasttext_bin(path):
            embeddings = fasttext_bin.load(path, limit=limit, subwords=subwords)
            if not allow_nonfinite:
                refuse_nonfinite(path, embeddings.words, embeddings.vectors, ("word", 1))
            return embeddings
        words, vectors = read_vectors(path, fmt, allow_nonfinite=allow_nonfinite, limit=limit)
        if len(set(words)) != len(words):
            seen: set[str] = set()
            duplicate = next(w for w in words if w in seen or seen.add(w))
            raise VectorsFormatError(f"{path}: word {duplicate!r} appears more than once")
        embeddings = cls(words, vectors)
        sidecar = subword_files.ngrams_path(path)
        if subwords and sidecar.exists():
            embeddings.subwords = subword_files.read_ngrams(sidecar, words, embeddings.dim, prefix=limit is not None)
        return embeddings

    def save(self, path: str | os.PathLike, fmt: str = "auto") -> None:
        """Write atomically (:func:`embedkit.io.write_vectors`); ``fmt="auto"`` picks text for
        ``.txt``/``.vec``, native for ``.npy``, else binary. With :attr:`subwords`, their rows
        go to ``PATH.ngrams`` after the vectors; without, a ``PATH.ngrams`` left by an earlier
        write is removed (it would describe other vectors). Raises VectorsFormatError for words
        the format cannot hold, StorageError if the file system refuses."""
        from .subwords import ngrams_path, write_ngrams

        write_vectors(path, self.words, self.vectors, fmt)
        sidecar = ngrams_path(path)
        if self.subwords is not None:
            write_ngrams(sidecar, self.subwords, self.words)
        elif sidecar.exists():
            remove_file(sidecar, "stale n-gram file")

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
    def norms(self) -> np.ndarray:
        """L2 norm of each row, shape (V,), float64 (NaN or inf for rows with non-finite values)."""
        with np.errstate(all="ignore"):
            return np.sqrt(np.einsum("ij,ij->i", self.vectors, self.vectors, dtype=np.float64))

    @cached_property
    def usable(self) -> np.ndarray:
        """Rows that can be similar to something: finite with a non-zero norm, shape (V,), bool."""
        return np.isfinite(self.norms) & (self.norms > 0)

    @cached_property
    def usable_count(self) -> int:
        """Number of :attr:`usable` rows."""
        return int(np.count_nonzero(self.usable))

    @cached_property
    def unit(self) -> np.ndarray:
        """Rows scaled to unit L2 norm, shape (V, D), float32; zero and non-finite rows are zero."""
        scale = np.divide(1.0, self.norms, out=np.zeros_like(self.norms), where=self.usable).astype(np.float32)
        with np.errstate(all="ignore"):
            unit = self.vectors * scale[:, None]
        unit[~self.usable] = 0
        return unit

    def knows(self, word: str) -> bool:
        """Whether ``word`` has a vector: in the vocabulary, or any word with :attr:`subwords`."""
        return word in self.index or self.subwords is not None

    def vector(self, word: str) -> np.ndarray:
        """The vector of ``word``, float32 (D,): its row, or with :attr:`subwords` the mean of
        its n-gram rows when it is outside the vocabulary. Raises :class:`UnknownWordError`."""
        if word in self.index or self.subwords is None:
            return self.vectors[self.row(word)]
        return self.subwords.vectors([word])[0]

    def similarity(self, word1: str, word2: str) -> float:
        """Cosine similarity of two words, in [-1, 1]; 0 if either has a zero (or non-finite)
        vector. Words outside the vocabulary take their subword vectors when there are subwords."""
        return float(self._unit_of(word1) @ self._unit_of(word2))

    def _unit_of(self, word: str) -> np.ndarray:
        """The unit vector of ``word`` (zero for a zero vector), subwords included."""
        if word in self.index or self.subwords is None:
            return self.unit[self.row(word)]
        vector = self.vector(word)
        norm = float(np.linalg.norm(vector))
        return vector / np.float32(norm) if norm > 0 else vector

    def _query_units(self, words: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Unit vectors of query words, float32 (len(words), D), and the vocabulary rows among
        them (excluded from answers); raises if a word is unknown or similar to nothing."""
        units = np.stack([self._unit_of(w) for w in words])
        for word, unit in zip(words, units):
            if word in self.index and not self.usable[self.index[word]]:
                kind = "a zero vector" if self.norms[self.index[word]] == 0 else "non-finite values"
                raise ZeroVectorError(f"{word!r} has {kind}; it is similar to nothing")
            if not unit.any():
                raise ZeroVectorError(f"{word!r} has no character n-gram in the model; it is similar to nothing")
        return units, [self.index[w] for w in words if w in self.index]

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
            If a query word is not in the vocabulary (and there are no subwords).
        ZeroVectorError
            If a query word has a zero vector or the query words cancel out.
        EmbedkitError
            If no word is left to compare with.
        ValueError
            If no query word is given.
        """
        if not positive and not negative:
            raise ValueError("most_similar needs at least one word")
        units, rows = self._query_units([*positive, *negative])
        weights = np.array([1.0] * len(positive) + [-1.0] * len(negative), dtype=np.float32)
        query = (weights[:, None] * units).mean(axis=0)
        norm = np.linalg.norm(query)
        if not norm > 1e-6:
            raise ZeroVectorError(
                f"the query {' '.join([*positive, *('-' + w for w in negative)])} is a zero vector "
                "(its words cancel out)"
            )
        query /= norm
        if self.neighbour_index is not None and restrict_vocab is None:
            found = self._top_of_index(query, topn, exclude=rows)
            if found is not None:
                return found
        scores = self._candidates(restrict_vocab) @ query
        return self._top(scores, topn, exclude=rows)

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

        Raises
        ------
        UnknownWordError, ZeroVectorError, EmbedkitError
            As :meth:`most_similar`.
        """
        if method == "3cosadd":
            return self.most_similar([a, c], [b], topn=topn, restrict_vocab=restrict_vocab)
        if method != "3cosmul":
            raise ValueError(f"unknown analogy method {method!r} (choose from {', '.join(ANALOGY_METHODS)})")
        units, rows = self._query_units([a, b, c])
        candidates = self._candidates(restrict_vocab)
        shifted = (1.0 + candidates @ units.T) / 2.0
        scores = shifted[:, 0] * shifted[:, 2] / (shifted[:, 1] + np.float32(COSMUL_EPSILON))
        return self._top(scores, topn, exclude=rows)

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word least similar to the others: lowest cosine to the normalised mean of the
        unit vectors of ``words`` (as gensim's ``doesnt_match``).

        Raises
        ------
        UnknownWordError
            If a word is not in the vocabulary.
        ZeroVectorError
            If a word has a zero vector.
        ValueError
            With fewer than two words.
        """
        if len(words) < 2:
            raise ValueError("doesnt_match needs at least two words")
        units, _ = self._query_units(words)
        mean = units.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        return words[int(np.argmin(units @ mean))]

    def _candidates(self, restrict_vocab: int | None) -> np.ndarray:
        return self.unit if restrict_vocab is None else self.unit[:restrict_vocab]

    def _top_of_index(self, query: np.ndarray, topn: int, exclude: list[int]) -> list[tuple[str, float]] | None:
        """The best ``topn`` of the index's candidates for the unit ``query`` (D,), by exact
        cosine; None when the candidates left after ``exclude`` are fewer than an exact scan
        would return (the caller then scans)."""
        rows = self.neighbour_index.candidates(query[None, :], topn + len(exclude))[0]
        rows = rows[rows >= 0]  # pynndescent pads with -1 when it finds fewer than k
        rows = rows[self.usable[rows] & ~np.isin(rows, exclude)]
        available = self.usable_count - len({r for r in exclude if self.usable[r]})
        if len(rows) < min(topn, available) or available == 0:
            return None
        scores = self.unit[rows] @ query
        best = np.argsort(-scores, kind="stable")[:topn]
        return [(self.words[rows[i]], float(scores[i])) for i in best]

    def _top(self, scores: np.ndarray, topn: int, exclude: list[int]) -> list[tuple[str, float]]:
        """The ``topn`` best usable rows outside ``exclude``, best first."""
        allowed = self.usable[: len(scores)].copy()
        allowed[[r for r in exclude if r < len(scores)]] = False
        count = int(np.count_nonzero(allowed))
        if count == 0:
            raise EmbedkitError(
                f"nothing to compare with: the vectors have {len(self)} word(s), none of them outside the query "
                "with a non-zero vector"
            )
        scores = np.where(allowed, scores, -np.inf)
        k = min(topn, count)
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")][:k]
        return [(self.words[i], float(scores[i])) for i in best]
