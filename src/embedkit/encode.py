"""Encoded corpus: the token stream as int32 word ids plus sentence offsets, cached on disk.

Encoding drops out-of-vocabulary tokens (as word2vec.c and gensim do before windowing) and
sentences left empty. The cache holds the vocabulary and the two arrays as ``.npy`` files; the
ids are read block by block while training (like gensim's ``corpus_file`` mode), keyed by the corpus files' paths, sizes and mtimes and by every
option that changes the result, so later epochs and later runs skip tokenizing entirely.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .corpus import Corpus, CorpusOptions, CorpusStats
from .errors import CorpusError
from .vocab import Vocabulary, VocabOptions

_CACHE_VERSION = 1
_FLUSH_TOKENS = 1 << 18


def default_cache_dir() -> Path:
    """``$EMBEDKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/embedkit``, else ``~/.cache/embedkit``."""
    if os.environ.get("EMBEDKIT_CACHE_DIR"):
        return Path(os.environ["EMBEDKIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "embedkit"


class EncodedCorpus:
    """Token ids of a corpus, sentence by sentence.

    Parameters
    ----------
    ids : ndarray, shape (N,), int32, or path of an ``.npy`` file holding it
        Word ids (indices into the vocabulary) of all kept tokens, in corpus order. From a
        file, ranges are read on demand with :meth:`read_ids` (plain reads, no memory map),
        so training holds only the block it works on.
    sentence_starts : ndarray, shape (S + 1,), int64
        Sentence ``s`` is ``ids[sentence_starts[s]:sentence_starts[s + 1]]``; the last entry is N.
    """

    def __init__(self, ids: np.ndarray | Path, sentence_starts: np.ndarray):
        self.sentence_starts = np.ascontiguousarray(sentence_starts, dtype=np.int64)
        if isinstance(ids, np.ndarray):
            self._ids, self._path, self._offset = np.ascontiguousarray(ids, dtype=np.int32), None, 0
            n = ids.shape[0]
        else:
            self._ids, self._path = None, Path(ids)
            with open(self._path, "rb") as fh:
                version = np.lib.format.read_magic(fh)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                (n,), _, dtype = read_header(fh)
                self._offset = fh.tell()
            if dtype != np.int32:
                raise CorpusError(f"{self._path}: expected int32 ids, found {dtype}")
        if self.sentence_starts[-1] != n:
            raise CorpusError("encoded corpus is inconsistent (sentence offsets do not match the ids)")

    def read_ids(self, start: int, stop: int) -> np.ndarray:
        """Token ids ``start:stop`` as a contiguous int32 array (a copy when read from disk)."""
        if self._ids is not None:
            return self._ids[start:stop]
        return np.fromfile(self._path, dtype=np.int32, count=stop - start, offset=self._offset + 4 * start)

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
    def encode(cls, sentences: Iterable[Sequence[str]], vocab: Vocabulary, directory: Path) -> "EncodedCorpus":
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
    def load(cls, directory: Path) -> "EncodedCorpus":
        """Open the arrays written by :meth:`encode` (ids stay on disk)."""
        return cls(directory / "ids.npy", np.load(directory / "sentence_starts.npy"))


def raw_to_npy(raw_path: Path, npy_path: Path, dtype: np.dtype, count: int) -> None:
    """Prefix a raw little-endian array file with an ``.npy`` header (streamed, then removed)."""
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (count,)}
    with open(npy_path, "wb") as out, open(raw_path, "rb") as raw:
        np.lib.format.write_array_header_1_0(out, header)
        shutil.copyfileobj(raw, out, 1 << 24)
    raw_path.unlink()


@dataclass
class PreparedCorpus:
    """Everything a trainer needs from the text: vocabulary, encoded ids and reading stats.

    ``directory`` is the cache entry holding the encoded corpus (derived data such as
    co-occurrence counts is cached beside it), or None when nothing is cached.
    """

    vocab: Vocabulary
    encoded: EncodedCorpus
    stats: dict
    from_cache: bool
    directory: Path | None = None


def prepare_corpus(
    paths: Sequence[str | os.PathLike],
    corpus_options: CorpusOptions | None = None,
    vocab_options: VocabOptions | None = None,
    cache_dir: str | os.PathLike | None = None,
    use_cache: bool = True,
    log: Callable[[str], None] | None = None,
) -> PreparedCorpus:
    """Read, count and encode a corpus, or load the result from the cache.

    Parameters
    ----------
    paths : sequence of str or PathLike
        Corpus files or directories.
    corpus_options, vocab_options : optional
        Tokenizer and vocabulary settings (defaults as word2vec.c).
    cache_dir : path, optional
        Where encoded corpora are kept (default :func:`default_cache_dir`).
    use_cache : bool
        False re-reads the corpus into a temporary directory and keeps nothing.
    log : callable, optional
        Receives one-line progress notes.

    Raises
    ------
    CorpusError
        Missing, empty or binary corpus; no word reaching ``min_count``.
    """
    corpus_options = corpus_options or CorpusOptions()
    vocab_options = vocab_options or VocabOptions()
    log = log or (lambda message: None)
    corpus = Corpus(paths, corpus_options)
    key_source = json.dumps(
        [_CACHE_VERSION, corpus.fingerprint(), asdict(corpus_options), asdict(vocab_options)], sort_keys=True
    )
    key = hashlib.sha256(key_source.encode()).hexdigest()[:20]
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = root / key
    if use_cache and (target / "stats.json").is_file():
        log(f"using cached encoded corpus {target}")
        return _load_prepared(target, from_cache=True)

    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    try:
        log(f"counting words in {len(corpus.files)} file(s)")
        vocab = Vocabulary.build(corpus, vocab_options)
        counted: CorpusStats = corpus.stats
        log(f"vocabulary: {len(vocab):,} words of {counted.tokens:,} tokens; encoding")
        vocab.save(work / "vocab.txt")
        encoded = EncodedCorpus.encode(corpus, vocab, work)
        stats = asdict(corpus.stats)
        stats.update(
            vocab_size=len(vocab),
            pruned_below=vocab.pruned_below,
            encoded_tokens=encoded.n_tokens,
            encoded_sentences=encoded.n_sentences,
        )
        (work / "stats.json").write_text(json.dumps(stats, indent=1))
        del encoded
        if not use_cache:
            return _load_prepared(work, from_cache=False, in_memory=True)
        try:
            os.replace(work, target)
        except OSError:  # another process filled the same entry meanwhile
            shutil.rmtree(work, ignore_errors=True)
        return _load_prepared(target, from_cache=False)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def _load_prepared(directory: Path, from_cache: bool, in_memory: bool = False) -> PreparedCorpus:
    stats = json.loads((directory / "stats.json").read_text())
    vocab = Vocabulary.load(directory / "vocab.txt")
    vocab.pruned_below = stats.get("pruned_below", 0)
    encoded = EncodedCorpus.load(directory)
    if in_memory:
        encoded = EncodedCorpus(encoded.read_ids(0, encoded.n_tokens), encoded.sentence_starts)
        return PreparedCorpus(vocab, encoded, stats, from_cache)
    return PreparedCorpus(vocab, encoded, stats, from_cache, directory)
