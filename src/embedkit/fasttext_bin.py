"""Reading fastText's own ``.bin`` models (the format of the published ``cc.*.300.bin`` and
``wiki.*.bin``), so they can be queried, words outside their vocabulary included, without fastText.

The layout, as fastText 0.9 writes it (``FastText::saveModel``), all little-endian:

* int32 magic 793712314, int32 version (11 or 12);
* the arguments: int32 dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn,
  maxn, lrUpdateRate, then float64 t;
* the dictionary: int32 size, nwords, nlabels; int64 ntokens, pruneidx_size; ``size`` entries of
  a NUL-terminated word, int64 count and int8 type (0 word, 1 label; words first); then
  ``pruneidx_size`` pairs of int32 (only in pruned, quantized models);
* uint8 quant (1: a quantized ``.ftz`` input matrix, not read here), then the input matrix:
  int64 rows, int64 cols and rows x cols float32 (the ``nwords`` word rows, then the ``bucket``
  n-gram rows);
* uint8 qout, then the output matrix in the same form.

A word's vector is what fastText's ``get_word_vector`` gives: the mean of its own row and its
n-grams' rows (:mod:`embedkit.subwords`; the end-of-line token ``</s>`` has no n-grams), computed
once at load for the vocabulary; the n-gram rows stay memory-mapped for words outside it.
Loading needs the composed word vectors (4 x V x D bytes) in memory, as gensim's
``load_facebook_vectors``; the input matrix itself is mapped, not read.
"""

from __future__ import annotations

import mmap
import os
import stat
import struct
from pathlib import Path

import numpy as np

from .errors import VectorsFormatError, storage_error
from .subwords import Subwords, SubwordSpec, compose, subword_rows
from .vectors import Embeddings

MAGIC = 793712314
VERSIONS = (11, 12)
#: The end-of-line token fastText adds to every vocabulary; it has no n-grams.
EOS = b"</s>"
_ARGS = struct.Struct("<12id")
_ARG_NAMES = "dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate".split()
_DICT_HEAD = struct.Struct("<iiiqq")
_ENTRY_TAIL = struct.Struct("<qb")
_MATRIX_HEAD = struct.Struct("<qq")


def is_fasttext_bin(path: str | os.PathLike) -> bool:
    """Whether the file starts with fastText's magic number (False when it cannot be read: the
    other readers say why; a FIFO or device is never opened, so probing cannot block)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<i", head)[0] == MAGIC


class _Cursor:
    """Reads the mapped file front to back; running past its end is a truncation error."""

    def __init__(self, path: Path, data: mmap.mmap):
        self.path, self.data, self.at = path, data, 0

    def unpack(self, layout: struct.Struct, what: str) -> tuple:
        if self.at + layout.size > len(self.data):
            raise VectorsFormatError(f"{self.path}: truncated fastText model: it ends inside the {what}")
        values = layout.unpack_from(self.data, self.at)
        self.at += layout.size
        return values

    def word(self) -> bytes:
        end = self.data.find(b"\0", self.at)
        if end < 0:
            raise VectorsFormatError(f"{self.path}: truncated fastText model: it ends inside the dictionary")
        word = self.data[self.at : end]
        self.at = end + 1
        return word


def load(path: str | os.PathLike, limit: int | None = None, subwords: bool = True) -> Embeddings:
    """The word vectors of a fastText ``.bin`` model, with its n-gram rows attached.

    Parameters
    ----------
    path : str or PathLike
    limit : int, optional
        Keep only the first ``limit`` (most frequent) words.
    subwords : bool
        Attach the n-gram rows (default True; False: vocabulary words only).

    Returns
    -------
    Embeddings
        float32 (nwords, dim) composed vectors in the model's order; ``subwords`` set when the
        model has n-grams (``maxn > 0``) and ``subwords`` is True.

    Raises
    ------
    VectorsFormatError
        If the file is not a fastText model, is of an unknown version, truncated or too long,
        quantized (``.ftz``), or its matrices do not fit its dictionary.
    StorageError
        If the file cannot be read.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
        if isinstance(exc, OSError):
            raise storage_error(exc, "read fastText model", path) from None
        raise VectorsFormatError(f"{path}: empty file") from None
    return _parse(path, data, limit, subwords)  # the arrays keep the map open; it closes with them


