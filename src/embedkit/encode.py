"""Encoded corpus: the token stream as int32 word ids plus sentence offsets, cached on disk.

Encoding drops out-of-vocabulary tokens (as word2vec.c and gensim do before windowing) and
sentences left empty. The cache entry (see :mod:`embedkit.cache` for the rules it follows) holds
the vocabulary, the reading stats and the two arrays as ``.npy`` files; the ids are read block by
block while training (like gensim's ``corpus_file`` mode). It is keyed by the corpus files' paths,
sizes, mtimes, inodes and ctimes and by every option that changes the result, so later epochs and
later runs skip tokenizing entirely.
"""

from __future__ import annotations

import array
import json
import os
import shutil
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .cache import (
    FORMAT_VERSION,
    DamagedEntry,
    Manifest,
    default_cache_dir,
    entry_key,
    load_or_build,
    read_npy_header,
    stderr_warning,
    usable_cache_root,
)
from .corpus import Corpus, CorpusOptions, CorpusStats
from .errors import CorpusError
from .vocab import VocabOptions, Vocabulary, WordCounter

__all__ = ["EncodedCorpus", "PreparedCorpus", "default_cache_dir", "prepare_corpus", "raw_to_npy"]

_FLUSH_TOKENS = 1 << 18
#: Tokens remapped at a time when the first pass's provisional ids become the encoding (4 MB).
_REMAP_TOKENS = 1 << 20


