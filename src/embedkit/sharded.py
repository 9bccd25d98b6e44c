"""The corpus pass on a Dask cluster: count and encode shards in parallel, identical to one process.

Map: each shard (:func:`embedkit.corpus.plan_shards`: byte ranges of plain files cut at line
starts, compressed files whole) is read by one worker, which counts its words in first-seen
order (:class:`~embedkit.vocab.WordCounter`, never pruning) and writes every token's
shard-local provisional id to a file in the output directory. Reduce: the counts are summed by
a tree of pairwise merges on the workers; merging left before right keeps the words in their
order of first appearance in the whole corpus, so :meth:`Vocabulary.from_counts` cuts exactly
the vocabulary (words, counts, order) of the serial pass. Encode: each worker maps its
provisional ids to vocabulary ids and writes them at its offset into the one ``ids.npy``; the
client writes the header and ``sentence_starts.npy``. The files are byte for byte those of
:func:`embedkit.encode.count_and_encode`.

One difference is stated, not hidden: the serial pass prunes rare words when it holds more than
``prune_at`` distinct words (word2vec.c's ``ReduceVocab``), which the cluster cannot reproduce
shard by shard. The cluster pass counts every word exactly instead (each worker holds only its
shard's words; the last merge holds them all) and says so in a note; below ``prune_at``
distinct words, where the serial pass never prunes, the results are identical.

A worker lost mid-pass costs only its tasks, which Dask reruns elsewhere (each task reads its
shard again and rewrites its own file).
"""

from __future__ import annotations

import dataclasses
import time
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
    counts : dict[str, int]
        Word -> occurrences, in order of first appearance in the shard (provisional id order).
    stats : CorpusStats
        The shard's lines, tokens, sentences, split lines and invalid UTF-8 lines.
    lengths : int64 (S,) or None
        Tokens in each sentence of the shard (None when the ids were not kept).
    ids_path : str or None
        File of the shard's int32 provisional ids, in corpus order.
    """

    counts: dict[str, int]
    stats: CorpusStats
    lengths: np.ndarray | None
    ids_path: str | None


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
    if ids_path is None:
        counter, _ = count_provisional(reader.sentences(shard, stats), _NO_PRUNING, None)
        return ShardCount(counter.result(), stats, None, None)
    try:
        with open(ids_path, "wb") as raw:
            counter, lengths = count_provisional(reader.sentences(shard, stats), _NO_PRUNING, raw)
            counts = counter.result()  # writes the last ids
    except OSError as exc:
        raise storage_error(exc, "write", ids_path) from None
    return ShardCount(counts, stats, lengths, ids_path)


#: The CorpusStats fields summed over shards (``files`` and ``bytes`` are per file).
_SUMMED = ("lines", "tokens", "sentences", "split_lines", "invalid_utf8_lines")


def merge_counts(left: ShardCount, right: ShardCount) -> ShardCount:
    """Sum two shards' counts and statistics, ``left``'s words first, then ``right``'s new words
    in their order. The result is a ShardCount, an object Dask pickles whole (a bare dict it
    sends item by item, many times slower)."""
    merged = dict(left.counts)
    get = merged.get
    for word, count in right.counts.items():
        merged[word] = get(word, 0) + count
    stats = CorpusStats(**{field: getattr(left.stats, field) + getattr(right.stats, field) for field in _SUMMED})
    return ShardCount(merged, stats, None, None)


@dataclass
class ShardIds:
    """A shard's provisional ids mapped to the vocabulary: ``mapping`` int32 (W,) gives the
    vocabulary id of provisional id ``i`` (-1: not in the vocabulary); ``kept`` the shard's
    tokens in the vocabulary."""

    mapping: np.ndarray
    kept: int


@dataclass(frozen=True)
class VocabIndex:
    """The vocabulary's words, most frequent first, as one UTF-8 blob of ``\n``-separated words
    (words never hold a newline): Dask sends it as one buffer, where a ``word -> id`` dict costs
    a second to scatter for 130k words."""

    blob: bytes

    @classmethod
    def of(cls, vocab: Vocabulary) -> VocabIndex:
        return cls("\n".join(vocab.words).encode("utf-8"))

    def ids(self) -> dict[str, int]:
        """``word -> id``."""
        return {word: i for i, word in enumerate(self.blob.decode("utf-8").split("\n"))}


def map_shard(shard: ShardCount, index: VocabIndex) -> ShardIds:
    """The vocabulary ids of a shard's words (runs on a worker)."""
    mapping = provisional_mapping(shard.counts, index.ids())
    counts = np.fromiter(shard.counts.values(), dtype=np.int64, count=len(shard.counts))
    return ShardIds(mapping, int(counts[mapping >= 0].sum()))