def _parse(path: Path, data: mmap.mmap, limit: int | None, attach: bool) -> Embeddings:
    cursor = _Cursor(path, data)
    magic, version = cursor.unpack(struct.Struct("<ii"), "header")
    if magic != MAGIC:
        raise VectorsFormatError(f"{path}: not a fastText model (magic {magic}, expected {MAGIC})")
    if version not in VERSIONS:
        raise VectorsFormatError(
            f"{path}: fastText model version {version}; this reader knows {', '.join(map(str, VERSIONS))}"
        )
    args = dict(zip(_ARG_NAMES, cursor.unpack(_ARGS, "arguments")))
    size, nwords, nlabels, _ntokens, prune_size = cursor.unpack(_DICT_HEAD, "dictionary header")
    dim, buckets, minn, maxn = args["dim"], args["bucket"], args["minn"], args["maxn"]
    if not (0 <= nwords <= size and nlabels >= 0 and dim > 0 and buckets >= 0 and size < len(data)):
        raise VectorsFormatError(
            f"{path}: not a valid fastText model ({size} entries, {nwords} words, dim {dim}, {buckets} buckets)"
        )
    words = []
    for _ in range(size):
        word = cursor.word()
        cursor.unpack(_ENTRY_TAIL, "dictionary")
        words.append(word)
    if prune_size > 0:
        cursor.at += 8 * prune_size
    (quantized,) = cursor.unpack(struct.Struct("<B"), "matrix flag")
    if quantized:
        raise VectorsFormatError(
            f"{path}: a quantized fastText model (.ftz); embedkit reads the full .bin (or the .vec)"
        )
    rows, cols = cursor.unpack(_MATRIX_HEAD, "input matrix header")
    expected_rows = nwords + (buckets if maxn > 0 or args["wordNgrams"] > 1 else 0)
    if cols != dim or rows < expected_rows:
        raise VectorsFormatError(
            f"{path}: its input matrix is {rows:,} x {cols} but the model has {nwords:,} words, "
            f"{buckets:,} buckets and dim {dim}"
        )
    offset = cursor.at
    cursor.at += 4 * rows * cols
    if cursor.at > len(data):
        raise VectorsFormatError(f"{path}: truncated fastText model: it ends inside the input matrix")
    cursor.unpack(struct.Struct("<B"), "output flag")
    out_rows, out_cols = cursor.unpack(_MATRIX_HEAD, "output matrix header")
    end = cursor.at + 4 * out_rows * out_cols
    if out_rows < 0 or out_cols < 0 or end != len(data):
        state = "truncated" if end > len(data) else f"{len(data) - end:,} bytes after the output matrix"
        raise VectorsFormatError(f"{path}: {state} (not a complete fastText model)")
    matrix = np.ndarray((rows, cols), dtype="<f4", buffer=data, offset=offset)
    kept = words[:nwords] if limit is None else words[: min(limit, nwords)]
    if maxn > 0:
        spec = SubwordSpec(minn, maxn, buckets)
        vectors = compose(matrix, *_vocabulary_rows(kept, spec, nwords))
    else:
        spec, vectors = None, np.array(matrix[: len(kept)])
    embeddings = Embeddings([_decoded(w) for w in kept], vectors)
    if spec is not None and attach:
        embeddings.subwords = Subwords(spec, matrix[nwords : nwords + buckets])
    return embeddings


def _vocabulary_rows(words: list[bytes], spec: SubwordSpec, nwords: int) -> tuple[np.ndarray, np.ndarray]:
    """fastText's rows of the vocabulary words (hashing their bytes as stored): own row, then
    n-grams; ``</s>`` keeps its own row only."""
    starts, rows = subword_rows(words, spec, nwords)
    if EOS not in words:
        return starts, rows
    eos = words.index(EOS)
    keep = np.ones(len(rows), dtype=bool)
    keep[starts[eos] + 1 : starts[eos + 1]] = False
    counts = np.diff(starts)
    counts[eos] = 1
    new_starts = np.zeros_like(starts)
    np.cumsum(counts, out=new_starts[1:])
    return new_starts, rows[keep]


def _decoded(word: bytes) -> str:
    """A dictionary word as text: UTF-8, or with its stray bytes escaped (fastText splits at
    ASCII whitespace only, so a word may hold any bytes)."""
    return word.decode("utf-8", errors="backslashreplace")
