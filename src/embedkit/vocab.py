"""The vocabulary: word types, their corpus counts, and the distributions derived from them.

Words are sorted by descending count (ties keep first-occurrence order), so word id 0 is the
most frequent word and "the N most frequent words" is the id range ``[0, N)`` — the order
word2vec.c and gensim write to vector files and that evaluation restrictions rely on.
"""

from __future__ import annotations

import itertools
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import CorpusError
from .files import atomic_writer


@dataclass(frozen=True)
class VocabOptions:
    """How the vocabulary is cut from the raw counts.

    Attributes
    ----------
    min_count : int
        Words seen fewer times are dropped (default 5, as word2vec.c and gensim).
    max_vocab : int or None
        Keep at most this many of the most frequent words after ``min_count`` (final size;
        default None, no cap).
    prune_at : int
        While counting, when more than this many distinct words are held, words seen fewer
        than ``k`` times so far are forgotten (``k`` = 2, 3, ... on each pruning), like
        word2vec.c's ``ReduceVocab``. Bounds memory on huge corpora; counts of pruned words
        become lower bounds, which is reported. Default 20,000,000 (word2vec.c prunes at
        21M with its 30M hash table).
    """

    min_count: int = 5
    max_vocab: int | None = None
    prune_at: int = 20_000_000

    def __post_init__(self) -> None:
        if self.min_count < 1:
            raise CorpusError("min_count must be at least 1")
        if self.max_vocab is not None and self.max_vocab < 1:
            raise CorpusError("max_vocab must be at least 1")
        if self.prune_at < 1000:
            raise CorpusError("prune_at must be at least 1000")


#: Provisional ids buffered before they are counted and handed to the sink.
_FLUSH_TOKENS = 1 << 20


class WordCounter:
    """Counts the words of a token stream, giving each distinct word a provisional id: its rank of
    first appearance (0, 1, ...).

    Each token costs one C-level dict lookup (a ``defaultdict`` whose factory is an
    ``itertools.count``); the ids are counted in blocks with ``np.bincount``. Measured on the
    shared corpus (16.7M tokens): 2.3 s against 3.3 s for ``Counter.update``, and the ids it
    yields let :func:`embedkit.encode.prepare_corpus` encode the corpus without a second pass.

    Parameters
    ----------
    prune_at : int
        When more than this many distinct words are held after a sentence, words seen fewer
        than ``k`` times so far are forgotten (``k`` = 2, 3, ...; :attr:`VocabOptions.prune_at`)
        and the survivors renumbered, keeping their order.
    sink : callable, optional
        Receives the provisional ids, int32 arrays in corpus order, until the first pruning
        (:attr:`renumbered` then becomes True and the sink gets nothing more: ids given before
        it no longer match :attr:`words`).
    """

    def __init__(self, prune_at: int, sink: Callable[[np.ndarray], object] | None = None):
        self.prune_at, self.sink = prune_at, sink
        self.pruned_below = 0
        self.renumbered = False
        self._ids: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self._pending: list[int] = []
        self._counts = np.zeros(0, dtype=np.int64)

    def add(self, tokens: Sequence[str]) -> None:
        """Count one sentence."""
        self._pending.extend(map(self._ids.__getitem__, tokens))
        if len(self._ids) > self.prune_at:
            self._prune()
        elif len(self._pending) >= _FLUSH_TOKENS:
            self._flush()

    @property
    def words(self):
        """The words held, in provisional-id order (a live view of the dict's keys)."""
        return self._ids.keys()

    def counts(self) -> np.ndarray:
        """int64 (W,): the count of every word held, in provisional-id order (flushes the buffer)."""
        self._flush()
        return self._counts

    def _flush(self) -> None:
        ids = np.array(self._pending, dtype=np.int32)
        self._pending.clear()
        counts = np.bincount(ids, minlength=len(self._ids))
        counts[: self._counts.shape[0]] += self._counts
        self._counts = counts
        if self.sink is not None and ids.shape[0]:
            self.sink(ids)

    def _prune(self) -> None:
        self._flush()
        self.pruned_below = max(self.pruned_below, 1) + 1
        survivors = np.flatnonzero(self._counts >= self.pruned_below)
        words = list(self._ids)
        self._ids = defaultdict(itertools.count(survivors.shape[0]).__next__)
        self._ids.update((words[i], new) for new, i in enumerate(survivors.tolist()))
        self._counts = self._counts[survivors]
        self.renumbered, self.sink = True, None


