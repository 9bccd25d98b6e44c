"""Subword information: vectors for words never seen, from their character n-grams (fastText).

Bojanowski, Grave, Joulin & Mikolov 2017, "Enriching Word Vectors with Subword Information"
(TACL). A word's input vector is the mean of its own row and the rows of its character n-grams
(``minn`` to ``maxn`` characters of ``<word>``), each n-gram hashed into one of ``buckets`` rows;
a word outside the vocabulary gets the mean of its n-gram rows alone. The n-grams and their
bucket ids are fastText's to the bit (:mod:`embedkit._subword_kernels`), so fastText's ``.bin``
models (:mod:`embedkit.fasttext_bin`) give the vectors fastText gives.

The n-gram rows of a model embedkit trained live beside its vectors file, whatever that file's
format, in ``VECTORS.ngrams``: a one-line JSON header (format, version, minn, maxn, buckets,
dim, the vocabulary's size and CRC-32) padded to :data:`_HEADER_BYTES`, then the float32
(buckets, dim) matrix, little-endian, memory-mapped when read. Tools that know nothing of it
read the vectors file as usual; embedkit's query commands and ``evaluate`` pick it up and
answer for words outside the vocabulary (``--oov skip`` ignores it). A header that does not
match the vectors beside it (another vocabulary, another dimension) is refused by name.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._subword_kernels import count_ngrams, fill_subword_rows, fnv1a_hash, mean_rows
from .config import MAX_BUCKETS, MAX_NGRAM
from .errors import ConfigError, VectorsFormatError, storage_error
from .files import atomic_writer

NGRAMS_SUFFIX = ".ngrams"
FORMAT = "embedkit-ngrams"
VERSION = 1
#: The header line is padded with spaces to this many bytes, so the matrix starts aligned.
_HEADER_BYTES = 4096
#: fastText's defaults (``-minn 3 -maxn 6 -bucket 2000000``).
FASTTEXT_MINN, FASTTEXT_MAXN, FASTTEXT_BUCKETS = 3, 6, 2_000_000


@dataclass(frozen=True)
class SubwordSpec:
    """Which n-grams a word has: ``minn`` to ``maxn`` characters, hashed into ``buckets`` rows.

    Raises
    ------
    ConfigError
        Unless ``1 <= minn <= maxn <= 100`` and ``1 <= buckets < 2**31``.
    """

    minn: int = FASTTEXT_MINN
    maxn: int = FASTTEXT_MAXN
    buckets: int = FASTTEXT_BUCKETS

    def __post_init__(self) -> None:
        check_spec(self.minn, self.maxn, self.buckets)

    def ngrams(self, word: str) -> list[str]:
        """The n-grams of ``word`` in fastText's order (``<`` and ``>`` mark its ends), for
        inspection; training and lookups hash bytes in :mod:`embedkit._subword_kernels`."""
        chars = f"<{word}>"
        found = []
        for i in range(len(chars)):
            for n in range(1, self.maxn + 1):
                if i + n > len(chars):
                    break
                if n >= self.minn and not (n == 1 and (i == 0 or i + n == len(chars))):
                    found.append(chars[i : i + n])
        return found

    def bucket(self, ngram: str) -> int:
        """The bucket of one n-gram: fastText's FNV-1a of its UTF-8 bytes modulo ``buckets``."""
        return int(fnv1a_hash(np.frombuffer(ngram.encode("utf-8"), dtype=np.uint8)) % self.buckets)


def check_spec(minn: int, maxn: int, buckets: int) -> None:
    """Refuse n-gram settings that cannot work.

    Raises
    ------
    ConfigError
        If ``maxn`` is outside 1..100, ``minn`` outside 1..maxn, or ``buckets`` outside 1..2**31-1.
    """
    if not 1 <= maxn <= MAX_NGRAM:
        raise ConfigError(f"maxn must be in 1..{MAX_NGRAM} for subwords (0 turns them off), got {maxn}")
    if not 1 <= minn <= maxn:
        raise ConfigError(f"minn must be in 1..maxn={maxn}, got {minn}")
    if not 1 <= buckets <= MAX_BUCKETS:
        raise ConfigError(f"buckets must be in 1..{MAX_BUCKETS:,}, got {buckets:,}")


