"""Co-occurrence counting on a Dask cluster, equal to the one-process matrix cell for cell.

Map: the encoded corpus (``ids.npy`` in the cache entry, which every worker reads) is cut at
sentence boundaries into parts of about equal tokens, one per worker; each worker counts its
parts with the one-process counter (:func:`embedkit.cooccur.count_into`: windows never cross a
sentence, so parts add up exactly) within the ``--memory`` budget, keeping float64 sums. Shuffle
and reduce: the rows are cut into ranges holding about equal cells (from the parts' row
histograms), sized so that one range's cells fit the budget; each range is reduced by one worker,
which reads its rows' slice of every part (sorted by row, so a slice is two binary searches),
sums equal cells in float64 and writes them as float32, as the one-process counter does. The
client concatenates the ranges in row order into the entry's ``rows.npy``, ``cols.npy``,
``values.npy``.

The float64 sums of a cell are added in another order than in one process, so a value could
differ in the last float32 bit if its float64 sum fell within ~1e-16 of a rounding boundary;
unweighted counts (PPMI) are integers and always equal.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .cluster import check_workers_see, cluster_errors, n_workers
from .cooccur import CellSink, CooccurrenceOptions, count_into, join_keys, merge_runs, split_keys, write_meta
from .encode import EncodedCorpus, PreparedCorpus
from .errors import ClusterError, storage_error

#: Parts per worker in the map step: one, as each part pays once for scanning its dense table
#: (a quarter of the memory budget) whatever its size.
PARTS_PER_WORKER = 1
#: Row ranges per worker in the reduce step (at least; more when the budget needs it).
RANGES_PER_WORKER = 4
#: Bytes a reducer needs per cell (keys, sums, the argsort order and the sorted copies).
_REDUCE_BYTES_PER_CELL = 48
_COPY_CELLS = 1 << 22


def count_part(
    entry: str, first: int, last: int, out_dir: str, *, n_words: int, options: CooccurrenceOptions, memory: float
) -> int:
    """Count sentences ``[first, last)`` of the encoded corpus in cache entry ``entry`` into
    ``out_dir`` with float64 values (runs on a worker; the ids are memory-mapped, not copied);
    returns the cells stored.

    Raises
    ------
    StorageError
        If the entry cannot be read or ``out_dir`` written.
    """
    try:
        starts = np.load(Path(entry) / "sentence_starts.npy", mmap_mode="r")[first : last + 1]
        base, stop = int(starts[0]), int(starts[-1])
        ids = np.load(Path(entry) / "ids.npy", mmap_mode="r")[base:stop]
        part = EncodedCorpus(ids, np.asarray(starts) - base)
        count_into(part, n_words, options, Path(out_dir), memory, progress=False, values_dtype=np.float64)
        return int(np.load(Path(out_dir) / "rows.npy", mmap_mode="r").shape[0])
    except OSError as exc:
        raise storage_error(exc, "count co-occurrences into", out_dir) from None


def row_histogram(part_dir: str, n_words: int) -> np.ndarray:
    """Cells per row of one counted part, int64 (V,)."""
    rows = np.load(Path(part_dir) / "rows.npy", mmap_mode="r")
    return np.bincount(rows, minlength=n_words).astype(np.int64)


def reduce_rows(part_dirs: list[str], low: int, high: int, n_words: int, out_dir: str) -> int:
    """Sum the cells of rows ``[low, high)`` over all parts into ``out_dir`` (float32 values;
    runs on a worker); returns the cells written.

    Raises
    ------
    StorageError
        If a part cannot be read or ``out_dir`` written.
    """
    try:
        parts = []
        for directory in part_dirs:
            rows, cols, values = CellSink.read(Path(directory))
            a, b = np.searchsorted(rows, [low, high], side="left")
            if b > a:
                parts.append((join_keys(rows[a:b], cols[a:b], n_words), np.asarray(values[a:b], dtype=np.float64)))
            del rows, cols, values
        sink = CellSink(Path(out_dir))
        if parts:
            merged, totals = merge_runs(parts)
            sink.write(*split_keys(merged, n_words), totals)
        sink.close()
        return sink.count
    except OSError as exc:
        raise storage_error(exc, "reduce co-occurrences into", out_dir) from None


def _parts(encoded: EncodedCorpus, n_parts: int) -> list[tuple[int, int]]:
    """Sentence ranges ``[first, last)`` of ``n_parts`` consecutive parts of about equal tokens
    (none empty)."""
    cuts = encoded.chunk_starts(max(1, -(-encoded.n_tokens // n_parts))).tolist()
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


def _row_ranges(histogram: np.ndarray, n_ranges: int) -> list[tuple[int, int]]:
    """Consecutive row ranges covering ``[0, V)`` with about equal cells each."""
    cumulative = np.cumsum(histogram)
    total = int(cumulative[-1]) if cumulative.shape[0] else 0
    marks = [int(np.searchsorted(cumulative, total * k / n_ranges, side="left")) + 1 for k in range(1, n_ranges)]
    edges = sorted({0, *[m for m in marks if 0 < m < histogram.shape[0]], histogram.shape[0]})
    return list(zip(edges[:-1], edges[1:]))


def count_on_cluster(
    client,
    prepared: PreparedCorpus,
    options: CooccurrenceOptions,
    out: Path,
    memory: float,
    log: Callable[[str], None] = lambda message: None,
) -> None:
    """Count the co-occurrence matrix of ``prepared`` on the cluster into ``out`` (the files of
    :func:`embedkit.cooccur.count_into`). ``memory`` GiB is the budget of each worker.

    Raises
    ------
    ClusterError
        If the corpus is not in a cache entry the workers can read (``--no-cache``), or a worker
        cannot read it or write ``out``.
    ConfigError
        As :func:`embedkit.cooccur.count_cooccurrences`.
    """
    entry = None if prepared.directory is None else prepared.directory.resolve()
    if entry is None or not (entry / "ids.npy").is_file():
        raise ClusterError("the cluster counts co-occurrences from the cached encoded corpus: drop --no-cache")
    out = out.resolve()
    check_workers_see(client, [entry / "ids.npy", entry / "sentence_starts.npy"], out)
    n_words, workers = len(prepared.vocab), n_workers(client)
    parts = _parts(prepared.encoded, PARTS_PER_WORKER * workers)
    part_dirs = [str(out / f"part-{i:05d}") for i in range(len(parts))]
    bucket_dirs: list[str] = []
    submitted: list = []
    with cluster_errors("the cluster co-occurrence count"):
        try:
            counted = client.map(
                count_part,
                [str(entry)] * len(parts),
                [first for first, _ in parts],
                [last for _, last in parts],
                part_dirs,
                n_words=n_words,
                options=options,
                memory=memory,
                pure=False,
            )
            submitted += counted
            cells = client.gather(counted)
            histogram = np.zeros(n_words, dtype=np.int64)
            for part_histogram in client.gather(client.map(row_histogram, part_dirs, n_words=n_words, pure=False)):
                histogram += part_histogram
            budget_cells = max(1, int(memory * (1 << 30)) // 4 // _REDUCE_BYTES_PER_CELL)
            n_ranges = max(RANGES_PER_WORKER * workers, -(-int(histogram.sum()) // budget_cells))
            ranges = _row_ranges(histogram, n_ranges)
            bucket_dirs = [str(out / f"rows-{i:05d}") for i in range(len(ranges))]
            reduced = client.map(
                reduce_rows,
                [part_dirs] * len(ranges),
                [low for low, _ in ranges],
                [high for _, high in ranges],
                [n_words] * len(ranges),
                bucket_dirs,
                pure=False,
            )
            submitted += reduced
            client.gather(reduced)
            _concatenate(bucket_dirs, out)
            write_meta(out, n_words, options)
            log(f"cluster co-occurrences: {len(parts)} part(s) ({sum(cells):,} cells), {len(ranges)} row range(s)")
        finally:
            client.cancel(submitted)  # nothing may still write when the parts go
            for directory in part_dirs + bucket_dirs:
                shutil.rmtree(directory, ignore_errors=True)


def _concatenate(bucket_dirs: list[str], out: Path) -> None:
    """The row ranges' cells, in row order, into ``out``'s ``rows``/``cols``/``values``."""
    sink = CellSink(out)
    for directory in bucket_dirs:
        arrays = CellSink.read(Path(directory))
        for a in range(0, arrays[0].shape[0], _COPY_CELLS):
            sink.write(*(array[a : a + _COPY_CELLS] for array in arrays))
        del arrays  # unmapped before the directory is removed
    sink.close()
