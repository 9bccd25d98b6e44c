"""Checks every trainer makes before it allocates or trains: enough words, something to learn
from, and memory for the parameters."""

from __future__ import annotations

from ..encode import EncodedCorpus
from ..errors import CorpusError
from ..memory import check_allocation
from ..vocab import Vocabulary

_LOWER = "lower --dim or shrink the vocabulary (--min-count, --max-vocab)"


def require_words(vocab: Vocabulary, minimum: int = 2) -> None:
    """At least ``minimum`` vocabulary words (a one-word vocabulary has nothing to compare).

    Raises
    ------
    CorpusError
    """
    if len(vocab) < minimum:
        raise CorpusError(
            f"the vocabulary has {len(vocab)} word(s), at least {minimum} are needed; use a larger corpus, "
            "lower --min-count or raise --max-vocab"
        )


def require_context_pairs(encoded: EncodedCorpus) -> None:
    """At least one sentence with two in-vocabulary tokens (a window-based model learns from pairs).

    Raises
    ------
    CorpusError
        If every sentence (line) holds a single in-vocabulary token.
    """
    if encoded.max_sentence_length < 2:
        raise CorpusError(
            "no line has two in-vocabulary words, so there is no (word, context) pair to learn from; "
            "put sentences on lines (one line = one sentence), lower --min-count or raise --max-sentence-length"
        )


def require_memory(nbytes: int, what: str) -> None:
    """``nbytes`` for ``what`` fit in the memory available now (see :func:`embedkit.memory.check_allocation`)."""
    check_allocation(nbytes, what, _LOWER)
