"""Reading raw text corpora: files, directories, compression, decoding and tokenizing.

A corpus is one or more text files (plain, ``.gz``, ``.bz2`` or ``.xz``) or directories of
them. Each line is one sentence or document, as in word2vec.c and gensim's ``LineSentence``.
Lines longer than ``max_sentence_length`` tokens are split into pieces of at most that length;
the number of lines split is counted in :class:`CorpusStats` and reported, never silent
(gensim truncates such sentences at 10,000 words without a word). A UTF-8 byte-order mark at
the start of a file is dropped; a NUL byte anywhere makes the file a binary file, refused with
its line number; pipes, sockets and devices are refused (the corpus is read more than once).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import os
import re
import stat
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import CorpusError, describe_os_error
from .files import not_regular_kind

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

    Directories are walked recursively (hidden entries skipped, symbolic links to directories
    not followed) and their files sorted by path, so the corpus order does not depend on the
    file system.

    Raises
    ------
    CorpusError
        If no path is given, a path does not exist or cannot be read, a directory holds no
        files, or a path (or a file in a directory) is not a regular file: a pipe such as a
        piped ``/dev/stdin``, a socket or a device (the corpus is read more than once).
    """
    if not paths:
        raise CorpusError("no corpus given")
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        mode = _stat_mode(path, "corpus file not found")
        if stat.S_ISDIR(mode):
            found = _walk(path)
            if not found:
                raise CorpusError(f"corpus directory has no files: {path}")
            files.extend(found)
        else:
            _check_regular(path, mode)
            files.append(path)
    return files


def _stat_mode(path: Path, missing: str) -> int:
    try:
        return path.stat().st_mode
    except FileNotFoundError:
        raise CorpusError(f"{missing}: {path}") from None
    except OSError as exc:
        raise CorpusError(f"cannot read corpus {path}: {describe_os_error(exc)}") from None


def _check_regular(path: Path, mode: int) -> None:
    kind = not_regular_kind(mode)
    if kind is not None:
        raise CorpusError(
            f"{path} is not a regular file ({kind}); embedkit reads the corpus more than once: save it to a file first"
        )


def _walk(directory: Path) -> list[Path]:
    """The files under ``directory`` (hidden entries skipped), sorted by path."""

    def refuse(exc: OSError) -> None:
        raise CorpusError(f"cannot read corpus directory {exc.filename}: {describe_os_error(exc)}")

    found = []
    for root, dirs, names in os.walk(directory, onerror=refuse):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # links to directories are listed, not walked
        for name in names:
            if not name.startswith("."):
                path = Path(root) / name
                _check_regular(path, _stat_mode(path, f"corpus directory {directory} has a broken link"))
                found.append(path)
    return sorted(found)


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
        for path in self.files:
            stats.bytes += path.stat().st_size
            yield from self.sentences(Shard(str(path)), stats)

    def sentences(self, shard: Shard, stats: CorpusStats) -> Iterator[list[str]]:
        """The sentences of one shard (a whole file or a byte range of lines), counted into
        ``stats`` (all but ``files`` and ``bytes``); the shards of :func:`plan_shards`, read in
        order, give exactly the sentences of the whole corpus.

        Raises
        ------
        CorpusError
            As iterating the corpus; line numbers count from the start of the file.
        """
        tokenize = self._tokenizer()
        limit = self.options.max_sentence_length
        for line in self._decoded_lines(Path(shard.path), stats, shard.start, shard.stop):
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

    def _decoded_lines(self, path: Path, stats: CorpusStats, start: int = 0, stop: int | None = None) -> Iterator[str]:
        """The lines of ``path`` (of bytes ``[start, stop)``, which begin and end at line
        boundaries, for a plain file) as text: a leading UTF-8 byte-order mark dropped, NUL
        bytes refused."""
        policy = self.options.encoding_errors
        try:
            with open_binary(path) as fh:
                if start:  # a shard after the first: its lines are checked one by one below, so
                    fh.seek(start)  # that the first error in the file is reported, as by one reader
                head = fh.peek(_SNIFF_BYTES)[:_SNIFF_BYTES] if hasattr(fh, "peek") and not start else b""
                if b"\x00" in head:  # refused before a binary file's first "line" is read whole
                    raise _binary_file(path, head.count(b"\n", 0, head.index(b"\x00")) + 1)
                lines = fh if stop is None else _lines_until(fh, start, stop)
                for number, raw in enumerate(lines, start=1):
                    if number == 1 and start == 0 and raw.startswith(codecs.BOM_UTF8):
                        raw = raw[len(codecs.BOM_UTF8) :]
                    if b"\x00" in raw:
                        raise _binary_file(path, _lines_before(path, start) + number)
                    try:
                        yield raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        if policy == "strict":
                            raise CorpusError(
                                f"{path}:{_lines_before(path, start) + number}: invalid UTF-8 at byte {exc.start} "
                                "(use --encoding-errors replace or ignore)"
                            ) from None
                        stats.invalid_utf8_lines += 1
                        yield raw.decode("utf-8", errors=policy)
        except OSError as exc:
            raise CorpusError(f"cannot read {path}: {describe_os_error(exc)}") from None
        except (EOFError, lzma.LZMAError, zlib.error) as exc:
            raise CorpusError(f"cannot read {path}: {exc} (a damaged or truncated compressed file)") from None


