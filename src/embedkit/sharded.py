"""The corpus pass on a Dask cluster: count and encode shards in parallel, identical to one process.

Map: each shard (:func:`embedkit.corpus.plan_shards`: byte ranges of plain files cut at line
starts, compressed files whole) is read by one worker, which counts its words in first-seen
order (:class:`~embedkit.vocab.WordCounter`, never pruning) and writes every token's
shard-local provisional id to a file in the output directory. Reduce: the client sums the
shards' counts as they arrive, in corpus order (:class:`CountMerge`), while the workers count
the shards after them; merging in corpus order keeps the words in their order of first
appearance in the whole corpus, so :meth:`Vocabulary.from_counts` cuts exactly the vocabulary
(words, counts, order) of the serial pass. The merge also gives each shard's words their
corpus-wide rank, so once the vocabulary is cut the client knows, with array arithmetic only,
every shard's ``provisional id -> vocabulary id`` mapping and how many of its tokens are kept.
Encode: each worker maps its provisional ids to vocabulary ids and writes them at its offset
into the one ``ids.npy``; the client writes the header and ``sentence_starts.npy``. The files
are byte for byte those of :func:`embedkit.encode.count_and_encode`.

The client holds every distinct word once (as the serial pass does) and, until the encoding is
submitted, 12 bytes per distinct word of each shard (its words' corpus-wide ranks and counts).

One difference is stated, not hidden: the serial pass prunes rare words when it holds more than
``prune_at`` distinct words (word2vec.c's ``ReduceVocab``), which the cluster cannot reproduce
shard by shard. The cluster pass counts every word exactly instead and says so in a note; below
``prune_at`` distinct words, where the serial pass never prunes, the results are identical.

A worker lost mid-pass costs only its tasks, which Dask reruns elsewhere (each task reads its
shard again and rewrites its own file).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cluster import check_workers_see, cluster_errors, n_workers
from .corpus import Corpus, CorpusOptions, CorpusStats, Shard, plan_shards
from .encode import EncodedCorpus, count_provisional, provisional_mapping, remap_ids, write_npy_header
from .errors import ClusterError, CorpusError, storage_error
from .vocab import VocabOptions, Vocabulary

#: Shards per worker (a few, so that a slow or lost worker does not hold up the others).
SHARDS_PER_WORKER = 4
#: Largest shard of a plain file: bounds a worker's memory (4 bytes of ids per token).
MAX_SHARD_BYTES = 256 << 20
#: Distinct words a shard's counter may hold: never prune inside a shard.
_NO_PRUNING = 2**62


@dataclass
class ShardCount:
    """What a worker learned from one shard.

    Attributes
    ----------
    words : bytes
        The shard's distinct words in order of first appearance (provisional id order), UTF-8,
        separated by ``\n`` (a token never holds one): Dask sends one buffer, where a dict of
        200,000 words is pickled item by item.
    counts : ndarray, shape (W,), int64
        Occurrences of each word, in the same order.
    stats : CorpusStats
        The shard's lines, tokens, sentences, split lines and invalid UTF-8 lines.
    lengths : int64 (S,) or None
        Tokens in each sentence of the shard (None when the ids were not kept).
    ids_path : str or None
        File of the shard's int32 provisional ids, in corpus order.
    """

    words: bytes
    counts: np.ndarray
    stats: CorpusStats
    lengths: np.ndarray | None
    ids_path: str | None

    def word_list(self) -> list[str]:
        return self.words.decode("utf-8").split("\n") if self.words else []


def count_shard(options: CorpusOptions, shard: Shard, ids_path: str | None) -> ShardCount:
    """Count one shard (runs on a worker); with ``ids_path``, write its provisional ids there.

    Raises
    ------
    CorpusError
        As reading the corpus (binary content, invalid UTF-8 under ``strict``, unreadable file).
    StorageError
        If ``ids_path`` cannot be written.
    """
    reader, stats = Corpus([shard.path], options), CorpusStats()
    try:
        with open(ids_path, "wb") if ids_path is not None else contextlib.nullcontext() as raw:
            counter, lengths = count_provisional(reader.sentences(shard, stats), _NO_PRUNING, raw)
            counts = counter.counts()  # writes the last ids
    except OSError as exc:
        raise storage_error(exc, "write", ids_path) from None
    words = "\n".join(counter.words).encode("utf-8")
    return ShardCount(words, counts, stats, None if ids_path is None else lengths, ids_path)


#: The CorpusStats fields summed over shards (``files`` and ``bytes`` are per file).
_SUMMED = ("lines", "tokens", "sentences", "split_lines", "invalid_utf8_lines")


class CountMerge:
    """The corpus-wide counts, summed shard by shard in corpus order (on the client).

    Each word gets its corpus-wide rank of first appearance the first time a shard brings it,
    so after the shards ``0 .. k`` are added the words are in the order one reader of those
    shards would have met them. Each token costs one C-level dict lookup per shard it appears
    in (the shard's distinct words), not per occurrence.
    """

    def __init__(self) -> None:
        self._ranks: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.counts = np.zeros(0, dtype=np.int64)
        self.stats = CorpusStats()
        #: Per shard added: int32 (W,) corpus-wide rank of each provisional id, int64 (W,) counts.
        self.shards: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, shard: ShardCount) -> None:
        words = shard.word_list()
        ranks = np.fromiter(map(self._ranks.__getitem__, words), dtype=np.int32, count=len(words))
        if len(self._ranks) > self.counts.shape[0]:
            grown = np.zeros(max(len(self._ranks), 2 * self.counts.shape[0]), dtype=np.int64)
            grown[: self.counts.shape[0]] = self.counts
            self.counts = grown
        self.counts[ranks] += shard.counts  # a shard's words are distinct: no repeated index
        for name in _SUMMED:
            setattr(self.stats, name, getattr(self.stats, name) + getattr(shard.stats, name))
        self.shards.append((ranks, shard.counts))

    @property
    def words(self):
        """Every word seen, in order of first appearance (a live view)."""
        return self._ranks.keys()

    def shard_mappings(self, vocab: Vocabulary) -> list[tuple[np.ndarray, int]]:
        """For each shard added: int32 (W,) the vocabulary id of each provisional id (-1: not
        in the vocabulary) and the shard's tokens in the vocabulary."""
        of_rank = provisional_mapping(self._ranks, vocab.index)
        out = []
        for ranks, counts in self.shards:
            mapping = of_rank[ranks]
            out.append((mapping, int(counts[mapping >= 0].sum())))
        return out


def encode_shard(shard: ShardCount, mapping: np.ndarray, kept: int, ids_npy: str, data_start: int, offset: int):
    """Write a shard's vocabulary ids into ``ids_npy`` at token ``offset``, streamed block by
    block (runs on the worker holding ``shard``). Returns the int64 lengths of the shard's
    sentences that keep at least one token (the sentences the serial encoding keeps).

    Raises
    ------
    StorageError
        If the files cannot be read or written.
    ClusterError
        If the shard holds another number of kept tokens than ``kept``, or its provisional ids
        are gone (removed by a first run of this task whose result a lost worker took along).
    """
    try:
        raw = open(shard.ids_path, "rb")
    except FileNotFoundError:
        raise ClusterError(
            f"{shard.ids_path}: the shard's provisional ids are gone (a worker was lost after encoding it); "
            "run the command again"
        ) from None
    except OSError as exc:
        raise storage_error(exc, "read") from None
    try:
        with raw, open(ids_npy, "r+b") as out:
            out.seek(data_start + 4 * offset)
            written, lengths = remap_ids(raw, out, shard.lengths, mapping)
        # Gone at once, not with the others at the end: the next shard's ids then land in the
        # page-cache pages this file frees (fresh pages cost a fault each on a virtual machine:
        # 0.14-0.27 s against 0.05 s for the remapping of a 50 MB shard, measured here).
        Path(shard.ids_path).unlink()
    except OSError as exc:
        raise storage_error(exc, "write", ids_npy) from None
    if written != kept:
        raise ClusterError(f"{shard.ids_path}: {written:,} ids where the counts keep {kept:,}")
    return lengths


def _count(client, corpus: Corpus, directory: Path | None, log: Callable[[str], None]):
    """Map, and reduce as the shards finish: the futures of the shard counts and their merge
    (with the corpus stats). The first shard that fails, in corpus order, raises its error, as
    the serial pass would."""
    from distributed import as_completed

    files = [path.resolve() for path in corpus.files]  # workers may run in other directories
    directory = None if directory is None else directory.resolve()
    check_workers_see(client, files, directory)
    plain = sum(p.stat().st_size for p in files)
    target = min(MAX_SHARD_BYTES, plain // max(1, SHARDS_PER_WORKER * n_workers(client)))
    shards = plan_shards(files, target)
    log(f"cluster corpus pass: {len(shards)} shard(s) on {n_workers(client)} worker(s)")
    ids_paths = [None if directory is None else str(directory / f"shard-{i:06d}.ids") for i in range(len(shards))]
    started = time.perf_counter()
    counted = client.map(count_shard, [corpus.options] * len(shards), shards, ids_paths, pure=False)
    try:
        position = {future.key: i for i, future in enumerate(counted)}
        merge, arrived = CountMerge(), {}
        for future, result in as_completed(counted, with_results=True, raise_errors=False):
            arrived[position[future.key]] = future.status, result  # the status now: a lost worker changes it later
            while len(merge.shards) in arrived:
                status, result = arrived.pop(len(merge.shards))
                if status != "finished":
                    raise _failure(status, result, shards[len(merge.shards)])
                merge.add(result)
    except Exception:
        settle(client, counted)
        raise
    except BaseException:  # Ctrl-C: no waiting
        client.cancel(counted)
        raise
    log(f"counted and merged in {time.perf_counter() - started:.1f} s")
    merge.stats = dataclasses.replace(merge.stats, files=len(files), bytes=plain)
    return counted, merge


def _failure(status: str, result, shard: Shard) -> BaseException:
    """The error of a shard that did not finish: the task's own (``as_completed`` gives an
    ``(type, error, traceback)`` triple, or the CancelledError of a cancelled task)."""
    if isinstance(result, tuple) and len(result) == 3 and isinstance(result[1], BaseException):
        return result[1]
    if isinstance(result, BaseException):
        return result
    return ClusterError(f"the shard {shard.path}[{shard.start}:{shard.stop}] was {status} (a lost worker?)")


def settle(client, futures) -> None:
    """Wait until none of ``futures`` still runs (their errors are not raised here), then
    cancel them: a task Dask has started runs on after a cancel, and must not write into a
    directory its caller is about to remove."""
    from distributed import wait

    with contextlib.suppress(Exception):
        wait(futures)
    client.cancel(futures)


def _cut(merge: CountMerge, options: VocabOptions, log: Callable[[str], None]) -> Vocabulary:
    if not merge.words:
        raise CorpusError("the corpus is empty (no tokens)")
    if len(merge.words) > options.prune_at:
        log(
            f"note: {len(merge.words):,} distinct words, more than prune_at={options.prune_at:,}: the cluster pass "
            "counted all of them exactly, where one process would have pruned the rarest"
        )
    n = len(merge.words)
    return Vocabulary.from_counts(list(merge.words), merge.counts[:n], options)


def count_words(client, corpus: Corpus, options: VocabOptions, log: Callable[[str], None] = lambda m: None):
    """The vocabulary of ``corpus`` counted on the cluster; equals :meth:`Vocabulary.build`
    (see the module notes on ``prune_at``). Sets ``corpus.stats``.

    Raises
    ------
    CorpusError
        As the serial pass.
    ClusterError
        If a worker cannot read the corpus.
    """
    with cluster_errors("the cluster corpus pass"):
        counted, merge = _count(client, corpus, None, log)
        client.cancel(counted)
    corpus.stats = merge.stats
    return _cut(merge, options, log)


def count_and_encode(
    client, corpus: Corpus, options: VocabOptions, directory: Path, log: Callable[[str], None] = lambda m: None
) -> tuple[Vocabulary, EncodedCorpus]:
    """:func:`embedkit.encode.count_and_encode` on the cluster: the same vocabulary and the same
    ``ids.npy`` and ``sentence_starts.npy`` in ``directory`` (which every worker must be able to
    write). Sets ``corpus.stats``.

    Raises
    ------
    CorpusError
        As the serial pass.
    ClusterError
        If a worker cannot read the corpus or write ``directory``.
    """
    with cluster_errors("the cluster corpus pass"):
        counted, merge = _count(client, corpus, directory, log)
        corpus.stats, submitted = merge.stats, list(counted)
        try:
            vocab = _cut(merge, options, log)
            mapped = merge.shard_mappings(vocab)
            kept = [n for _, n in mapped]
            offsets = np.concatenate([[0], np.cumsum(kept, dtype=np.int64)])
            if int(offsets[-1]) != vocab.total_words:
                raise ClusterError(
                    f"shards keep {int(offsets[-1]):,} tokens, the vocabulary counts {vocab.total_words:,}"
                )
            ids_npy = directory.resolve() / "ids.npy"
            with open(ids_npy, "wb") as out:
                write_npy_header(out, np.dtype(np.int32), vocab.total_words)
                data_start = out.tell()
                out.truncate(data_start + 4 * vocab.total_words)
            started = time.perf_counter()
            encoded = client.map(
                encode_shard,
                counted,
                [mapping for mapping, _ in mapped],
                kept,
                [str(ids_npy)] * len(counted),
                [data_start] * len(counted),
                offsets[:-1].tolist(),
                pure=False,
            )
            submitted += encoded
            lengths = client.gather(encoded)
            log(f"encoded in {time.perf_counter() - started:.1f} s")
        except Exception:
            settle(client, submitted)  # nothing may still write when the shards' files go
            raise
        finally:
            client.cancel(submitted)
            for path in directory.glob("shard-*.ids"):
                path.unlink(missing_ok=True)
    sentence_lengths = np.concatenate(lengths)
    starts = np.zeros(sentence_lengths.shape[0] + 1, dtype=np.int64)
    np.cumsum(sentence_lengths, out=starts[1:])
    np.save(directory / "sentence_starts.npy", starts)
    return vocab, EncodedCorpus.load(directory)
