"""Vector file formats: word2vec text and binary, GloVe text, fastText ``.vec``, native ``.npy``.

Formats
-------
word2vec text
    Header ``V D``, then one line per word: ``word v1 v2 ... vD``. fastText's ``.vec`` files
    are this format.
word2vec binary
    Header ``V D\\n``, then per word: the UTF-8 word, one space, ``D`` little-endian float32
    (4*D bytes) and a newline, exactly as word2vec.c writes it. The reader also accepts rows
    without the newline (as gensim writes them).
GloVe text
    word2vec text without the header line (Stanford GloVe's output).
native (``.npy``)
    embedkit's fast format: ``NAME.npy`` holds the float32 (V, D) matrix as a NumPy array file
    and ``NAME.npy.words`` the words, one per line (UTF-8), after a first line
    ``# embedkit-native v1 rows=V dim=D crc32=XXXXXXXX`` (the CRC-32 of the matrix's bytes).
    Reading memory-maps the matrix.

How a file is read
------------------
The format is decided once, then the file is parsed strictly; nothing falls back to another
format. A leading UTF-8 byte-order mark is skipped.

* A file starting with the NumPy magic is native. Otherwise the first line is a header if it
  holds exactly two numeric fields; they must be positive integers ``V D`` (``0 4``, ``5 -4``,
  ``5 2.5`` are errors). So a GloVe file of 1-d vectors whose first word is a number cannot be
  read; that is the only ambiguity, and the writer refuses to make such a file.
* With a header, the file is text if its first row is a word and ``D`` numbers, or else if its
  first 64 KiB after the header (and at least its first row) have no control characters (other
  than tab, CR and LF) and are UTF-8 (or its first row ends in a number: text in another
  encoding, whose words are then reported as not UTF-8); otherwise it is word2vec binary. A text
  file that fails to parse is reported as text, with the line number.
* Before allocating, the header is checked against the file size: a binary row takes at least
  ``4*D + 2`` bytes, a text row at least ``2*D + 1``, and a text file must have ``V`` rows.
* Text rows are split at ASCII whitespace: ``word`` then exactly ``D`` numbers (as Python's
  ``float`` reads them, but without ``_`` digit separators, which C's ``strtod`` and gensim do
  not accept; a decimal comma is an error). Without a header, ``D`` is the most common number
  of trailing fields that start like a number over the first 100 rows (so the first word may
  contain a space). A word may contain spaces (GloVe 840B) only when the fields it is made of,
  after its first, are not numbers: ``new york 0.1 0.2`` is the word
  ``new york`` but ``queen 0.2 0.3 0.4`` with ``D = 2`` is an error (3 numbers), never the word
  ``queen 0.2``. Empty lines are errors except at the end of the file.
* NaN, infinite values and values beyond float32's range are errors naming the first such word
  and its line (row), unless ``allow_nonfinite=True`` (``--allow-nonfinite``).
* Native: the ``.npy`` header must describe a 2-d float32 matrix of exactly the file's size; the
  word list must have ``V`` lines with ``\\n`` line ends (a carriage return is an error naming
  its line) and, when it has the v1 header (files written before it are still read), match the
  matrix's shape and CRC-32, so a ``.npy`` and a ``.words`` from different writes are refused.
  Verifying reads the whole matrix once (as the finite check and the first query do anyway).
* File-system failures (missing file, directory, FIFO, permission) are one-line errors.
* Streaming: the first MiB decides the format; then the rows are read in 16 MiB blocks into a
  float32 matrix allocated once, so loading holds the matrix, the words and one block (the whole
  file and its lines, before: 9x the matrix for a text file). A text file is first scanned for
  its row count (newlines, less the blank lines at the end), which sizes a GloVe file's matrix and
  checks a header before any row is parsed. ``limit=N`` (``--limit N``, gensim's ``limit``)
  reads the first N rows only and checks nothing after them.

How a file is written
---------------------
Every writer goes through :func:`~embedkit.files.atomic_writer`: the data goes to a temporary
file beside the target, fsynced and renamed over it only once complete, so a failed or
interrupted write never leaves a partial file behind. The native pair is written words first:
the ``.words`` temporary file is complete and fsynced, then the ``.npy`` is written and renamed,
then the ``.words`` is renamed. A failure before the first rename leaves the old pair; a crash
between the two renames leaves a pair whose CRC does not match, which readers refuse.
Words are checked before any file is created: text and binary formats cannot hold an empty word
or one containing whitespace (use :func:`replace_whitespace`, ``convert --replace-space _``); the
native format cannot hold an empty word or one containing a newline or carriage return. GloVe text
cannot hold 1-d vectors whose first word is a number (line 1 would read as a header).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import StorageError, VectorsFormatError, storage_error
from .files import atomic_writer

FORMATS = ("auto", "word2vec-text", "word2vec-binary", "glove-text", "native")
#: Suffix of the word list beside a native ``.npy`` matrix.
NATIVE_WORDS_SUFFIX = ".words"
#: First line of a native word list (followed by `` rows=V dim=D crc32=XXXXXXXX``).
NATIVE_HEADER = "# embedkit-native v1"
_NATIVE_HEADER_RE = re.compile(r"# embedkit-native v1 rows=(\d+) dim=(\d+) crc32=([0-9a-f]{8})")
_FLOAT32_LE = np.dtype("<f4")
_BOM = b"\xef\xbb\xbf"
_NPY_MAGIC = b"\x93NUMPY"
#: Bytes after the header inspected to tell text from binary.
_SNIFF_BYTES = 1 << 16
#: Bytes read first: the header and the sniffed sample (a long first text row included).
_HEAD_BYTES = 1 << 20
#: Bytes the streaming readers read at a time (the peak beyond the matrix and the words).
_BLOCK_BYTES = 1 << 24
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Whitespace as the readers split at it (ASCII only, as ``bytes.split``).
_WHITESPACE = re.compile(r"[ \t\n\r\x0b\x0c]+")
_TEXT_CHUNK_ROWS = 4096
#: Rows of a headerless (GloVe) file whose trailing numbers decide its dimension.
_DIM_SAMPLE_ROWS = 100
_NUMBER_START = re.compile(rb"[-+]?(?:\d|\.\d|inf|nan)", re.IGNORECASE)
_FINITE_CHUNK_ROWS = 1 << 16


def format_for_path(path: str | os.PathLike) -> str:
    """Output format implied by a file name: ``.txt``/``.vec`` -> word2vec text, ``.npy`` -> native,
    anything else word2vec binary."""
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        return "native"
    return "word2vec-text" if suffix in (".txt", ".vec") else "word2vec-binary"


def native_words_path(path: str | os.PathLike) -> Path:
    """The word list of a native vectors file: ``NAME.npy`` -> ``NAME.npy.words``."""
    path = Path(path)
    return path.with_name(path.name + NATIVE_WORDS_SUFFIX)


# ----------------------------------------------------------------------------- writing


def write_vectors(path: str | os.PathLike, words: list[str], vectors: np.ndarray, fmt: str = "auto") -> None:
    """Write vectors in word2vec text or binary, GloVe text or the native format, atomically.

    Parameters
    ----------
    path : str or PathLike
    words : list of str, length V
        Non-empty; without whitespace for the text and binary formats, without a newline for
        the native one.
    vectors : ndarray, shape (V, D)
        Written as float32. Text uses ``%.9g``, which round-trips float32 exactly.
    fmt : {"auto", "word2vec-text", "word2vec-binary", "glove-text", "native"}
        ``auto`` picks by suffix (:func:`format_for_path`). ``native`` writes ``path`` (.npy)
        and its word list (:func:`native_words_path`); see the module notes.

    Raises
    ------
    VectorsFormatError
        On a shape mismatch, an unknown format or a word the format cannot hold (before any
        file is created).
    StorageError
        If the file system refuses the write (nothing is left behind).
    """
    vectors = np.ascontiguousarray(vectors, dtype=_FLOAT32_LE)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise VectorsFormatError(f"cannot write {path}: vectors of shape {vectors.shape} for {len(words)} words")
    if fmt == "auto":
        fmt = format_for_path(path)
    if fmt not in FORMATS[1:]:
        raise VectorsFormatError(
            f"cannot write {path}: unknown vectors format {fmt!r} (choose from {', '.join(FORMATS)})"
        )
    encoded = [word.encode("utf-8") for word in words]
    _check_writable_words(path, words, encoded, fmt)
    if fmt == "native":
        _write_native(Path(path), encoded, vectors)
        return
    n, dim = vectors.shape
    if fmt == "glove-text" and dim == 1 and _is_number(encoded[0]):
        raise VectorsFormatError(
            f"cannot write {path}: in a GloVe text file of 1-d vectors the first row {words[0]!r} and its value "
            "would read back as a 'V D' header; write word2vec text (with a header) or the native .npy format"
        )
    with atomic_writer(path, "wb") as fh:
        if fmt != "glove-text":
            fh.write(f"{n} {dim}\n".encode())
        if fmt == "word2vec-binary":
            for word, row in zip(encoded, vectors):
                fh.write(word + b" " + row.tobytes() + b"\n")
        else:
            row_format = " ".join(["%.9g"] * dim)
            for word, row in zip(words, vectors.tolist()):
                fh.write(f"{word} {row_format % tuple(row)}\n".encode())


def _check_writable_words(path, words: list[str], encoded: list[bytes], fmt: str) -> None:
    """Refuse words ``fmt`` cannot hold, naming the first one (fast check first)."""
    if fmt == "native":
        joined = b"\n".join(encoded)
        if b"" not in encoded and joined.count(b"\n") == len(encoded) - 1 and b"\r" not in joined:
            return
        bad = next(w for w in words if not w or "\n" in w or "\r" in w)
        raise VectorsFormatError(f"cannot write {path}: the word {bad!r} is empty or contains a line break")
    joined = b"".join(encoded)
    if joined.split() == [joined] and b"" not in encoded:  # no whitespace anywhere (a trailing one included)
        return
    bad = next(w for w in words if not w or _WHITESPACE.search(w))
    raise VectorsFormatError(
        f"cannot write {path}: the word {bad!r} is empty or contains whitespace, which {fmt} files cannot hold; "
        "replace it (embedkit convert --replace-space _) or write the native .npy format"
    )


def replace_whitespace(words: list[str], replacement: str) -> list[str]:
    """Replace each whitespace run inside a word by ``replacement`` (GloVe 840B exporters use ``_``).

    Parameters
    ----------
    words : list of str
    replacement : str
        Non-empty and without whitespace.

    Returns
    -------
    list of str, same length, order kept.

    Raises
    ------
    VectorsFormatError
        If ``replacement`` is empty or has whitespace, or two words become the same.
    """
    if not replacement or _WHITESPACE.search(replacement):
        raise VectorsFormatError(
            f"the replacement of whitespace must be non-empty without whitespace, got {replacement!r}"
        )
    replaced = [_WHITESPACE.sub(replacement, word.strip()) for word in words]
    first: dict[str, str] = {}
    for old, new in zip(words, replaced):
        other = first.setdefault(new, old)
        if other != old:
            raise VectorsFormatError(
                f"replacing whitespace by {replacement!r} makes {other!r} and {old!r} the same word {new!r}; "
                "choose another replacement"
            )
    return replaced


def _write_native(path: Path, encoded: list[bytes], vectors: np.ndarray) -> None:
    """Words first (complete and fsynced), then the matrix (renamed), then the words (renamed)."""
    n, dim = vectors.shape
    header = f"{NATIVE_HEADER} rows={n} dim={dim} crc32={zlib.crc32(vectors):08x}\n".encode()
    with atomic_writer(native_words_path(path), "wb") as words_fh:
        words_fh.write(header + b"".join(word + b"\n" for word in encoded))
        words_fh.flush()
        os.fsync(words_fh.fileno())
        with atomic_writer(path, "wb") as matrix_fh:
            np.save(matrix_fh, vectors)


# ----------------------------------------------------------------------------- reading


def read_vectors(
    path: str | os.PathLike, fmt: str = "auto", allow_nonfinite: bool = False, limit: int | None = None
) -> tuple[list[str], np.ndarray]:
    """Read a vectors file (the rules are in the module notes), streaming: text and binary rows go
    block by block into a preallocated float32 matrix, so the peak memory is the matrix, the words
    and one block of the file (``_BLOCK_BYTES``).

    Parameters
    ----------
    path : str or PathLike
    fmt : {"auto", "word2vec-text", "word2vec-binary", "glove-text", "native"}
        ``auto`` (default) detects the format from the content.
    allow_nonfinite : bool
        Load rows with NaN or infinite values instead of refusing the file (default False).
    limit : int, optional
        Read only the first ``limit`` rows (gensim's ``limit``; files are most frequent first).
        The rest of the file is not read, so it is not checked either (row count, trailing data).

    Returns
    -------
    words : list of str, length V >= 1 (at most ``limit``)
    vectors : ndarray, shape (V, D), float32 (a read-only memory map for the native format)

    Raises
    ------
    VectorsFormatError
        If the file is missing, empty, malformed, truncated, not in ``fmt``, or (unless
        allowed) holds non-finite values; if ``limit`` is below 1.
    StorageError
        If the file cannot be read (a directory, a FIFO, permission denied).
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise VectorsFormatError(f"unknown vectors format {fmt!r} (choose from {', '.join(FORMATS)})")
    if limit is not None and limit < 1:
        raise VectorsFormatError(f"limit must be at least 1, got {limit}")
    head, size = _read_head(path, "vectors file")
    if head.startswith(_NPY_MAGIC) and fmt in ("auto", "native"):
        words, vectors = _read_native(path)
        if limit is not None:
            words, vectors = words[:limit], vectors[:limit]
        numbering = ("row", 1)
    elif fmt == "native":
        raise VectorsFormatError(f"{path}: not a native .npy vectors file (no NumPy header)")
    else:
        words, vectors, numbering = _read_word2vec_or_glove(path, head, size, fmt, limit)
    if not allow_nonfinite:
        refuse_nonfinite(path, words, vectors, numbering)
    return words, vectors


def _checked_regular(path: Path, what: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise StorageError(f"cannot read {what} {path}: it is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise StorageError(f"cannot read {what} {path}: not a regular file (a FIFO or a device?)")


def _read_file(path: Path, what: str) -> bytes:
    """The bytes of a regular file; a missing file, a directory, a FIFO or device and OS errors are
    one-line errors."""
    return _read_head(path, what, -1)[0]


def _read_head(path: Path, what: str, limit: int = _HEAD_BYTES) -> tuple[bytes, int]:
    """The first ``limit`` bytes (all with -1) of a regular file, and its size (errors as
    :func:`_read_file`)."""
    try:
        st = path.stat()
        _checked_regular(path, what, st)
        with open(path, "rb") as fh:
            return fh.read(limit), st.st_size
    except FileNotFoundError:
        raise VectorsFormatError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise storage_error(exc, f"read {what}", path) from None


@contextlib.contextmanager
def _reading(path: Path, offset: int) -> Iterator[BinaryIO]:
    """The vectors file opened at byte ``offset``; OS errors while reading become StorageError."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            yield fh
    except OSError as exc:
        raise storage_error(exc, "read vectors file", path) from None


def _read_word2vec_or_glove(
    path: Path, head: bytes, size: int, fmt: str, limit: int | None
) -> tuple[list[str], np.ndarray, tuple[str, int]]:
    """Words, vectors and how messages number the rows: ``("line", first row's line)`` or ``("row", 1)``.

    ``head``: the file's first ``_HEAD_BYTES`` bytes (they decide the format), ``size``: its size."""
    base = len(_BOM) if head.startswith(_BOM) else 0
    head = head[base:]
    if not head.strip() and base + len(head) >= size:
        raise VectorsFormatError(f"vectors file is empty: {path}")
    header = _parse_header(path, head)
    if fmt == "auto" and header is None:
        fmt = "glove-text"
    elif fmt == "auto":
        fmt = "word2vec-text" if _looks_like_text(head, header, size - base) else "word2vec-binary"
    if fmt == "glove-text":
        if header is not None:
            raise VectorsFormatError(f"{path}: line 1 is a 'V D' header, which GloVe text files do not have")
        if not _looks_like_text(head, None, size - base):
            raise VectorsFormatError(f"{path}: neither text nor a word2vec binary file with a 'V D' header")
        return _read_text(path, base, size, None, limit)
    if header is None:
        raise VectorsFormatError(f"{path}: line 1 is not a 'V D' header, which {fmt} files start with")
    if fmt == "word2vec-binary":
        return _read_binary(path, base, size, header, limit)
    return _read_text(path, base, size, header, limit)


def _is_number(field: bytes) -> bool:
    """Whether ``field`` is a number as C's ``strtod`` reads one (Python's ``float`` minus ``_``)."""
    if b"_" in field:
        return False
    try:
        float(field)
    except ValueError:
        return False
    return True


def _parse_header(path: Path, data: bytes) -> tuple[int, int, int] | None:
    """(V, D, offset of the first row) if line 1 holds two numeric fields (validated), else None."""
    end = data.find(b"\n")
    end = len(data) if end < 0 else end
    fields = data[:end].split()
    if len(fields) != 2 or not all(_is_number(f) for f in fields):
        return None
    if not all(f.isdigit() for f in fields):
        raise VectorsFormatError(
            f"{path}: line 1: header {data[:end].strip().decode()!r} must be two positive integers "
            "'V D' (words, dimension)"
        )
    n, dim = int(fields[0]), int(fields[1])
    if n == 0 or dim == 0:
        raise VectorsFormatError(
            f"{path}: line 1: header announces {n} words of dimension {dim}; the file holds no vectors"
        )
    return n, dim, end + 1


def _looks_like_text(data: bytes, header: tuple[int, int, int] | None, total: int) -> bool:
    """Whether the rows after ``header`` (or from the start) are text: the first row is a word and ``D``
    numbers, or the first 64 KiB (and at least the first row) have no control characters and are UTF-8
    (a character cut at the end is fine) or the first row ends in a number (text in another encoding,
    reported as such). ``data`` is the start of the file (after a byte-order mark), ``total`` the
    size of all of it."""
    start = 0 if header is None else header[2]
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    if header is not None:
        fields = data[start:end].split()
        if len(fields) > header[1] and all(_is_number(f) for f in fields[-header[1] :]):
            return True
    sample = data[start : max(start + _SNIFF_BYTES, end + 1)]
    if _CONTROL.search(sample):
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not (exc.start >= len(sample) - 3 and start + len(sample) < total):
            fields = sample.split(b"\n", 1)[0].split()
            return len(fields) >= 2 and _is_number(fields[-1])
    return True


def _read_binary(
    path: Path, base: int, size: int, header: tuple[int, int, int], limit: int | None
) -> tuple[list[str], np.ndarray, tuple[str, int]]:
    """The rows of a word2vec binary file starting at byte ``base``, read block by block: each
    block's words are split off in order and its float32 payloads copied into the matrix at once."""
    n, dim, offset = header
    rows = n if limit is None else min(n, limit)
    row_bytes = 4 * dim
    start = base + offset
    if rows * (row_bytes + 2) > size - start:
        announced = f"{n:,} words" if rows == n else f"{n:,} words, of which the first {rows:,}"
        raise VectorsFormatError(
            f"{path}: header announces {announced} of dimension {dim:,} (at least {rows * (row_bytes + 2):,} bytes "
            f"of binary rows) but the file has {size - start:,} bytes after it; truncated, or not a word2vec "
            "binary file"
        )
    words: list[str] = []
    vectors = np.empty((rows, dim), dtype=_FLOAT32_LE)
    out = vectors.view(np.uint8).reshape(rows, row_bytes)
    with _reading(path, start) as fh:
        buffer, pos, buffer_start = b"", 0, start
        while len(words) < rows:
            more = fh.read(_BLOCK_BYTES)
            buffer_start += pos
            buffer, pos = buffer[pos:] + more, 0
            end, first, payloads = len(buffer), len(words), []
            while len(words) < rows:
                while pos < end and buffer[pos] in b"\n\r":
                    pos += 1
                space = buffer.find(b" ", pos)
                if space < 0 or space + 1 + row_bytes > end:
                    break  # the row continues in the next block
                if space == pos:
                    raise VectorsFormatError(f"{path}: row {len(words) + 1} of the binary file has an empty word")
                try:
                    words.append(buffer[pos:space].decode("utf-8"))
                except UnicodeDecodeError:
                    raise VectorsFormatError(f"{path}: row {len(words) + 1} has a word that is not UTF-8") from None
                payloads.append(space + 1)
                pos = space + 1 + row_bytes
            if payloads:
                view = memoryview(buffer)
                joined = b"".join([view[p : p + row_bytes] for p in payloads])
                out[first : len(words)] = np.frombuffer(joined, dtype=np.uint8).reshape(-1, row_bytes)
            if len(words) < rows and not more:
                raise VectorsFormatError(
                    f"{path}: truncated binary vectors file (row {len(words) + 1} of {n:,} incomplete)"
                )
        if limit is None:
            tail = buffer[pos:]
            while not tail.strip() and (block := fh.read(_BLOCK_BYTES)):
                tail = block
            if tail.strip():
                raise VectorsFormatError(
                    f"{path}: {size - buffer_start - pos:,} bytes of data after the {n:,} rows the header announces"
                )
    return words, vectors.astype(np.float32, copy=False), ("row", 1)


def _line_blocks(fh: BinaryIO) -> Iterator[list[bytes]]:
    """The lines (without their ``\n``) of the rest of ``fh``, in lists of about ``_BLOCK_BYTES``;
    blank lines at the end of the file are left out (those before a row are kept: they are errors)."""
    carry = b""
    held: list[bytes] = []  # blank lines not yet known to come before a row
    while block := fh.read(_BLOCK_BYTES):
        block = carry + block
        cut = block.rfind(b"\n")
        if cut < 0:
            carry = block
            continue
        carry = block[cut + 1 :]
        lines = block[:cut].split(b"\n")
        last = len(lines) - 1
        while last >= 0 and not lines[last].strip():
            last -= 1
        if last < 0:
            held.extend(lines)
            continue
        yield held + lines[: last + 1]
        held = lines[last + 1 :]
    if carry.strip():
        yield held + [carry]


def _count_rows(fh: BinaryIO, start: int, size: int) -> int:
    """Rows from byte ``start`` to the end: lines, not counting the blank lines at the end (one
    pass counting newlines, then a backward scan of the trailing whitespace)."""
    fh.seek(start)
    newlines = 0
    while block := fh.read(_BLOCK_BYTES):
        newlines += block.count(b"\n")
    end = size
    while end > start:  # the last byte that is not whitespace
        begin = max(start, end - _SNIFF_BYTES)
        fh.seek(begin)
        kept = len(fh.read(end - begin).rstrip())
        if kept:
            fh.seek(begin + kept)
            return newlines + 1 - fh.read().count(b"\n")
        end = begin
    return 0


def _read_text(
    path: Path, base: int, size: int, header: tuple[int, int, int] | None, limit: int | None
) -> tuple[list[str], np.ndarray, tuple[str, int]]:
    """The rows of a word2vec or GloVe text file starting at byte ``base``, parsed block by block
    into a matrix allocated once: without ``limit``, for the rows counted by a first pass over the
    file (it also makes a wrong header an error before any parsing); with it, for ``limit`` rows."""
    start = base + (0 if header is None else header[2])
    first_line = 1 if header is None else 2
    with _reading(path, start) as fh:
        rows = _count_rows(fh, start, size) if limit is None else limit
        fh.seek(start)
        blocks = _line_blocks(fh)
        pending = next(blocks, [])  # empty exactly when no row follows (then the count is 0 too)
        if not pending:
            raise VectorsFormatError(f"{path}: no vectors after the header")
        if header is None:
            dim = _glove_dim(path, pending[:_DIM_SAMPLE_ROWS])
        else:
            n, dim = header[0], header[1]
            if limit is None and rows != n:
                raise VectorsFormatError(f"{path}: header announces {n:,} rows, file has {rows:,}")
            rows = min(rows, n)
            if rows * (2 * dim + 1) > size - start:
                raise VectorsFormatError(
                    f"{path}: header announces dimension {dim:,} but the file has only {size - start:,} bytes for "
                    f"its {rows:,} rows; the header is wrong"
                )
        words: list[str] = []
        vectors = np.empty((rows, dim), dtype=np.float32)
        while pending and len(words) < rows:
            lines = pending[: rows - len(words)]
            for begin in range(0, len(lines), _TEXT_CHUNK_ROWS):
                chunk = lines[begin : begin + _TEXT_CHUNK_ROWS]
                done = len(words)
                out = vectors[done : done + len(chunk)]
                parsed = _parse_simple_rows(chunk, dim, out)
                words.extend(
                    parsed if parsed is not None else _parse_rows_strictly(path, chunk, dim, out, first_line + done)
                )
            pending = next(blocks, [])
    return words, vectors[: len(words)], ("line", first_line)


def _glove_dim(path: Path, lines: list[bytes]) -> int:
    """The most common number of trailing fields that start like a number (after at least one word
    field) of ``lines``, so that words with spaces (GloVe 840B's ``new york``) and a word ending in a
    number do not decide it; ties go to the earliest row. Fields that only start like one (``0,5``)
    count, so the strict parse then names them."""
    counts = Counter(_trailing_numbers(line.split(), _NUMBER_START.match) for line in lines)
    dim = counts.most_common(1)[0][0]
    if dim < 1:
        raise VectorsFormatError(f"{path}: line 1 has no numbers after the word; not a vectors file?")
    return dim


def _trailing_numbers(fields: list[bytes], is_number: Callable[[bytes], object] = _is_number) -> int:
    """How many of the last fields are numbers, leaving at least one field for the word."""
    trailing = 0
    while trailing < len(fields) - 1 and is_number(fields[-1 - trailing]):
        trailing += 1
    return trailing


def _parse_simple_rows(lines: list[bytes], dim: int, out: np.ndarray) -> list[str] | None:
    """Fast path for rows ``word v1 ... vD`` with single spaces: their words, or None (``out`` may be
    partly written) if a row is not of that form, a value does not parse or a word is not UTF-8."""
    rests = []
    heads = []
    for line in lines:
        parts = line.split(None, 1)
        if len(parts) != 2:
            return None
        rest = parts[1].rstrip()
        if rest.count(b" ") != dim - 1:
            return None
        heads.append(parts[0])
        rests.append(rest)
    try:
        values = np.fromstring(b" ".join(rests), dtype=np.float64, sep=" ")
        words = [word.decode("utf-8") for word in heads]
    except (ValueError, UnicodeDecodeError):
        return None
    if values.size != len(lines) * dim:
        return None
    with np.errstate(over="ignore"):  # beyond float32: inf, refused with the other non-finite values
        out[:] = values.reshape(len(lines), dim)
    return words


def _parse_rows_strictly(path: Path, lines: list[bytes], dim: int, out: np.ndarray, first_line: int) -> list[str]:
    """Parse each row with the full rules; the first bad row raises with its line number."""
    words = []
    for i, line in enumerate(lines):
        where = f"{path}: line {first_line + i}"
        fields = line.split()
        if not fields:
            raise VectorsFormatError(f"{where} is empty")
        trailing = _trailing_numbers(fields)
        if len(fields) < dim + 1 or trailing > dim:
            found = trailing if trailing > dim else len(fields) - 1
            raise VectorsFormatError(f"{where} has {found} values after the word, expected {dim}")
        word, *values = line.strip().rsplit(None, dim)
        bad = next((v for v in values if not _is_number(v)), None)
        if bad is not None:
            hint = " (a decimal comma? numbers need a '.')" if b"," in bad else ""
            raise VectorsFormatError(f"{where}: {bad.decode('utf-8', 'replace')!r} is not a number{hint}")
        try:
            words.append(word.decode("utf-8"))
        except UnicodeDecodeError:
            raise VectorsFormatError(f"{where}: the word is not UTF-8") from None
        with np.errstate(over="ignore"):
            out[i] = np.array([float(v) for v in values], dtype=np.float64)
    return words


def _read_native(path: Path) -> tuple[list[str], np.ndarray]:
    vectors = _map_npy(path)
    words_path = native_words_path(path)
    try:
        text = _read_file(words_path, "native word list").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VectorsFormatError(f"{words_path}: not UTF-8 (byte {exc.start})") from None
    if "\r" in text:
        line = text.count("\n", 0, text.index("\r")) + 1
        raise VectorsFormatError(
            f"{words_path}: line {line} holds a carriage return (Windows line ends?); the word list must have "
            "one word per line with \\n line ends"
        )
    lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
    header = _NATIVE_HEADER_RE.fullmatch(lines[0]) if lines else None
    if header is not None:
        lines = lines[1:]
    if "" in lines:
        raise VectorsFormatError(f"{words_path}: line {lines.index('') + 1 + (header is not None)} is empty")
    n, dim = vectors.shape
    mismatch = len(lines) != n
    if header is not None:
        mismatch = mismatch or (int(header[1]), int(header[2])) != (n, dim) or int(header[3], 16) != _crc32(vectors)
    if mismatch:
        raise VectorsFormatError(
            f"{path}: expected a float32 (V, D) matrix and V words, found {n:,} x {dim} and {len(lines):,} words "
            f"in {words_path}{'' if len(lines) != n else ' with another checksum'}: the two files do not belong "
            "together (different writes, or an interrupted one); write the vectors again"
        )
    return lines, vectors


def _crc32(matrix: np.ndarray) -> int:
    crc = 0
    for begin in range(0, len(matrix), _FINITE_CHUNK_ROWS):
        crc = zlib.crc32(np.ascontiguousarray(matrix[begin : begin + _FINITE_CHUNK_ROWS]), crc)
    return crc


def _map_npy(path: Path) -> np.ndarray:
    """Memory-map a ``.npy`` file after checking its header: 2-d float32, non-empty, exactly the file's size."""
    try:
        with open(path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
            if version not in read_header:
                raise VectorsFormatError(f"{path}: unsupported .npy version {version}")
            shape, fortran_order, dtype = read_header[version](fh)
            offset = fh.tell()
            size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise storage_error(exc, "read vectors file", path) from None
    except VectorsFormatError:
        raise
    except Exception as exc:  # numpy parses the header as a Python literal: any parse error may come out
        raise VectorsFormatError(f"{path}: not a valid .npy file ({type(exc).__name__})") from None
    if len(shape) != 2 or dtype.kind != "f" or dtype.itemsize != 4 or not all(shape):
        raise VectorsFormatError(f"{path}: expected a non-empty float32 (V, D) matrix, found {dtype} {shape}")
    expected = offset + 4 * shape[0] * shape[1]
    if size != expected:
        state = "truncated" if size < expected else f"{size - expected:,} bytes after the matrix"
        raise VectorsFormatError(
            f"{path}: {state}: its header announces {shape[0]:,} x {shape[1]:,} float32 "
            f"({expected:,} bytes) and the file has {size:,}"
        )
    try:
        return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran_order else "C")
    except OSError as exc:
        raise storage_error(exc, "read vectors file", path) from None


def first_nonfinite_row(vectors: np.ndarray) -> int | None:
    """Index of the first row with a NaN or infinite value, or None (one pass, in chunks)."""
    for begin in range(0, len(vectors), _FINITE_CHUNK_ROWS):
        sums = np.add.reduce(vectors[begin : begin + _FINITE_CHUNK_ROWS], axis=1, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(sums))
        if bad.size:
            return begin + int(bad[0])
    return None


def refuse_nonfinite(path: Path, words: list[str], vectors: np.ndarray, numbering: tuple[str, int]) -> None:
    row = first_nonfinite_row(vectors)
    if row is None:
        return
    kind, first = numbering
    raise VectorsFormatError(
        f"{path}: {kind} {first + row}: the vector of {words[row]!r} has NaN or infinite values (or values beyond "
        "float32's range); use --allow-nonfinite to load anyway"
    )