@dataclass(frozen=True)
class Shard:
    """A piece of a corpus one worker reads: bytes ``[start, stop)`` of a plain file, both at
    line starts (``stop`` None: to the end), or a whole compressed file."""

    path: str
    start: int = 0
    stop: int | None = None


#: The smallest byte range a plain file is split into (smaller pieces cost more than they save).
MIN_SHARD_BYTES = 1 << 22


def plan_shards(files: Sequence[Path], target_bytes: int) -> list[Shard]:
    """Cut the corpus into shards in corpus order: each plain file into byte ranges of about
    ``target_bytes`` (at least :data:`MIN_SHARD_BYTES`) that end just after a newline, each
    compressed file whole (its stream cannot be entered in the middle).

    Raises
    ------
    CorpusError
        If a file cannot be read.
    """
    step = max(int(target_bytes), MIN_SHARD_BYTES)
    shards: list[Shard] = []
    for path in files:
        try:
            size = path.stat().st_size
            if path.suffix.lower() in _OPENERS or size <= step:
                shards.append(Shard(str(path)))
                continue
            with open(path, "rb") as fh:
                start = 0
                while start < size:
                    stop = _next_line_start(fh, start + step, size)
                    shards.append(Shard(str(path), start, None if stop >= size else stop))
                    start = stop
        except OSError as exc:
            raise CorpusError(f"cannot read {path}: {describe_os_error(exc)}") from None
    return shards


def _next_line_start(fh: BinaryIO, offset: int, size: int) -> int:
    """The first line start at or after ``offset`` (``size`` if no newline follows)."""
    if offset >= size:
        return size
    fh.seek(offset - 1)  # a newline just before ``offset`` makes ``offset`` a line start
    while block := fh.read(1 << 16):
        newline = block.find(b"\n")
        if newline >= 0:
            return min(offset + newline, size)
        offset += len(block)
    return size


def _lines_until(fh: BinaryIO, position: int, stop: int) -> Iterator[bytes]:
    """The lines of ``fh`` (at byte ``position``, a line start) that start before ``stop``."""
    while position < stop and (raw := fh.readline()):
        position += len(raw)
        yield raw


def _lines_before(path: Path, offset: int) -> int:
    """Newlines in the first ``offset`` bytes of a plain file (for the line numbers of errors)."""
    if not offset:
        return 0
    count = 0
    with open(path, "rb") as fh:
        while offset > 0 and (block := fh.read(min(offset, 1 << 24))):
            count += block.count(b"\n")
            offset -= len(block)
    return count


def _binary_file(path: Path, line: int) -> CorpusError:
    return CorpusError(f"{path}:{line}: looks like a binary file (NUL bytes), not text; give text files")