class EncodedCorpus:
    """Token ids of a corpus, sentence by sentence.

    Parameters
    ----------
    ids : ndarray, shape (N,), int32, or path of an ``.npy`` file holding it
        Word ids (indices into the vocabulary) of all kept tokens, in corpus order. From a
        file, ranges are read on demand with :meth:`read_ids` (plain reads, no memory map),
        so training holds only the block it works on. The file is opened once and kept open,
        so it stays readable when it is renamed or removed (a replaced or private cache entry).
    sentence_starts : ndarray, shape (S + 1,), int64
        Sentence ``s`` is ``ids[sentence_starts[s]:sentence_starts[s + 1]]``; non-decreasing,
        from 0 to N.

    Raises
    ------
    CorpusError
        If the file is not a 1-d int32 ``.npy`` array, or the offsets do not fit the ids.
    """

    def __init__(self, ids: np.ndarray | str | os.PathLike, sentence_starts: np.ndarray):
        self.sentence_starts = np.ascontiguousarray(sentence_starts, dtype=np.int64)
        self._file = None
        if isinstance(ids, np.ndarray):
            self._ids, self._offset = np.ascontiguousarray(ids, dtype=np.int32), 0
            n = self._ids.shape[0]
        else:
            self._ids, path = None, Path(ids).absolute()
            self._file = open(path, "rb", buffering=0)
            weakref.finalize(self, self._file.close)
            try:
                shape, fortran, dtype, self._offset = read_npy_header(self._file)
            except (ValueError, SyntaxError, EOFError):
                raise CorpusError(f"{path}: not a valid .npy file") from None
            if dtype != np.int32 or fortran or len(shape) != 1:
                raise CorpusError(f"{path}: expected a 1-d int32 array of ids, found {dtype} {shape}")
            (n,) = shape
            if os.fstat(self._file.fileno()).st_size != self._offset + 4 * n:
                raise CorpusError(f"{path}: the file size does not match its .npy header (truncated?)")
        starts = self.sentence_starts
        if starts.ndim != 1 or starts.shape[0] < 1 or starts[0] != 0 or starts[-1] != n or np.any(np.diff(starts) < 0):
            raise CorpusError("encoded corpus is inconsistent (sentence offsets do not match the ids)")

    def __getstate__(self) -> dict:
        # A file-backed corpus pickles as its path (reopened, and checked again, where it lands:
        # a cluster worker reading the shared cache entry); an in-memory one, or one whose file
        # is gone (a private entry, --no-cache), as its ids.
        path = None if self._ids is not None else self.current_path()
        source = path if path is not None else self.read_ids(0, self.n_tokens)
        return {"ids": source, "sentence_starts": self.sentence_starts}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["ids"], state["sentence_starts"])

    def current_path(self) -> str | None:
        """Where the open ids file is now (it may have been renamed since it was opened: a cache
        entry is built under a temporary name), or None if it has been removed."""
        try:
            path = os.readlink(f"/proc/self/fd/{self._file.fileno()}")
        except OSError:  # no /proc: the name it was opened under
            path = self._file.name
        return path if os.path.exists(path) else None

    def read_ids(self, start: int, stop: int) -> np.ndarray:
        """Token ids ``start:stop`` as a contiguous int32 array (a fresh, writable copy when read
        from disk)."""
        if self._ids is not None:
            return self._ids[start:stop]
        out = np.empty(max(0, stop - start), dtype=np.int32)
        view, done = memoryview(out).cast("B"), 0
        while done < len(view):
            got = os.preadv(self._file.fileno(), [view[done:]], self._offset + 4 * start + done)
            if got == 0:
                raise CorpusError(f"{self._file.name}: truncated while reading ids")
            done += got
        return out

    @property
    def n_tokens(self) -> int:
        return int(self.sentence_starts[-1])

    @property
    def n_sentences(self) -> int:
        return int(self.sentence_starts.shape[0] - 1)

    @property
    def max_sentence_length(self) -> int:
        return int(np.diff(self.sentence_starts).max(initial=0))

    def chunk_starts(self, chunk_words: int) -> np.ndarray:
        """Split the sentences into consecutive chunks of about ``chunk_words`` tokens.

        Returns
        -------
        ndarray, shape (K + 1,), int64
            Chunk ``k`` is sentences ``starts[k]:starts[k + 1]``; each chunk ends at the first
            sentence end at or past a multiple of ``chunk_words`` tokens.
        """
        ends = self.sentence_starts[1:]
        marks = np.arange(chunk_words, self.n_tokens, chunk_words, dtype=np.int64)
        cut = np.unique(np.searchsorted(ends, marks, side="left") + 1)
        cut = cut[cut < self.n_sentences]
        return np.concatenate(([0], cut, [self.n_sentences])).astype(np.int64)

    @classmethod
    def encode(cls, sentences: Iterable[Sequence[str]], vocab: Vocabulary, directory: Path) -> EncodedCorpus:
        """Encode ``sentences`` with ``vocab`` into ``directory/ids.npy`` and ``sentence_starts.npy``.

        Streams: at most about 260,000 ids are held in memory at a time.

        Raises
        ------
        CorpusError
            If no token of the corpus is in the vocabulary.
        """
        get = vocab.index.get
        raw_path = directory / "ids.raw"
        lengths: list[int] = []
        pending: list[int] = []
        total = 0
        with open(raw_path, "wb") as raw:
            for tokens in sentences:
                before = len(pending)
                pending.extend([i for i in map(get, tokens) if i is not None])
                if len(pending) > before:
                    lengths.append(len(pending) - before)
                if len(pending) >= _FLUSH_TOKENS:
                    raw.write(np.asarray(pending, dtype=np.int32).tobytes())
                    total += len(pending)
                    pending.clear()
            raw.write(np.asarray(pending, dtype=np.int32).tobytes())
            total += len(pending)
        if total == 0:
            raise CorpusError("no token of the corpus is in the vocabulary")
        raw_to_npy(raw_path, directory / "ids.npy", np.dtype(np.int32), total)
        starts = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        np.save(directory / "sentence_starts.npy", starts)
        return cls.load(directory)

    @classmethod
    def from_provisional(
        cls, raw_path: Path, lengths: np.ndarray, mapping: np.ndarray, n_kept: int, directory: Path
    ) -> EncodedCorpus:
        """Encode a corpus from the provisional ids of its counting pass (:class:`WordCounter`)
        into ``directory/ids.npy`` and ``sentence_starts.npy``, and remove ``raw_path``.

        Parameters
        ----------
        raw_path : Path
            Raw int32 provisional ids of every token, in corpus order.
        lengths : int64 (S,)
            Tokens per sentence of the counting pass (all tokens, in or out of the vocabulary).
        mapping : int32 (W,)
            Vocabulary id of each provisional id, -1 for a word not in the vocabulary.
        n_kept : int
            Number of tokens in the vocabulary (the sum of its counts): the ``.npy`` header is
            written first and the ids streamed behind it, so no copy of the ids file is made.

        Streams blocks of ``_REMAP_TOKENS`` ids; sentences left empty are dropped, as by
        :meth:`encode`. Raises ``RuntimeError`` if the ids do not add up to ``n_kept``.
        """
        with open(raw_path, "rb") as raw, open(directory / "ids.npy", "wb") as out:
            write_npy_header(out, np.dtype(np.int32), n_kept)
            written, sentence_lengths = remap_ids(raw, out, lengths, mapping)
        raw_path.unlink()
        if written != n_kept:
            raise RuntimeError(f"encoding wrote {written:,} ids, the vocabulary counts {n_kept:,}")
        starts = np.zeros(sentence_lengths.shape[0] + 1, dtype=np.int64)
        np.cumsum(sentence_lengths, out=starts[1:])
        np.save(directory / "sentence_starts.npy", starts)
        return cls.load(directory)

    @classmethod
    def load(cls, directory: Path) -> EncodedCorpus:
        """Open the arrays written by :meth:`encode` (ids stay on disk)."""
        return cls(directory / "ids.npy", np.load(directory / "sentence_starts.npy"))


