"""Word-word co-occurrence counts, in bounded memory (shared by GloVe and PPMI).

``X[i, j]`` sums, over every time word ``j`` occurs within ``window`` tokens after word ``i``
in the same sentence (and, with ``symmetric``, before it too), the weight ``1/d`` of their
distance ``d`` (GloVe's cooccur.c, Pennington et al. 2014) or 1 (``distance_weighting=False``,
the plain counts of Levy, Goldberg & Dagan 2015). Windows never cross a line, and
out-of-vocabulary tokens are dropped before windowing, as in cooccur.c.

Memory stays within ``memory`` GiB (cooccur.c's ``-memory`` idea):

* a quarter of it holds a dense float64 table of the rows of the most frequent words, which
  take most of the events of a Zipfian corpus;
* an eighth is a buffer of the remaining events; when full it is sorted and collapsed into a
  *run* of (cell, sum) pairs;
* runs stay in memory up to a quarter of the budget, later ones are written to disk ("spill");
* at the end the runs are merged key range by key range (each range within a quarter of the
  budget) and written out as the result: ``rows``/``cols`` int32 and ``values`` float32 ``.npy``
  files, which are memory mapped when read back.

For a symmetric window only the upper triangle (``rows <= cols``) is stored; consumers mirror
it (:meth:`Cooccurrences.to_csr`, the GloVe kernel).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from . import _cooccur_kernels as kernels
from . import signals
from ._kernel_inputs import check_inputs
from .cache import FORMAT_VERSION, Manifest, entry_key, load_or_build, private_directory, stderr_warning
from .config import DEFAULT_MEMORY_GIB
from .encode import EncodedCorpus, PreparedCorpus, raw_to_npy
from .errors import ConfigError, CorpusError
from .files import atomic_writer

_GIB = 1 << 30
#: Smallest ``memory`` accepted, in GiB (tests use it to force spilling).
MIN_MEMORY_GIB = 1 / 1024
_ARRAYS = ("rows", "cols", "values")
_DTYPES = {"rows": np.int32, "cols": np.int32, "values": np.float32}
_RUN_BYTES_PER_CELL = 16  # uint64 key + float64 sum
_MERGE_BYTES_PER_CELL = 48  # keys, sums, argsort order and the sorted copies
_READ_TOKENS = 1 << 20


@dataclass(frozen=True)
class CooccurrenceOptions:
    """What is counted (the cache key of a co-occurrence matrix).

    Attributes
    ----------
    window : int
        Largest distance counted, 1..255 (default 10, GloVe's demo).
    symmetric : bool
        Count context on both sides (default) or only words to the left (cooccur.c ``-symmetric 0``).
    distance_weighting : bool
        Weight an event ``1/d`` (default, GloVe) or 1 (raw counts, PPMI).
    """

    window: int = 10
    symmetric: bool = True
    distance_weighting: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.window <= kernels.MAX_WINDOW:
            raise ConfigError(f"window must be in 1..{kernels.MAX_WINDOW} for co-occurrence counting")

    @classmethod
    def of(cls, config) -> CooccurrenceOptions:
        """The options of a GloVe or PPMI config (its ``window``, ``symmetric``, ``distance_weighting``)."""
        return cls(config.window, config.symmetric, config.distance_weighting)

    @staticmethod
    def counted_by(config) -> bool:
        """Whether training ``config`` counts co-occurrences (GloVe, PPMI)."""
        return all(hasattr(config, name) for name in ("window", "symmetric", "distance_weighting"))


@dataclass
class Cooccurrences:
    """A sparse co-occurrence matrix in coordinate form, sorted by (row, col).

    Attributes
    ----------
    rows, cols : ndarray, int32 (N,)
        Cell coordinates (vocabulary ids). With ``options.symmetric`` only ``rows <= cols`` is
        stored and ``X[j, i] = X[i, j]``.
    values : ndarray, float32 (N,)
        Weighted counts, all > 0.
    n_words : int
        Vocabulary size V; the matrix is V x V.
    options : CooccurrenceOptions
    from_cache : bool
        True when :func:`cooccurrences_for` found it in the cache.
    entry : Path or None
        The cache entry holding it (:func:`cooccurrences_for`), where other processes can load
        it; None when it is not cached.
    """

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    n_words: int
    options: CooccurrenceOptions
    from_cache: bool = False
    entry: Path | None = None

    @property
    def stored(self) -> int:
        """Cells stored (N)."""
        return int(self.values.shape[0])

    @property
    def nnz(self) -> int:
        """Nonzeros of the full V x V matrix (cooccur.c's record count)."""
        if not self.options.symmetric:
            return self.stored
        diagonal = int(np.count_nonzero(self.rows == self.cols))
        return 2 * self.stored - diagonal

    def to_csr(self):
        """The full matrix as ``scipy.sparse.csr_matrix`` (V, V), float32 (mirrored if symmetric)."""
        from scipy import sparse

        rows, cols, values = self.rows, self.cols, self.values
        if self.options.symmetric:
            off = rows != cols
            rows, cols = np.concatenate([rows, cols[off]]), np.concatenate([cols, rows[off]])
            values = np.concatenate([values, values[off]])
        return sparse.csr_matrix((values, (rows, cols)), shape=(self.n_words, self.n_words), dtype=np.float32)

    def save(self, directory: str | os.PathLike) -> None:
        """Write ``rows.npy``, ``cols.npy``, ``values.npy`` and ``meta.json`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name))
        write_meta(directory, self.n_words, self.options)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> Cooccurrences:
        """Open a matrix written by :meth:`save` or :func:`count_cooccurrences` (memory mapped)."""
        directory = Path(directory)
        meta = json.loads((directory / "meta.json").read_text())
        return cls(*CellSink.read(directory), meta["n_words"], CooccurrenceOptions(**meta["options"]))

    def save_npz(self, path: str | os.PathLike, words: list[str]) -> None:
        """Write the full matrix as a SciPy COO ``.npz`` (``scipy.sparse.load_npz`` reads it),
        with the vocabulary as an extra ``words`` array (atomic write)."""
        full = self.to_csr().tocoo()
        with atomic_writer(path, "wb") as fh:
            np.savez(
                fh,
                row=full.row,
                col=full.col,
                data=full.data,
                shape=np.array(full.shape),
                format=np.array("coo"),
                words=np.array(words),
            )


def write_meta(directory: Path, n_words: int, options: CooccurrenceOptions) -> None:
    """Write ``meta.json``: the vocabulary size and the options the matrix was counted with."""
    (directory / "meta.json").write_text(json.dumps({"n_words": n_words, "options": asdict(options)}))


@dataclass
class _MemoryPlan:
    dense_rows: int
    event_capacity: int
    run_cells_in_memory: int
    merge_cells: int

    @classmethod
    def for_budget(cls, memory_gib: float, n_words: int, window: int, longest_sentence: int) -> _MemoryPlan:
        if memory_gib < MIN_MEMORY_GIB:
            raise ConfigError(
                f"--memory must be at least {MIN_MEMORY_GIB:.3f} GiB ({MIN_MEMORY_GIB * 1024:g} MiB), "
                f"got {memory_gib:g} GiB"
            )
        budget = int(memory_gib * _GIB)
        quarter = budget // 4
        return cls(
            dense_rows=min(n_words, quarter // (8 * n_words)),
            event_capacity=max(budget // 8 // 8, 2 * window * longest_sentence + 1),
            run_cells_in_memory=quarter // _RUN_BYTES_PER_CELL,
            merge_cells=max(quarter // _MERGE_BYTES_PER_CELL, 1024),
        )


class _Runs:
    """Sorted (key, sum) runs, in memory up to a limit and spilled to ``directory`` beyond it."""

    def __init__(self, directory: Path, cells_in_memory: int):
        self.directory = directory
        self.cells_in_memory = cells_in_memory
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []
        self.held = 0
        self.spilled = 0

    def add(self, keys: np.ndarray, sums: np.ndarray) -> None:
        if self.held + keys.shape[0] <= self.cells_in_memory:
            self.runs.append((keys, sums))
            self.held += keys.shape[0]
            return
        stem = self.directory / f"run{self.spilled:05d}"
        np.save(f"{stem}-keys.npy", keys)
        np.save(f"{stem}-sums.npy", sums)
        self.runs.append((np.load(f"{stem}-keys.npy", mmap_mode="r"), np.load(f"{stem}-sums.npy", mmap_mode="r")))
        self.spilled += 1

    @property
    def cells(self) -> int:
        return sum(keys.shape[0] for keys, _ in self.runs)

    def merged_ranges(self, max_cells: int):
        """Yield (keys, sums) of the merged runs, key range by key range, ascending."""
        if not self.runs:
            return
        largest = max(self.runs, key=lambda run: run[0].shape[0])[0]
        n_ranges = max(1, -(-self.cells // max_cells))
        bounds = [largest[(largest.shape[0] * k) // n_ranges] for k in range(1, n_ranges)]
        edges = [np.uint64(0), *sorted(set(bounds)), None]
        for low, high in zip(edges[:-1], edges[1:]):
            parts = []
            for keys, sums in self.runs:
                a = int(np.searchsorted(keys, low, side="left"))
                b = keys.shape[0] if high is None else int(np.searchsorted(keys, high, side="left"))
                if b > a:
                    parts.append((np.asarray(keys[a:b]), np.asarray(sums[a:b])))
            if parts:
                yield merge_runs(parts)


def merge_runs(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One sorted run of (uint64 keys, float64 sums) from several, equal keys summed."""
    if len(parts) == 1:
        return parts[0]
    keys = np.concatenate([p[0] for p in parts])
    sums = np.concatenate([p[1] for p in parts])
    order = np.argsort(keys, kind="stable")  # timsort: merges the presorted runs
    return kernels.collapse_sorted(keys[order], sums[order], np.uint64(0), True)


class CellSink:
    """Appends (rows, cols, values) blocks to raw files in ``directory``, then turns them into
    ``rows.npy`` (int32), ``cols.npy`` (int32) and ``values.npy`` (float32) on :meth:`close`."""

    def __init__(self, directory: Path, values_dtype: type = np.float32):
        self.directory = directory
        self.dtypes = {**_DTYPES, "values": values_dtype}
        directory.mkdir(parents=True, exist_ok=True)
        self.files = {name: open(directory / f"{name}.raw", "wb") for name in _ARRAYS}
        self.count = 0

    def write(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        for name, array in zip(_ARRAYS, (rows, cols, values)):
            self.files[name].write(np.ascontiguousarray(array, dtype=self.dtypes[name]).tobytes())
        self.count += rows.shape[0]

    def close(self) -> None:
        for name, fh in self.files.items():
            fh.close()
            raw_to_npy(
                self.directory / f"{name}.raw", self.directory / f"{name}.npy", np.dtype(self.dtypes[name]), self.count
            )

    @staticmethod
    def read(directory: Path, mmap_mode: str | None = "r") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The (rows, cols, values) arrays a closed sink wrote, memory mapped by default."""
        return tuple(np.load(directory / f"{name}.npy", mmap_mode=mmap_mode) for name in _ARRAYS)


def count_cooccurrences(
    encoded: EncodedCorpus,
    n_words: int,
    options: CooccurrenceOptions | None = None,
    output_dir: str | os.PathLike | None = None,
    memory: float = DEFAULT_MEMORY_GIB,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> Cooccurrences:
    """Count the co-occurrence matrix of an encoded corpus within ``memory`` GiB.

    Parameters
    ----------
    encoded : EncodedCorpus
        Token ids (read block by block).
    n_words : int
        Vocabulary size V (ids are ``0 .. V-1``, most frequent first).
    options : CooccurrenceOptions, optional
        Window, symmetry, weighting (defaults: 10, symmetric, 1/d).
    output_dir : path, optional
        Directory that receives the result files and spilled runs. The result is memory mapped
        from there. If None, a private temporary directory under ``$TMPDIR`` is used and removed
        before this returns (the memory maps keep the data readable).
    memory : float
        Soft limit for the counting tables, GiB (default 4, like cooccur.c's ``-memory``).
    progress : bool
        Show a tqdm bar over the tokens.
    log : callable, optional
        Receives a one-line summary.

    Raises
    ------
    ConfigError
        If ``memory`` is below :data:`MIN_MEMORY_GIB`, ``window`` out of range, or V too large
        for 64-bit cell keys.
    CorpusError
        If no two in-vocabulary words share a window (nothing to count).
    """
    options = options or CooccurrenceOptions()
    if output_dir is None:
        with private_directory("embedkit-cooccur") as out:
            return count_cooccurrences(encoded, n_words, options, out, memory, progress, log)
    started = time.perf_counter()
    n_runs, n_spilled = count_into(encoded, n_words, options, Path(output_dir), memory, progress)
    result = refuse_empty(Cooccurrences.load(output_dir))
    if log:
        log(
            f"co-occurrences: {result.nnz:,} nonzeros ({result.stored:,} stored), {n_runs} "
            f"sorted run(s) of which {n_spilled} spilled to disk, {time.perf_counter() - started:.1f} s"
        )
    return result


def join_keys(rows: np.ndarray, cols: np.ndarray, n_words: int) -> np.ndarray:
    """uint64 cell keys ``row * V + col`` (the inverse of :func:`split_keys`)."""
    return rows.astype(np.uint64) * np.uint64(n_words) + cols.astype(np.uint64)


def split_keys(keys: np.ndarray, n_words: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns (int32) of uint64 cell keys ``row * V + col``."""
    v = np.uint64(n_words)
    return (keys // v).astype(np.int32), (keys % v).astype(np.int32)


def refuse_empty(result: Cooccurrences) -> Cooccurrences:
    """``result``, unless it has no cells (CorpusError: nothing to train on)."""
    if result.stored == 0:
        window = result.options.window
        raise CorpusError(f"no co-occurrences: no line has two in-vocabulary words within {window} tokens")
    return result


def count_into(
    encoded: EncodedCorpus,
    n_words: int,
    options: CooccurrenceOptions,
    out: Path,
    memory: float,
    progress: bool,
    values_dtype: type = np.float32,
) -> tuple[int, int]:
    """The work of :func:`count_cooccurrences`: the matrix of ``encoded`` into ``out`` (sorted
    ``rows``/``cols``/``values`` ``.npy`` and ``meta.json``; values ``values_dtype``, float64 for
    the parts of a cluster count that are summed again). Returns (runs, runs spilled); an empty
    matrix is not an error here.

    Raises
    ------
    ConfigError
        As :func:`count_cooccurrences`.
    """
    if n_words * n_words >= 1 << (64 - kernels.DISTANCE_BITS):
        raise ConfigError(f"vocabulary of {n_words:,} words is too large for co-occurrence counting; use --max-vocab")
    out.mkdir(parents=True, exist_ok=True)
    plan = _MemoryPlan.for_budget(memory, n_words, options.window, encoded.max_sentence_length)
    dense = np.zeros((plan.dense_rows, n_words), dtype=np.float64)
    events = np.empty(plan.event_capacity, dtype=np.uint64)
    spill_dir = Path(tempfile.mkdtemp(prefix="spill-", dir=out))
    runs = _Runs(spill_dir, plan.run_cells_in_memory)
    starts = encoded.sentence_starts
    weighted = options.distance_weighting
    counting = kernels.Counting(options.window, options.symmetric, weighted, n_words)
    buffers = kernels.Buffers(dense, events)
    check_inputs("count_sentences", counting, kernels.COUNTING_SPEC)
    check_inputs("count_sentences", buffers, kernels.BUFFERS_SPEC)
    n_events = 0
    try:
        with tqdm(total=encoded.n_tokens, unit="w", unit_scale=True, desc="cooccur", disable=not progress) as bar:
            block_starts = encoded.chunk_starts(_READ_TOKENS)
            for first, last in zip(block_starts[:-1], block_starts[1:]):
                base, stop = int(starts[first]), int(starts[last])
                text = kernels.Text(encoded.read_ids(base, stop), starts, base)
                check_inputs("count_sentences", text, kernels.TEXT_SPEC)
                sentence = int(first)
                while sentence < last:
                    sentence, n_events = kernels.count_sentences(text, counting, buffers, sentence, int(last), n_events)
                    if sentence < last:
                        runs.add(*_collapse_events(events[:n_events], weighted))
                        n_events = 0
                bar.update(stop - base)
                signals.check()  # a signal whose exception was swallowed (e.g. during compilation)
                bar.set_postfix(runs=len(runs.runs), spilled=runs.spilled, refresh=False)
        if n_events:
            runs.add(*_collapse_events(events[:n_events], weighted))
        n_runs, n_spilled = len(runs.runs), runs.spilled
        del events, buffers
        sink = CellSink(out, values_dtype)
        _write_dense(dense, sink, plan.merge_cells)
        del dense
        for keys, sums in runs.merged_ranges(plan.merge_cells):
            sink.write(*split_keys(keys, n_words), sums)
        sink.close()
        write_meta(out, n_words, options)
    finally:
        runs.runs.clear()
        shutil.rmtree(spill_dir, ignore_errors=True)
    return n_runs, n_spilled


def _collapse_events(events: np.ndarray, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    events.sort()
    return kernels.collapse_sorted(events, np.empty(0, np.float64), np.uint64(kernels.DISTANCE_BITS), weighted)


def _write_dense(dense: np.ndarray, sink: CellSink, max_cells: int) -> None:
    """Append the nonzero cells of the dense rows, row blocks of at most ``max_cells`` cells."""
    if dense.shape[0] == 0:
        return
    rows_per_block = max(1, max_cells // dense.shape[1])
    for r0 in range(0, dense.shape[0], rows_per_block):
        block = dense[r0 : r0 + rows_per_block]
        rows, cols = np.nonzero(block)
        sink.write(rows + r0, cols, block[rows, cols])


def cooccurrences_for(
    prepared: PreparedCorpus,
    options: CooccurrenceOptions,
    memory: float = DEFAULT_MEMORY_GIB,
    use_cache: bool = True,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    warn: Callable[[str], None] | None = None,
    cluster=None,
) -> Cooccurrences:
    """The co-occurrence matrix of a prepared corpus, counted once and cached beside it.

    The cache entry ``cooccur-<key>`` lives in the encoded corpus's cache entry, keyed by
    ``options`` and V, and follows the rules of :mod:`embedkit.cache` (manifest with sizes and
    CRC-32 of ``rows.npy``, ``cols.npy``, ``values.npy`` and ``meta.json``, coordinates checked to
    lie in ``[0, V)`` and values to be finite and positive; a damaged entry is rebuilt with one
    warning). Without a cache directory (``use_cache=False`` or an uncached corpus) the counts go
    to a private temporary directory that is removed before this returns (the result is memory
    mapped from the removed files).

    ``warn`` receives warning lines (default ``prepared.warn``, else ``log``, else standard error).
    With ``cluster`` (a ``distributed.Client``) a matrix not in the cache is counted on the
    cluster (:mod:`embedkit.sharded_cooccur`; ``memory`` is then each worker's budget) into the
    same entry; that needs the corpus in a cache entry the workers can read (ClusterError
    otherwise).
    """
    n_words = len(prepared.vocab)
    warn = warn or prepared.warn or log or stderr_warning
    inputs = {"format": FORMAT_VERSION, "options": asdict(options), "n_words": n_words}
    target = None
    if use_cache and prepared.directory is not None:
        target = prepared.directory / f"cooccur-{entry_key(inputs, 12)}"

    def build(work: Path) -> None:
        if cluster is None:
            count_cooccurrences(prepared.encoded, n_words, options, work, memory, progress, log)
            return
        from .sharded_cooccur import count_on_cluster

        count_on_cluster(cluster, prepared, options, work, memory, log or (lambda message: None))
        refuse_empty(Cooccurrences.load(work))

    def open_entry(directory: Path, manifest: Manifest | None) -> Cooccurrences:
        if manifest is not None:
            meta = json.loads(manifest.verify("meta.json")[0].read_text(encoding="utf-8"))
            if meta != {"n_words": n_words, "options": asdict(options)}:
                raise ValueError("meta.json: written for another vocabulary or options")
            lengths = {
                manifest.verify(
                    f"{name}.npy", _DTYPES[name], None if name == "values" else n_words, positive=name == "values"
                )[1]
                for name in _ARRAYS
            }
            if len(lengths) != 1:
                raise ValueError("rows.npy, cols.npy and values.npy differ in length")
        return Cooccurrences(*CellSink.read(directory), n_words, options)

    result, _, from_cache = load_or_build(
        target, "co-occurrences", inputs, build, open_entry, log or (lambda message: None), warn
    )
    result.from_cache = from_cache
    result.entry = target if target is not None and (target / "meta.json").is_file() else None
    return result
