"""Reading raw text corpora: files, directories, compression, decoding and tokenizing.

A corpus is one or more text files (plain, ``.gz``, ``.bz2`` or ``.xz``) or directories of
them. Each line is one sentence or document, as in word2vec.c and gensim's ``LineSentence``.
Lines longer than ``max_sentence_length`` tokens are split into pieces of at most that length;
the number of lines split is counted in :class:`CorpusStats` and reported, never silent
(gensim truncates such sentences at 10,000 words without a word).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import CorpusError

#: Tokenizer modes: ``whitespace`` splits on runs of whitespace (word2vec.c, gensim);
#: ``regex`` keeps words (letters/digits with inner apostrophes or hyphens) and drops
#: punctuation, for raw text.
TOKENIZERS = ("whitespace", "regex")
#: Policies for bytes that are not valid UTF-8 (Python codec error handlers).
ENCODING_ERRORS = ("replace", "ignore", "strict")

_WORD_RE = re.compile(r"\w+(?:['’-]\w+)*")
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class CorpusOptions:
    """How raw text becomes token sequences.

    Attributes
    ----------
    tokenizer : {"whitespace", "regex"}
        ``whitespace`` (default) splits on whitespace like word2vec.c; ``regex`` extracts
        word tokens and drops punctuation.
    lowercase : bool
        Lower-case every token (default False: the text is taken as it is).
    max_sentence_length : int
        Longest token sequence handed to a trainer (default 10,000 as gensim); longer lines
        are split into consecutive pieces.
    encoding_errors : {"replace", "ignore", "strict"}
        What to do with bytes that are not UTF-8: replace them with U+FFFD (default), drop
        them, or stop with a :class:`CorpusError` naming the file and line.
    """

    tokenizer: str = "whitespace"
    lowercase: bool = False
    max_sentence_length: int = 10_000
    encoding_errors: str = "replace"

    def __post_init__(self) -> None:
        if self.tokenizer not in TOKENIZERS:
            raise CorpusError(f"unknown tokenizer {self.tokenizer!r} (choose from {', '.join(TOKENIZERS)})")
        if self.encoding_errors not in ENCODING_ERRORS:
            raise CorpusError(
                f"unknown encoding_errors {self.encoding_errors!r} (choose from {', '.join(ENCODING_ERRORS)})"
            )
        if self.max_sentence_length < 1:
            raise CorpusError("max_sentence_length must be at least 1")


@dataclass
class CorpusStats:
    """Counters filled while a corpus is read (all counts are plain ints)."""

    files: int = 0
    bytes: int = 0
    lines: int = 0
    tokens: int = 0
    sentences: int = 0
    split_lines: int = 0
    invalid_utf8_lines: int = 0

    def warnings(self) -> list[str]:
        """Human-readable notes about anything the reader changed in the text."""
        out = []
        if self.split_lines:
            out.append(f"{self.split_lines} line(s) longer than the maximum sentence length were split")
        if self.invalid_utf8_lines:
            out.append(f"{self.invalid_utf8_lines} line(s) contained invalid UTF-8 bytes")
        return out


def expand_paths(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Resolve corpus arguments to a sorted list of files.

    Directories are walked recursively (hidden entries skipped) and their files sorted by
    path, so the corpus order does not depend on the file system.

    Raises
    ------
    CorpusError
        If no path is given, a path does not exist, or a directory holds no files.
    """
    if not paths:
        raise CorpusError("no corpus given")
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                raise CorpusError(f"corpus directory has no files: {path}")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise CorpusError(f"corpus file not found: {path}")
    return files


def open_binary(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, decompressing ``.gz``, ``.bz2`` and ``.xz`` by suffix."""
    opener = _OPENERS.get(path.suffix.lower(), open)
    return opener(path, "rb")


class Corpus:
    """A re-iterable stream of sentences (lists of ``str`` tokens) from text files.

    Parameters
    ----------
    paths : sequence of str or Path
        Files or directories (see :func:`expand_paths`).
    options : CorpusOptions, optional
        Tokenizer settings; the defaults follow word2vec.c.

    Each iteration re-reads the files and refreshes :attr:`stats`.

    Raises
    ------
    CorpusError
        On missing files, binary (non-text) content, undecodable bytes under the ``strict``
        policy, or an unreadable compressed stream.
    """

    def __init__(self, paths: Sequence[str | os.PathLike], options: CorpusOptions | None = None):
        self.files = expand_paths(paths)
        self.options = options or CorpusOptions()
        self.stats = CorpusStats()

    def fingerprint(self) -> list[tuple[str, int, int, int, int]]:
        """(absolute path, size in bytes, mtime in ns, inode, ctime in ns) of every file, for
        cache keys. The ctime changes on every write (and on chmod, rename, hard links), so an
        edit that keeps the size and restores the mtime still changes the key.

        Raises
        ------
        CorpusError
            If a file can no longer be read.
        """
        out = []
        for path in self.files:
            try:
                st = path.stat()
            except OSError as exc:
                raise CorpusError(f"cannot read corpus {path}: {exc.strerror}") from None
            out.append((str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))
        return out

    def __iter__(self) -> Iterator[list[str]]:
        self.stats = stats = CorpusStats(files=len(self.files))
        tokenize = self._tokenizer()
        limit = self.options.max_sentence_length
        for path in self.files:
            stats.bytes += path.stat().st_size
            for line in self._decoded_lines(path, stats):
                tokens = tokenize(line)
                stats.lines += 1
                if not tokens:
                    continue
                stats.tokens += len(tokens)
                if len(tokens) <= limit:
                    stats.sentences += 1
                    yield tokens
                    continue
                stats.split_lines += 1
                for start in range(0, len(tokens), limit):
                    stats.sentences += 1
                    yield tokens[start : start + limit]

    def _tokenizer(self):
        lower = self.options.lowercase
        if self.options.tokenizer == "regex":
            findall = _WORD_RE.findall
            return (lambda s: findall(s.lower())) if lower else findall
        return (lambda s: s.lower().split()) if lower else str.split

    def _decoded_lines(self, path: Path, stats: CorpusStats) -> Iterator[str]:
        policy = self.options.encoding_errors
        try:
            with open_binary(path) as fh:
                head = fh.peek(_SNIFF_BYTES)[:_SNIFF_BYTES] if hasattr(fh, "peek") else b""
                if b"\x00" in head:
                    raise CorpusError(f"{path} looks like a binary file (NUL bytes), not text")
                for number, raw in enumerate(fh, start=1):
                    try:
                        yield raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        if policy == "strict":
                            raise CorpusError(
                                f"{path}:{number}: invalid UTF-8 at byte {exc.start} "
                                "(use --encoding-errors replace or ignore)"
                            ) from None
                        stats.invalid_utf8_lines += 1
                        yield raw.decode("utf-8", errors=policy)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
            raise CorpusError(f"cannot read {path}: {exc}") from None