def remap_ids(raw: BinaryIO, out: BinaryIO, lengths: np.ndarray, mapping: np.ndarray) -> tuple[int, np.ndarray]:
    """Stream provisional ids from ``raw`` to vocabulary ids written to ``out`` (at its position),
    dropping those ``mapping`` sends to -1, in blocks of ``_REMAP_TOKENS``.

    Parameters
    ----------
    lengths : int64 (S,)
        Tokens of each sentence in ``raw`` (all of them, in or out of the vocabulary).
    mapping : int32 (W,)
        Vocabulary id of each provisional id, -1 for a word not in the vocabulary.

    Returns
    -------
    written : int
        Ids written.
    sentence_lengths : int64 (S',)
        Kept tokens of each sentence that keeps at least one (the others are dropped).

    Raises
    ------
    RuntimeError
        If ``raw`` holds another number of ids than ``lengths`` adds up to, a partial id, or an
        id outside ``mapping``.
    """
    from ._encode_kernels import ID_OUT_OF_RANGE, TOO_MANY_IDS, remap_block  # numba loads here, not on import

    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    mapping = np.ascontiguousarray(mapping, dtype=np.int32)
    expected = int(lengths.sum())
    size = max(1, min(_REMAP_TOKENS, expected))
    block, kept_ids = np.empty(size, dtype=np.int32), np.empty(size, dtype=np.int32)
    view = memoryview(block).cast("B")
    kept_per_sentence = np.zeros(lengths.shape[0], dtype=np.int64)
    cursor = np.array([-1, 0], dtype=np.int64)
    written, position = 0, 0
    while got := raw.readinto(view):
        if got % 4:
            raise RuntimeError(f"provisional ids end in a partial id ({got} bytes read)")
        n_kept = remap_block(block[: got // 4], mapping, kept_ids, lengths, kept_per_sentence, cursor)
        if n_kept == ID_OUT_OF_RANGE:
            raise RuntimeError(
                f"a provisional id outside [0, {mapping.shape[0]:,}) in the block from token {position:,}"
            )
        if n_kept == TOO_MANY_IDS:
            raise RuntimeError(f"more provisional ids than the sentences' {expected:,} tokens")
        out.write(kept_ids[:n_kept])
        written += n_kept
        position += got // 4
    if position != expected:
        raise RuntimeError(f"{position:,} provisional ids for sentences of {expected:,} tokens")
    return written, kept_per_sentence[kept_per_sentence > 0]


def write_npy_header(out, dtype: np.dtype, count: int) -> None:
    """Write the ``.npy`` header of a 1-d C-order array of ``count`` ``dtype`` items; the data follows."""
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (count,)}
    np.lib.format.write_array_header_1_0(out, header)


def raw_to_npy(raw_path: Path, npy_path: Path, dtype: np.dtype, count: int) -> None:
    """Prefix a raw little-endian array file with an ``.npy`` header (streamed, then removed)."""
    with open(npy_path, "wb") as out, open(raw_path, "rb") as raw:
        write_npy_header(out, dtype, count)
        shutil.copyfileobj(raw, out, 1 << 24)
    raw_path.unlink()


def count_and_encode(corpus: Corpus, options: VocabOptions, directory: Path) -> tuple[Vocabulary, EncodedCorpus]:
    """Build the vocabulary of ``corpus`` and encode it into ``directory`` in one pass over the text.

    The counting pass writes every token's provisional id (:class:`WordCounter`, 4 bytes a
    token, to a file in ``directory``) and :meth:`EncodedCorpus.from_provisional` maps them to
    vocabulary ids: the text is read and tokenized once instead of twice (shared corpus: 10.6 s
    -> 5 s). If counting had to prune (more than ``options.prune_at`` distinct words), the
    provisional ids no longer name the final words and the corpus is read a second time by
    :meth:`EncodedCorpus.encode`, so occurrences before a pruning still count as in the
    two-pass encoding. The result equals ``Vocabulary.build`` followed by ``EncodedCorpus.encode``.

    Raises
    ------
    CorpusError
        As :meth:`Vocabulary.build` and the corpus reader.
    """
    raw_path = directory / "provisional-ids.raw"
    with open(raw_path, "wb") as raw:
        counter, lengths = count_provisional(corpus, options.prune_at, raw)
        vocab = Vocabulary.from_counter(counter, options)
    if counter.renumbered:
        raw_path.unlink()
        return vocab, EncodedCorpus.encode(corpus, vocab, directory)
    mapping = provisional_mapping(counter.words, vocab.index)
    return vocab, EncodedCorpus.from_provisional(raw_path, lengths, mapping, vocab.total_words, directory)


def count_provisional(
    sentences: Iterable[Sequence[str]], prune_at: int, raw: BinaryIO | None
) -> tuple[WordCounter, np.ndarray]:
    """Count ``sentences`` with a :class:`WordCounter` that writes each token's int32 provisional
    id to ``raw`` (None: nowhere). Returns the counter and the int64 (S,) token count of each
    sentence; the counter's ``counts()``, called while ``raw`` is open, writes the last ids."""
    sink = None if raw is None else (lambda ids: raw.write(ids.tobytes()))
    counter, lengths = WordCounter(prune_at, sink=sink), array.array("q")
    for tokens in sentences:
        counter.add(tokens)
        lengths.append(len(tokens))
    return counter, np.frombuffer(lengths, dtype=np.int64)


def provisional_mapping(words: Iterable[str], index: dict[str, int]) -> np.ndarray:
    """int32 (W,): the vocabulary id of each provisional word in ``words`` (their id order),
    -1 for a word outside ``index``."""
    get = index.get
    return np.fromiter((get(word, -1) for word in words), dtype=np.int32)


@dataclass
class PreparedCorpus:
    """Everything a trainer needs from the text: vocabulary, encoded ids and reading stats.

    ``directory`` is the cache entry holding the encoded corpus (derived data such as
    co-occurrence counts is cached beside it), or None when nothing is cached. ``warn`` receives
    the warning lines of the caches built from it (see :func:`prepare_corpus`).
    """

    vocab: Vocabulary
    encoded: EncodedCorpus
    stats: dict
    from_cache: bool
    directory: Path | None = None
    warn: Callable[[str], None] | None = None


_ENTRY_KIND = "encoded corpus"


def prepare_corpus(
    paths: Sequence[str | os.PathLike],
    corpus_options: CorpusOptions | None = None,
    vocab_options: VocabOptions | None = None,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    log: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
    cluster=None,
) -> PreparedCorpus:
    """Read, count and encode a corpus, or load the result from the cache.

    The cache follows the rules of :mod:`embedkit.cache`: a damaged entry is rebuilt, an
    unusable cache directory or an unreadable entry means building in a private temporary
    directory, each with one warning line.

    Parameters
    ----------
    paths : sequence of str or PathLike
        Corpus files or directories.
    corpus_options, vocab_options : optional
        Tokenizer and vocabulary settings (defaults as word2vec.c).
    cache_dir : path, optional
        Where encoded corpora are kept (default :func:`embedkit.cache.default_cache_dir`).
    use_cache : bool
        False reads the corpus into a private temporary directory under ``$TMPDIR`` (removed
        before this returns: the ids stay readable through the open file) and keeps nothing.
    log : callable, optional
        Receives one-line progress notes.
    warn : callable, optional
        Receives warning lines (``"warning: ..."``); default ``log``, or standard error if
        ``log`` is None.
    cluster : distributed.Client, optional
        Count and encode on this Dask cluster (:mod:`embedkit.sharded`) when the entry must be
        built; the entry is the same as the one-process pass builds. The corpus and the cache
        directory must be on storage every worker sees.

    Raises
    ------
    CorpusError
        Missing, empty or binary corpus; no word reaching ``min_count``.
    StorageError
        If not even the private temporary directory can be written.
    ClusterError
        If a worker cannot read the corpus or write the cache entry.
    """
    corpus_options = corpus_options or CorpusOptions()
    vocab_options = vocab_options or VocabOptions()
    log = log or (lambda message: None)
    warn = warn or log or stderr_warning
    corpus = Corpus(paths, corpus_options)
    inputs = {
        "format": FORMAT_VERSION,
        "files": corpus.fingerprint(),
        "corpus": asdict(corpus_options),
        "vocab": asdict(vocab_options),
    }
    root = usable_cache_root(cache_dir, warn) if use_cache else None
    target = root / entry_key(inputs) if root is not None else None

    def build(work: Path) -> None:
        log(f"counting words in {len(corpus.files)} file(s)")
        if cluster is None:
            vocab, encoded = count_and_encode(corpus, vocab_options, work)
        else:
            from . import sharded

            vocab, encoded = sharded.count_and_encode(cluster, corpus, vocab_options, work, log)
        counted: CorpusStats = corpus.stats
        log(f"vocabulary: {len(vocab):,} words of {counted.tokens:,} tokens, encoded")
        vocab.save(work / "vocab.txt")
        stats = asdict(corpus.stats)
        stats.update(
            vocab_size=len(vocab),
            pruned_below=vocab.pruned_below,
            encoded_tokens=encoded.n_tokens,
            encoded_sentences=encoded.n_sentences,
        )
        (work / "stats.json").write_text(json.dumps(stats, indent=1))

    prepared, directory, from_cache = load_or_build(target, _ENTRY_KIND, inputs, build, _open_prepared, log, warn)
    prepared.from_cache, prepared.directory, prepared.warn = from_cache, directory, warn
    return prepared


def _open_prepared(directory: Path, manifest: Manifest | None) -> PreparedCorpus:
    """Open an encoded-corpus entry; with ``manifest``, verify every file first (ids within the
    vocabulary, counts matching the stats)."""

    def checked(name: str, dtype=None, high: int | None = None) -> Path:
        return directory / name if manifest is None else manifest.verify(name, dtype, high)[0]

    vocab = Vocabulary.load(checked("vocab.txt"))
    stats = json.loads(checked("stats.json").read_text(encoding="utf-8"))
    vocab.pruned_below = stats.get("pruned_below", 0)
    starts = np.load(checked("sentence_starts.npy", np.int64), allow_pickle=False)
    encoded = EncodedCorpus(checked("ids.npy", np.int32, len(vocab)), starts)
    expected = (len(vocab), encoded.n_tokens, encoded.n_sentences)
    if (stats.get("vocab_size"), stats.get("encoded_tokens"), stats.get("encoded_sentences")) != expected:
        raise DamagedEntry("stats.json: counts do not match the vocabulary and ids")
    return PreparedCorpus(vocab, encoded, stats, False)
