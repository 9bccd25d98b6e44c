"""Exceptions that carry a user-facing, one-line message.

The CLI turns every :class:`EmbedkitError` into ``Error: <message>`` and exit code 1
(``--debug`` shows the traceback instead). Library users can catch the subclasses.
"""


class EmbedkitError(Exception):
    """Base class of the errors embedkit reports to users in one line."""


class CorpusError(EmbedkitError):
    """The corpus is missing, empty, unreadable, binary or yields no vocabulary."""


class VectorsFormatError(EmbedkitError):
    """A vectors file is malformed, truncated or in an unknown format."""


class UnknownWordError(EmbedkitError, KeyError):
    """A query word is not in the vocabulary of the loaded vectors."""

    def __init__(self, word: str):
        super().__init__(word)
        self.word = word

    def __str__(self) -> str:
        return f"word not in vocabulary: {self.word!r}"


class ConfigError(EmbedkitError):
    """A configuration value or file is invalid (unknown key, out-of-range value)."""


class TrainingError(EmbedkitError):
    """Training diverged (NaN/Inf parameters) or cannot proceed."""