def _wrapped_bytes(words: Sequence[str | bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of ``<word>`` for every word (bytes are taken as they are), concatenated
    (uint8), and their offsets (int64 (W+1,))."""
    encoded = [b"<" + (w if isinstance(w, bytes) else w.encode("utf-8")) + b">" for w in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def subword_rows(
    words: Sequence[str | bytes], spec: SubwordSpec, first_bucket_row: int, own_rows: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """The input-matrix rows each word's vector averages, as fastText lists them.

    Parameters
    ----------
    words : sequence of str (or bytes, hashed as they are), length W
    spec : SubwordSpec
    first_bucket_row : int
        Row of bucket 0 (the vocabulary size, for a matrix of word rows then bucket rows).
    own_rows : bool
        Put word ``i``'s own row ``i`` first (vocabulary words, default); False for words
        outside the vocabulary (n-gram rows only).

    Returns
    -------
    starts : ndarray, int64 (W+1,)
        Word ``w``'s rows are ``rows[starts[w]:starts[w+1]]``.
    rows : ndarray, int32 (starts[-1],)
    """
    data, offsets = _wrapped_bytes(words)
    counts = count_ngrams(data, offsets, spec.minn, spec.maxn) + own_rows
    starts = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    if first_bucket_row + spec.buckets > np.iinfo(np.int32).max:
        raise ConfigError(f"{first_bucket_row:,} words and {spec.buckets:,} buckets exceed 2**31 rows")
    rows = np.empty(int(starts[-1]), dtype=np.int32)
    word_rows = np.arange(len(words), dtype=np.int64) if own_rows else np.full(len(words), -1, dtype=np.int64)
    fill_subword_rows(data, offsets, spec.minn, spec.maxn, spec.buckets, first_bucket_row, word_rows, starts, rows)
    return starts, rows


def compose(matrix: np.ndarray, starts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Each word's vector, the mean of its rows of ``matrix`` (float32 (R, D)): float32
    (len(starts) - 1, D); zero for a word without rows."""
    out = np.empty((len(starts) - 1, matrix.shape[1]), dtype=np.float32)
    mean_rows(matrix, starts, rows, out)
    return out


class Subwords:
    """The n-gram rows of a subword model, for vectors of words outside its vocabulary.

    Parameters
    ----------
    spec : SubwordSpec
    ngrams : ndarray, float32 (spec.buckets, D)
        Bucket rows (a memory map when read from ``VECTORS.ngrams`` or a fastText ``.bin``).
    """

    def __init__(self, spec: SubwordSpec, ngrams: np.ndarray):
        if ngrams.ndim != 2 or ngrams.shape[0] != spec.buckets or ngrams.dtype != np.float32:
            raise ValueError(f"expected float32 ({spec.buckets}, D) n-gram rows, got {ngrams.dtype} {ngrams.shape}")
        self.spec, self.ngrams = spec, ngrams

    @property
    def dim(self) -> int:
        return int(self.ngrams.shape[1])

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """fastText's vectors of words outside the vocabulary: the mean of their n-gram rows,
        float32 (len(words), D); zero for a word with no n-gram (shorter than ``minn - 2``)."""
        starts, rows = subword_rows(words, self.spec, 0, own_rows=False)
        return compose(self.ngrams, starts, rows)


def ngrams_path(vectors_path: str | os.PathLike) -> Path:
    """The n-gram rows of a vectors file: ``NAME`` -> ``NAME.ngrams``."""
    return Path(str(vectors_path) + NGRAMS_SUFFIX)


def _words_crc(words: Sequence[str]) -> str:
    return f"{zlib.crc32(chr(10).join(words).encode('utf-8')):08x}"


def write_ngrams(path: str | os.PathLike, subwords: Subwords, words: Sequence[str]) -> None:
    """Write ``subwords`` beside the vectors of ``words`` (atomically; see the module notes).

    Raises
    ------
    StorageError
        If the file system refuses the write (a full disk leaves no partial file).
    """
    spec = subwords.spec
    header = {
        "format": FORMAT,
        "version": VERSION,
        "minn": spec.minn,
        "maxn": spec.maxn,
        "buckets": spec.buckets,
        "dim": subwords.dim,
        "words": len(words),
        "words_crc32": _words_crc(words),
    }
    line = json.dumps(header).encode()
    with atomic_writer(path, "wb") as fh:
        fh.write(line.ljust(_HEADER_BYTES - 1) + b"\n")
        matrix = subwords.ngrams.astype("<f4", copy=False)
        for begin in range(0, len(matrix), 1 << 16):
            fh.write(np.ascontiguousarray(matrix[begin : begin + (1 << 16)]).tobytes())


def read_ngrams(path: str | os.PathLike, words: Sequence[str], dim: int, prefix: bool = False) -> Subwords:
    """Read ``VECTORS.ngrams`` for the vectors of ``words`` (``dim`` columns), memory-mapped;
    ``prefix=True`` (vectors read with a ``limit``) only checks that the file's vocabulary is
    at least as long.

    Raises
    ------
    VectorsFormatError
        If the file is not an n-gram file, is truncated or too long, or belongs to other
        vectors (another vocabulary or dimension).
    StorageError
        If the file cannot be read.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEADER_BYTES)
            size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise storage_error(exc, "read n-gram file", path) from None
    try:
        header = json.loads(head.decode("utf-8"))
        if header.get("format") != FORMAT:
            raise ValueError
        spec = SubwordSpec(int(header["minn"]), int(header["maxn"]), int(header["buckets"]))
        rows_dim, n_words, crc = int(header["dim"]), int(header["words"]), header["words_crc32"]
    except (ValueError, KeyError, TypeError, AttributeError, ConfigError):
        raise VectorsFormatError(f"{path}: not an embedkit n-gram file (no valid header)") from None
    if header.get("version") != VERSION:
        raise VectorsFormatError(f"{path}: n-gram file version {header.get('version')}, this embedkit reads {VERSION}")
    if prefix:
        matches = rows_dim == dim and n_words >= len(words)
    else:
        matches = (n_words, rows_dim) == (len(words), dim) and crc == _words_crc(words)
    if not matches:
        raise VectorsFormatError(
            f"{path}: its n-gram rows belong to other vectors ({n_words:,} words x {rows_dim}, not these "
            f"{len(words):,} x {dim}{' with the same count but other words' if n_words == len(words) else ''}); "
            "train again, or pass --oov skip"
        )
    expected = _HEADER_BYTES + 4 * spec.buckets * dim
    if size != expected:
        state = "truncated" if size < expected else f"{size - expected:,} bytes too long"
        raise VectorsFormatError(f"{path}: {state}: {spec.buckets:,} x {dim} float32 need {expected:,} bytes")
    try:
        ngrams = np.memmap(path, dtype="<f4", mode="r", offset=_HEADER_BYTES, shape=(spec.buckets, dim))
    except OSError as exc:
        raise storage_error(exc, "read n-gram file", path) from None
    return Subwords(spec, ngrams)