def kept_tokens(ids: ShardIds) -> int:
    """The tokens of a shard that are in the vocabulary."""
    return ids.kept


def encode_shard(shard: ShardCount, ids: ShardIds, ids_npy: str, data_start: int, offset: int) -> np.ndarray:
    """Write a shard's vocabulary ids into ``ids_npy`` at token ``offset``, streamed block by
    block (runs on a worker). Returns the int64 lengths of the shard's sentences that keep at
    least one token (the sentences the serial encoding keeps).

    Raises
    ------
    StorageError
        If the files cannot be read or written.
    """
    try:
        with open(shard.ids_path, "rb") as raw, open(ids_npy, "r+b") as out:
            out.seek(data_start + 4 * offset)
            written, lengths = remap_ids(raw, out, shard.lengths, ids.mapping)
    except OSError as exc:
        raise storage_error(exc, "write", ids_npy) from None
    if written != ids.kept:
        raise ClusterError(f"{shard.ids_path}: {written:,} ids where the counts keep {ids.kept:,}")
    return lengths


def _count(client, corpus: Corpus, directory: Path | None, log: Callable[[str], None]):
    """Map and reduce: the futures of the shard counts, the merged counts, the corpus stats."""
    from distributed import wait

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
    wait(counted)
    for future in counted:  # the first failure in corpus order, as the serial pass reports it
        if future.status == "error":
            raise future.exception()
    log(f"counted in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    level = counted
    while len(level) > 1:
        pairs = [level[i : i + 2] for i in range(0, len(level), 2)]
        level = [client.submit(merge_counts, *pair, pure=False) if len(pair) == 2 else pair[0] for pair in pairs]
    total = level[0].result()
    log(f"counts merged in {time.perf_counter() - started:.1f} s")
    stats = dataclasses.replace(total.stats, files=len(files), bytes=plain)
    return counted, total.counts, stats


def _cut(merged: dict[str, int], options: VocabOptions, log: Callable[[str], None]) -> Vocabulary:
    if not merged:
        raise CorpusError("the corpus is empty (no tokens)")
    if len(merged) > options.prune_at:
        log(
            f"note: {len(merged):,} distinct words, more than prune_at={options.prune_at:,}: the cluster pass "
            "counted all of them exactly, where one process would have pruned the rarest"
        )
    return Vocabulary.from_counts(merged, options)


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
        counted, merged, corpus.stats = _count(client, corpus, None, log)
        client.cancel(counted)
    return _cut(merged, options, log)


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
        counted, merged, corpus.stats = _count(client, corpus, directory, log)
        submitted = list(counted)
        try:
            vocab = _cut(merged, options, log)
            index = client.scatter(VocabIndex.of(vocab), broadcast=True)
            mapped = client.map(map_shard, counted, index=index, pure=False)
            submitted += mapped
            kept = client.gather(client.map(kept_tokens, mapped, pure=False))
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
            encoded = client.map(
                encode_shard,
                counted,
                mapped,
                [str(ids_npy)] * len(counted),
                [data_start] * len(counted),
                offsets[:-1].tolist(),
                pure=False,
            )
            submitted += encoded
            lengths = client.gather(encoded)
        finally:
            client.cancel(submitted)  # nothing may still write when the shards' files go
            for path in directory.glob("shard-*.ids"):
                path.unlink(missing_ok=True)
    sentence_lengths = np.concatenate(lengths)
    starts = np.zeros(sentence_lengths.shape[0] + 1, dtype=np.int64)
    np.cumsum(sentence_lengths, out=starts[1:])
    np.save(directory / "sentence_starts.npy", starts)
    return vocab, EncodedCorpus.load(directory)
