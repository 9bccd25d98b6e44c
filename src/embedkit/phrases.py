"""Phrase detection: frequent word pairs (and pairs joined by a connector word) become one token,
``new york`` -> ``new_york``, before training.

Scores, for a candidate phrase of first word ``a`` and last word ``b`` with counts ``n_a``,
``n_b``, phrase count ``n_ab`` and ``N`` corpus tokens:

* ``word2phrase`` (Mikolov et al. 2013, "Distributed Representations of Words and Phrases and
  their Compositionality", word2vec.c's word2phrase): ``(n_ab - min_count) / (n_a * n_b) * N``;
  0 when ``a`` or ``b`` is seen fewer than ``min_count`` times. Default threshold 100.
* ``npmi`` (Bouma 2009; gensim's ``npmi_scorer``): ``ln(p_ab / (p_a p_b)) / -ln(p_ab)`` with
  ``p = n / N``, in [-1, 1]; ``-inf`` when ``n_ab < min_count``. Default threshold 0.5.

A candidate scoring above the threshold is a phrase. Joining is greedy from the left within a
line, as word2phrase: at each position a phrase starting there is joined and the scan goes on
after it. Connector words (``--connectors``, e.g. ``of the``: gensim's ``connector_words``)
never start or end a phrase; ``a c b`` with one connector ``c`` between two other words is a
candidate scored by its own count and the counts of ``a`` and ``b`` (``bank_of_america``).
``passes`` > 1 runs again on the joined text, so phrases grow (word2phrase's demo: two passes,
thresholds 200 then 100).

Counting uses the corpus pass of training (tokenizer, lower-casing, the cache), with every word
kept (``min_count`` 1, no pruning, lines never split), so the pairs are the text's own
adjacent words; the ids of one pass are held in memory (4 bytes a token).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .corpus import CorpusOptions
from .encode import prepare_corpus
from .errors import ConfigError
from .files import atomic_writer, scratch_directory
from .vocab import VocabOptions

SCORINGS = ("word2phrase", "npmi")
#: gensim 4's ``ENGLISH_CONNECTOR_WORDS``, the words that may join two others in a phrase.
CONNECTORS_ENGLISH = frozenset("a an the for of with without at from to in on by and or".split())
DEFAULT_THRESHOLD = {"word2phrase": 100.0, "npmi": 0.5}
#: Counting keeps every word type (no word2vec.c-style pruning: a pruned word would vanish from
#: the output text) and never splits a line (a split would break the phrases across it).
NO_PRUNING = 2**62
UNSPLIT = 2**62


@dataclass(frozen=True)
class PhraseOptions:
    """``min_count`` [5], ``scoring`` (one of :data:`SCORINGS`), ``thresholds`` one per pass
    (the last repeats for further passes) [the scoring's default], ``passes`` [1], the phrase
    ``delimiter`` ["_"] and the ``connectors`` (words that may sit inside a phrase)."""

    min_count: int = 5
    scoring: str = "word2phrase"
    thresholds: tuple[float, ...] = ()
    passes: int = 1
    delimiter: str = "_"
    connectors: frozenset[str] = frozenset()

    def threshold(self, pass_number: int) -> float:
        """The threshold of pass ``pass_number`` (0-based)."""
        chosen = self.thresholds or (DEFAULT_THRESHOLD[self.scoring],)
        return chosen[min(pass_number, len(chosen) - 1)]

    def check(self) -> None:
        """Raises ConfigError for a bad value (negative word2phrase threshold, NPMI outside [-1, 1],
        min_count or passes below 1, an empty delimiter or one with whitespace)."""
        if self.scoring not in SCORINGS:
            raise ConfigError(f"--scoring must be one of {', '.join(SCORINGS)}, got {self.scoring!r}")
        if self.min_count < 1 or self.passes < 1:
            raise ConfigError("--min-count and --passes must be at least 1")
        for value in self.thresholds:
            if not math.isfinite(value):
                raise ConfigError(f"--threshold {value} is not a finite number")
            if self.scoring == "word2phrase" and value < 0:
                raise ConfigError(
                    f"--threshold {value} is negative; word2phrase scores are compared with a threshold >= 0"
                )
            if self.scoring == "npmi" and not -1 <= value <= 1:
                raise ConfigError(f"--threshold {value} is outside [-1, 1], the range of NPMI")
        if not self.delimiter or any(c.isspace() for c in self.delimiter):
            raise ConfigError("--delimiter must be a non-empty string without whitespace")


@dataclass
class Phrases:
    """The candidates of one pass: ``first``, ``connector`` (-1 for none) and ``last`` word ids,
    their ``count`` and ``score`` (float64), for the vocabulary ``words``; ``is_connector`` (V,)."""

    words: list[str]
    first: np.ndarray
    connector: np.ndarray
    last: np.ndarray
    count: np.ndarray
    score: np.ndarray

    def text(self, i: int, delimiter: str = "_") -> str:
        parts = [self.first[i], *([self.connector[i]] if self.connector[i] >= 0 else []), self.last[i]]
        return delimiter.join(self.words[p] for p in parts)

    def top(self, n: int, threshold: float, by: str = "count", delimiter: str = "_") -> list[tuple[str, int, float]]:
        """The first ``n`` phrases (candidates scoring above ``threshold``) by ``count`` or by
        ``score``, largest first: (text, count, score)."""
        kept = np.flatnonzero(self.score > threshold)
        key = self.count[kept] if by == "count" else self.score[kept]
        best = kept[np.argsort(-key, kind="stable")[:n]]
        return [(self.text(i, delimiter), int(self.count[i]), float(self.score[i])) for i in best]


def score_candidates(
    ids: np.ndarray, starts: np.ndarray, counts: np.ndarray, is_connector: np.ndarray, options: PhraseOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Count and score every candidate phrase (see the module).

    Parameters
    ----------
    ids : (N,) int32 token ids; starts : (S + 1,) int64 sentence offsets;
    counts : (V,) int64 word counts; is_connector : (V,) bool.

    Returns
    -------
    first, connector, last : (P,) int64 (connector -1 for two-word candidates)
    count : (P,) int64; score : (P,) float64
    """
    n_tokens, vocab = len(ids), len(counts)
    same_line = np.ones(max(n_tokens - 1, 0), dtype=bool)
    ends = starts[1:-1] - 1
    same_line[ends[(ends >= 0) & (ends < len(same_line))]] = False
    ids64 = ids.astype(np.int64)
    plain = ~is_connector[ids]
    pair = same_line & plain[:-1] & plain[1:]
    pair_keys, pair_counts = np.unique(ids64[:-1][pair] * vocab + ids64[1:][pair], return_counts=True)
    triple = same_line[:-1] & same_line[1:] & plain[:-2] & ~plain[1:-1] & plain[2:]
    rank, connectors = _connector_ranks(is_connector)
    triple_keys, triple_counts = np.unique(
        _triple_keys(ids64[:-2][triple], ids64[1:-1][triple], ids64[2:][triple], vocab, rank), return_counts=True
    )
    middle, n_connectors = triple_keys // vocab, max(len(connectors), 1)
    first = np.concatenate([pair_keys // vocab, middle // n_connectors])
    connector = np.concatenate([np.full(len(pair_keys), -1), connectors[middle % n_connectors]])
    last = np.concatenate([pair_keys % vocab, triple_keys % vocab])
    count = np.concatenate([pair_counts, triple_counts]).astype(np.int64)
    n_a, n_b = counts[first].astype(np.float64), counts[last].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if options.scoring == "word2phrase":
            score = (count - options.min_count) / (n_a * n_b) * n_tokens
            score[(n_a < options.min_count) | (n_b < options.min_count)] = 0.0
        else:
            p_ab = count / n_tokens
            score = np.log(p_ab / ((n_a / n_tokens) * (n_b / n_tokens))) / -np.log(p_ab)
            score[count >= n_tokens] = 1.0  # p_ab = 1: the whole corpus is this phrase
            score[count < options.min_count] = -np.inf
    return first, connector, last, count, score


def _connector_ranks(is_connector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(V,) int64 rank of each connector word among the connectors (-1 for other words), and
    the (C,) ids of the connectors: three-word keys use the rank, so they stay below C V^2."""
    connectors = np.flatnonzero(is_connector).astype(np.int64)
    rank = np.full(len(is_connector), -1, dtype=np.int64)
    rank[connectors] = np.arange(len(connectors))
    return rank, connectors


def _triple_keys(first, middle, last, vocab: int, rank: np.ndarray) -> np.ndarray:
    """int64 keys of ``first connector last`` triples: ``(first C + rank(connector)) V + last``."""
    return (first * max(int((rank >= 0).sum()), 1) + rank[middle]) * vocab + last


def join_phrases(
    ids: np.ndarray, starts: np.ndarray, phrases: Phrases, threshold: float, is_connector: np.ndarray
) -> np.ndarray:
    """(N,) int8: for each token, how many tokens the output token starting there spans (1, 2
    or 3), 0 for tokens swallowed by a phrase; greedy from the left within each line."""
    from ._phrase_kernels import greedy_spans  # numba loads here, not when the CLI starts

    vocab = len(phrases.words)
    chosen = phrases.score > threshold
    two_mask, three_mask = chosen & (phrases.connector < 0), chosen & (phrases.connector >= 0)
    two = phrases.first[two_mask] * vocab + phrases.last[two_mask]
    rank, _ = _connector_ranks(is_connector)
    three = _triple_keys(
        phrases.first[three_mask], phrases.connector[three_mask], phrases.last[three_mask], vocab, rank
    )
    ids64 = ids.astype(np.int64)
    span = np.zeros(len(ids), dtype=np.int8)
    pair_hit = np.zeros(len(ids), dtype=bool)
    if len(ids) > 1 and len(two):
        pair_hit[:-1] = np.isin(ids64[:-1] * vocab + ids64[1:], two)
    triple_hit = np.zeros(len(ids), dtype=bool)
    if len(ids) > 2 and len(three):
        inside = np.flatnonzero(is_connector[ids[1:-1]])
        keys = _triple_keys(ids64[inside], ids64[inside + 1], ids64[inside + 2], vocab, rank)
        triple_hit[inside] = np.isin(keys, three)
    greedy_spans(pair_hit, triple_hit, starts, span)
    return span


def _count_pass(
    paths: Sequence[str | os.PathLike], corpus_options: CorpusOptions, options: PhraseOptions, cache_dir, use_cache, log
):
    vocab_options = VocabOptions(min_count=1, prune_at=NO_PRUNING)
    prepared = prepare_corpus(paths, corpus_options, vocab_options, cache_dir, use_cache, log)
    vocab, encoded = prepared.vocab, prepared.encoded
    ids = encoded.read_ids(0, encoded.n_tokens)
    is_connector = np.array([w in options.connectors for w in vocab.words], dtype=bool)
    found = Phrases(vocab.words, *score_candidates(ids, encoded.sentence_starts, vocab.counts, is_connector, options))
    return found, ids, encoded.sentence_starts, is_connector


def detect_phrases(
    paths: Sequence[str | os.PathLike],
    output: str | os.PathLike,
    options: PhraseOptions | None = None,
    corpus_options: CorpusOptions | None = None,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    log: Callable[[str], None] | None = None,
) -> list[tuple[Phrases, float, int]]:
    """Run ``options.passes`` passes over the corpus ``paths`` and write the joined text to
    ``output`` atomically: one line per input line that has a token (blank lines are dropped, no
    line is split), tokens separated by one space.

    Returns
    -------
    list of (Phrases, threshold, tokens joined) per pass.

    Raises
    ------
    ConfigError
        For bad options (:meth:`PhraseOptions.check`).
    CorpusError, StorageError
        As :func:`embedkit.encode.prepare_corpus`, or if ``output`` cannot be written.
    """
    options = options or PhraseOptions()
    options.check()
    corpus_options = replace(corpus_options or CorpusOptions(), max_sentence_length=UNSPLIT)
    log = log or (lambda message: None)
    passes = []
    with scratch_directory("phrases") as work:
        source = list(paths)
        for number in range(options.passes):
            found, ids, starts, is_connector = _count_pass(source, corpus_options, options, cache_dir, use_cache, log)
            threshold = options.threshold(number)
            span = join_phrases(ids, starts, found, threshold, is_connector)
            joined = int(np.count_nonzero(span > 1))
            passes.append((found, threshold, joined))
            log(f"pass {number + 1}: {joined:,} phrases joined (threshold {threshold:g}, {options.scoring})")
            target = Path(output) if number == options.passes - 1 else work / f"pass-{number + 1}.txt"
            _write_joined(target, found.words, ids, starts, span, options.delimiter)
            # later passes read the joined text as it is: no second tokenizing or lower-casing
            source, corpus_options = [target], replace(corpus_options, tokenizer="whitespace", lowercase=False)
            use_cache = False  # an intermediate file is not worth a cache entry
    return passes


def _write_joined(path: Path, words: list[str], ids, starts, span, delimiter: str) -> None:
    with atomic_writer(path, "w") as fh:
        for s in range(len(starts) - 1):
            line, i, stop = [], int(starts[s]), int(starts[s + 1])
            while i < stop:
                width = int(span[i])
                line.append(delimiter.join(words[ids[j]] for j in range(i, i + width)) if width > 1 else words[ids[i]])
                i += max(width, 1)
            fh.write(" ".join(line) + "\n")
