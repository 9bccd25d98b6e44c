"""Vector file formats: word2vec text and binary, GloVe text, fastText ``.vec``; atomic writes.

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
    and ``NAME.npy.words`` the words, one per line (UTF-8). Reading memory-maps the matrix, so
    loading costs about as much as reading the word list.

Every writer goes through :func:`atomic_writer`: the data goes to a temporary file beside the
target, which is renamed over it only once complete, so a failed or interrupted write never
leaves a partial file behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import VectorsFormatError
from .files import atomic_writer

FORMATS = ("auto", "word2vec-text", "word2vec-binary", "glove-text", "native")
#: Suffix of the word list beside a native ``.npy`` matrix.
NATIVE_WORDS_SUFFIX = ".words"
_FLOAT32_LE = np.dtype("<f4")


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


def write_vectors(path: str | os.PathLike, words: list[str], vectors: np.ndarray, fmt: str = "auto") -> None:
    """Write vectors in word2vec text or binary format (or GloVe text), atomically.

    Parameters
    ----------
    path : str or PathLike
    words : list of str, length V
        Words must be non-empty and contain no whitespace.
    vectors : ndarray, shape (V, D)
        Written as float32. Text uses ``%.9g``, which round-trips float32 exactly.
    fmt : {"auto", "word2vec-text", "word2vec-binary", "glove-text", "native"}
        ``auto`` picks by suffix (:func:`format_for_path`). ``native`` writes ``path`` (.npy)
        and its word list (:func:`native_words_path`), each atomically.

    Raises
    ------
    ValueError
        On a shape mismatch, an unknown format or a word with whitespace.
    """
    vectors = np.ascontiguousarray(vectors, dtype=_FLOAT32_LE)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"vectors shape {vectors.shape} does not match {len(words)} words")
    if fmt == "auto":
        fmt = format_for_path(path)
    if fmt not in FORMATS[1:]:
        raise ValueError(f"unknown vectors format {fmt!r}")
    for word in words:
        if not word or len(word.split()) != 1 or word.strip() != word:
            raise ValueError(f"cannot write word {word!r}: words must be non-empty without whitespace")
    n, dim = vectors.shape
    if fmt == "native":
        with atomic_writer(native_words_path(path), "wb") as fh:
            fh.write("".join(f"{word}\n" for word in words).encode("utf-8"))
        with atomic_writer(path, "wb") as fh:
            np.save(fh, vectors.astype(np.float32, copy=False))
        return
    with atomic_writer(path, "wb") as fh:
        if fmt != "glove-text":
            fh.write(f"{n} {dim}\n".encode())
        if fmt == "word2vec-binary":
            for word, row in zip(words, vectors):
                fh.write(word.encode("utf-8") + b" " + row.tobytes() + b"\n")
        else:
            row_format = " ".join(["%.9g"] * dim)
            for word, row in zip(words, vectors.tolist()):
                fh.write(f"{word} {row_format % tuple(row)}\n".encode("utf-8"))


def read_vectors(path: str | os.PathLike, fmt: str = "auto") -> tuple[list[str], np.ndarray]:
    """Read a vectors file.

    Parameters
    ----------
    path : str or PathLike
    fmt : {"auto", "word2vec-text", "word2vec-binary", "glove-text", "native"}
        ``auto`` (default) detects the format from the content: a NumPy array file is native,
        a ``V D`` header followed by a line of ``D + 1`` fields is word2vec text (fastText
        ``.vec`` too), a header followed by anything else is word2vec binary, no header is
        GloVe text.

    Returns
    -------
    words : list of str, length V
    vectors : ndarray, shape (V, D), float32 (a read-only memory map for the native format)

    Raises
    ------
    VectorsFormatError
        If the file is missing, empty, truncated, or its rows do not match the header.
    """
    path = Path(path)
    if fmt == "native" or (fmt == "auto" and _is_npy(path)):
        return _read_native(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VectorsFormatError(f"cannot read vectors file {path}: {exc.strerror}") from None
    if not data.strip():
        raise VectorsFormatError(f"vectors file is empty: {path}")
    header = _parse_header(data)
    if fmt == "auto":
        fmt = _detect_format(data, header)
    if fmt == "word2vec-binary":
        if header is None:
            raise VectorsFormatError(f"{path}: binary word2vec file without a 'V D' header")
        return _read_binary(path, data, *header)
    if fmt not in ("word2vec-text", "glove-text"):
        raise VectorsFormatError(f"unknown vectors format {fmt!r}")
    return _read_text(path, data, header if fmt == "word2vec-text" else None)


def _is_npy(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(6) == b"\x93NUMPY"
    except OSError:
        return False


def _read_native(path: Path) -> tuple[list[str], np.ndarray]:
    try:
        vectors = np.load(path, mmap_mode="r")
        words = native_words_path(path).read_bytes().decode("utf-8").split("\n")[:-1]
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise VectorsFormatError(f"cannot read native vectors {path} (+ {NATIVE_WORDS_SUFFIX}): {exc}") from None
    if vectors.ndim != 2 or vectors.dtype != np.float32 or len(words) != vectors.shape[0]:
        raise VectorsFormatError(
            f"{path}: expected a float32 (V, D) matrix and V words, found {vectors.dtype} {vectors.shape} "
            f"and {len(words)} words"
        )
    return words, vectors


def _parse_header(data: bytes) -> tuple[int, int, int] | None:
    """(V, D, offset of the first row) if the file starts with a ``V D`` line, else None."""
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)].split()
    if len(first) == 2 and first[0].isdigit() and first[1].isdigit():
        return int(first[0]), int(first[1]), (end + 1 if end >= 0 else len(data))
    return None


def _detect_format(data: bytes, header: tuple[int, int, int] | None) -> str:
    if header is None:
        return "glove-text"
    _, dim, start = header
    end = data.find(b"\n", start)
    line = data[start : end if end >= 0 else len(data)]
    try:
        fields = line.decode("utf-8").split()
        if len(fields) == dim + 1:
            [float(x) for x in fields[1:]]
            return "word2vec-text"
    except (UnicodeDecodeError, ValueError):
        pass
    return "word2vec-binary"


def _read_binary(path: Path, data: bytes, n: int, dim: int, pos: int) -> tuple[list[str], np.ndarray]:
    row_bytes = 4 * dim
    words: list[str] = []
    vectors = np.empty((n, dim), dtype=np.float32)
    size = len(data)
    for i in range(n):
        while pos < size and data[pos] in b"\n\r":
            pos += 1
        space = data.find(b" ", pos)
        if space < 0 or space + 1 + row_bytes > size:
            raise VectorsFormatError(f"{path}: truncated binary vectors file (row {i + 1} of {n} incomplete)")
        try:
            words.append(data[pos:space].decode("utf-8"))
        except UnicodeDecodeError:
            raise VectorsFormatError(f"{path}: row {i + 1} has a word that is not UTF-8") from None
        vectors[i] = np.frombuffer(data, dtype=_FLOAT32_LE, count=dim, offset=space + 1)
        pos = space + 1 + row_bytes
    if data[pos:].strip():
        raise VectorsFormatError(f"{path}: data after the {n} rows the header announces")
    return words, vectors


def _read_text(path: Path, data: bytes, header: tuple[int, int, int] | None) -> tuple[list[str], np.ndarray]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VectorsFormatError(f"{path}: not UTF-8 text (byte {exc.start}); is it a binary file?") from None
    lines = text.splitlines()
    if header is not None:
        lines = lines[1:]
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise VectorsFormatError(f"{path}: no vectors in file")
    dim = header[1] if header is not None else len(lines[0].split()) - 1
    if dim < 1:
        raise VectorsFormatError(f"{path}: first row has no vector components")
    if header is not None and len(lines) != header[0]:
        raise VectorsFormatError(f"{path}: header announces {header[0]} rows, file has {len(lines)}")
    words: list[str] = []
    vectors = np.empty((len(lines), dim), dtype=np.float32)
    for i, line in enumerate(lines):
        fields = line.rstrip().rsplit(" ", dim)  # a word may contain spaces (GloVe 840B)
        if len(fields) != dim + 1:
            raise VectorsFormatError(f"{path}: row {i + 1} has {len(fields) - 1} components, expected {dim}")
        words.append(fields[0])
        try:
            vectors[i] = np.array(fields[1:], dtype=np.float64)
        except ValueError:
            raise VectorsFormatError(f"{path}: row {i + 1} has a component that is not a number") from None
    return words, vectors