@dataclass
class Vocabulary:
    """Word types with counts, most frequent first.

    Attributes
    ----------
    words : list of str, length V
        Word types, by descending count.
    counts : ndarray, shape (V,), int64
        Corpus count of each word.
    pruned_below : int
        0 if counting was exact; otherwise words seen fewer than this many times were
        forgotten during counting (see :attr:`VocabOptions.prune_at`).
    """

    words: list[str]
    counts: np.ndarray
    pruned_below: int = 0
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.counts = np.asarray(self.counts, dtype=np.int64)
        if len(self.words) != len(self.counts):
            raise ValueError("words and counts differ in length")
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    @property
    def total_words(self) -> int:
        """Number of corpus tokens that are in the vocabulary (word2vec.c's ``train_words``)."""
        return int(self.counts.sum())

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], options: VocabOptions | None = None) -> Vocabulary:
        """Count words in one streaming pass and cut the vocabulary.

        Parameters
        ----------
        sentences : iterable of sequences of str
            Token sequences, e.g. a :class:`embedkit.corpus.Corpus`.
        options : VocabOptions, optional
            ``min_count``, ``max_vocab`` and ``prune_at``.

        Raises
        ------
        CorpusError
            If the corpus has no tokens, or no word reaches ``min_count``.
        """
        options = options or VocabOptions()
        counter = WordCounter(options.prune_at)
        for tokens in sentences:
            counter.add(tokens)
        return cls.from_counter(counter, options)

    @classmethod
    def from_counter(cls, counter: WordCounter, options: VocabOptions | None = None) -> Vocabulary:
        """Cut a vocabulary from a finished :class:`WordCounter` (see :meth:`from_counts`).

        Raises
        ------
        CorpusError
            If nothing was counted, or no word reaches ``min_count``.
        """
        counts = counter.counts()
        if not counts.shape[0]:
            raise CorpusError("the corpus is empty (no tokens)")
        return cls.from_counts(list(counter.words), counts, options, counter.pruned_below)

    @classmethod
    def from_counts(
        cls, words: Sequence[str], counts: np.ndarray, options: VocabOptions | None = None, pruned_below: int = 0
    ) -> Vocabulary:
        """Cut a vocabulary from ``words`` and their ``counts`` (int64 (W,)), given in order of
        first appearance, which breaks ties between equal counts (a stable sort by count, as
        gensim's).

        Raises
        ------
        CorpusError
            If no word reaches ``min_count``.
        """
        options = options or VocabOptions()
        counts = np.asarray(counts, dtype=np.int64)
        kept = np.flatnonzero(counts >= options.min_count)
        if not kept.shape[0]:
            raise CorpusError(
                f"no word occurs at least min_count={options.min_count} times "
                f"(the most frequent occurs {int(counts.max(initial=0))} times); lower --min-count"
            )
        order = kept[np.argsort(-counts[kept], kind="stable")][: options.max_vocab]
        return cls([words[i] for i in order.tolist()], counts[order], pruned_below)

    def save(self, path: str | os.PathLike) -> None:
        """Write ``word count`` lines, most frequent first (word2vec.c ``-save-vocab`` format)."""
        with atomic_writer(path, "w") as fh:
            for word, count in zip(self.words, self.counts.tolist()):
                fh.write(f"{word} {count}\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a ``word count`` file as written by :meth:`save` or word2vec.c ``-save-vocab``.

        Raises
        ------
        CorpusError
            If the file is missing or a line is not ``word count``.
        """
        words, counts = [], []
        try:
            with open(path, encoding="utf-8") as fh:
                for number, line in enumerate(fh, start=1):
                    parts = line.split()
                    if not parts:
                        continue
                    if len(parts) != 2 or not parts[1].isdigit():
                        raise CorpusError(f"{path}:{number}: expected 'word count', got {line.strip()[:60]!r}")
                    words.append(parts[0])
                    counts.append(int(parts[1]))
        except OSError as exc:
            raise CorpusError(f"cannot read vocabulary {path}: {exc.strerror}") from None
        if not words:
            raise CorpusError(f"vocabulary file is empty: {path}")
        order = np.argsort(-np.asarray(counts, dtype=np.int64), kind="stable")
        return cls([words[i] for i in order], np.asarray(counts, dtype=np.int64)[order])

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Probability of keeping each token under frequent-word subsampling.

        Uses word2vec.c's formula (not the paper's ``1 - sqrt(t/f)``):
        ``p_keep = (sqrt(c / (t*N)) + 1) * (t*N) / c``, capped at 1, where ``c`` is the word's
        count, ``N`` :attr:`total_words` and ``t = sample``. ``sample <= 0`` keeps everything.

        Returns
        -------
        ndarray, shape (V,), float64
        """
        if sample <= 0:
            return np.ones(len(self), dtype=np.float64)
        threshold = sample * self.total_words
        c = self.counts.astype(np.float64)
        return np.minimum((np.sqrt(c / threshold) + 1.0) * threshold / c, 1.0)

    def noise_distribution(self, exponent: float = 0.75) -> np.ndarray:
        """Negative-sampling distribution ``count**exponent / Z`` (0.75 as word2vec.c).

        Returns
        -------
        ndarray, shape (V,), float64, sums to 1
        """
        weights = self.counts.astype(np.float64) ** exponent
        return weights / weights.sum()
