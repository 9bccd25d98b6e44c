"""The corpus pass on a Dask cluster equals the one-process pass, file for file (issue 12).

Most tests use an in-process ``LocalCluster(processes=False)`` (fast; it sees the test's
monkeypatched shard sizes); one runs ``embedkit vocab --cluster local:2`` with worker processes.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import numpy as np
import pytest

from badinput import assert_clean_error, cli_run
from embedkit import cluster as cluster_module
from embedkit import corpus as corpus_module
from embedkit import sharded, sharded_cooccur
from embedkit.cluster import ClusterSpec, check_workers_see, open_cluster
from embedkit.cooccur import MIN_MEMORY_GIB, CooccurrenceOptions, cooccurrences_for
from embedkit.corpus import Corpus, CorpusOptions, CorpusStats, plan_shards
from embedkit.encode import prepare_corpus
from embedkit.errors import ClusterError, CorpusError
from embedkit.vocab import VocabOptions, Vocabulary

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


@pytest.fixture
def small_shards(monkeypatch):
    """Shards of a few hundred bytes, so a small file is cut into many byte ranges."""
    monkeypatch.setattr(corpus_module, "MIN_SHARD_BYTES", 1)
    monkeypatch.setattr(sharded, "MAX_SHARD_BYTES", 700)


def _messy_text(seed: int, n_lines: int) -> bytes:
    """Lines of Zipf-ish words with what the reader must handle: empty and blank lines, long
    lines (split at max_sentence_length), invalid UTF-8, non-ASCII words."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(60)] + ["été", "naïve", "東京"]
    lines = []
    for i in range(n_lines):
        n = rng.choice([0, 1, 3, 8, 15, 40])
        line = " ".join(words[min(int(rng.paretovariate(1.2)) - 1, len(words) - 1)] for _ in range(n))
        lines.append(line.encode("utf-8") + (b" bad\xff\xfe" if i % 97 == 5 else b""))
    return b"\n".join(lines)


@pytest.fixture
def messy_corpus(tmp_path) -> list[Path]:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_bytes(b"\xef\xbb\xbf" + _messy_text(1, 900) + b"\n")
    (root / "b.txt").write_bytes(_messy_text(2, 700))  # no newline at the end
    with gzip.open(root / "c.txt.gz", "wb") as fh:
        fh.write(_messy_text(3, 400))
    (root / "d.txt").write_bytes(b"\n\n   \n")
    (root / "e.txt").write_bytes(b"")
    (root / "f.txt").write_bytes(_messy_text(4, 300).replace(b"\n", b"\r\n"))  # CRLF line ends
    return [root]


OPTIONS = (CorpusOptions(max_sentence_length=10), VocabOptions(min_count=3))
CACHE = "EMBEDKIT_CACHE_DIR"


def _files(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in ("ids.npy", "sentence_starts.npy", "vocab.txt")}


def test_the_cluster_pass_writes_the_serial_entry_byte_for_byte(client, small_shards, messy_corpus, tmp_path):
    serial = prepare_corpus(messy_corpus, *OPTIONS, cache_dir=tmp_path / "serial")
    shards = plan_shards(Corpus(messy_corpus).files, 700)
    assert len(shards) > 10 and any(s.start > 0 for s in shards)  # really cut into byte ranges
    spread = prepare_corpus(messy_corpus, *OPTIONS, cache_dir=tmp_path / "cluster", cluster=client)
    assert spread.vocab.words == serial.vocab.words
    np.testing.assert_array_equal(spread.vocab.counts, serial.vocab.counts)
    assert _files(spread.directory) == _files(serial.directory)
    assert spread.stats == serial.stats
    assert serial.stats["split_lines"] > 0 and serial.stats["invalid_utf8_lines"] > 0
    assert not list(spread.directory.glob("shard-*"))  # the shards' provisional ids are gone


def test_count_words_equals_vocabulary_build(client, small_shards, messy_corpus):
    serial_corpus, spread_corpus = Corpus(messy_corpus, OPTIONS[0]), Corpus(messy_corpus, OPTIONS[0])
    serial = Vocabulary.build(serial_corpus, OPTIONS[1])
    spread = sharded.count_words(client, spread_corpus, OPTIONS[1])
    assert spread.words == serial.words and spread.counts.tolist() == serial.counts.tolist()
    assert spread_corpus.stats == serial_corpus.stats


@pytest.mark.parametrize(
    "options",
    [CooccurrenceOptions(window=4), CooccurrenceOptions(window=3, symmetric=False, distance_weighting=False)],
    ids=["symmetric-weighted", "asymmetric-counts"],
)
def test_cluster_cooccurrences_equal_the_serial_matrix_cell_for_cell(
    client, messy_corpus, tmp_path, monkeypatch, options
):
    monkeypatch.setattr(sharded_cooccur, "PARTS_PER_WORKER", 3)  # 6 parts of the sentences
    serial_corpus = prepare_corpus(messy_corpus, *OPTIONS, cache_dir=tmp_path / "serial")
    spread_corpus = prepare_corpus(messy_corpus, *OPTIONS, cache_dir=tmp_path / "cluster")
    serial = cooccurrences_for(serial_corpus, options, memory=MIN_MEMORY_GIB)
    # 4 row ranges per worker
    spread = cooccurrences_for(spread_corpus, options, memory=MIN_MEMORY_GIB, cluster=client)
    assert spread.stored == serial.stored > 300
    for name in ("rows", "cols", "values"):
        np.testing.assert_array_equal(getattr(spread, name), getattr(serial, name))
    assert spread.values.dtype == np.float32
    entry = next(spread_corpus.directory.glob("cooccur-*"))
    assert not list(entry.glob("part-*")) and not list(entry.glob("rows-*"))
    again = cooccurrences_for(spread_corpus, options, memory=MIN_MEMORY_GIB, cluster=client)
    assert again.from_cache  # the same cache entry as the serial count


def test_cluster_cooccurrences_need_the_cached_corpus(client, messy_corpus):
    prepared = prepare_corpus(messy_corpus, *OPTIONS, use_cache=False)
    with pytest.raises(ClusterError, match="drop --no-cache"):
        cooccurrences_for(prepared, CooccurrenceOptions(), cluster=client)


@pytest.mark.parametrize("seed", range(5))
def test_shards_cover_each_file_in_whole_lines(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    path = tmp_path / "f.txt"
    data = bytes(rng.choice(b"ab \n") for _ in range(rng.randint(0, 3000)))
    path.write_bytes(data)
    monkeypatch.setattr(corpus_module, "MIN_SHARD_BYTES", 1)
    shards = plan_shards([path], rng.randint(1, 400))
    ends = [s.stop if s.stop is not None else len(data) for s in shards]
    assert [s.start for s in shards] == [0, *ends[:-1]] and ends[-1] == len(data)
    assert all(s.start == 0 or data[s.start - 1 : s.start] == b"\n" for s in shards)
    stats = CorpusStats()
    pieces = [t for s in shards for t in Corpus([path]).sentences(s, stats)]
    assert pieces == list(Corpus([path]))


@pytest.mark.parametrize(
    "bad,fragment",
    [(b"ok line\nbad \xff here\n", "invalid UTF-8"), (b"ok line\nnul \x00 here\n", "looks like a binary file")],
)
def test_an_error_in_a_later_shard_reads_as_the_serial_one(client, small_shards, tmp_path, bad, fragment):
    path = tmp_path / "c.txt"
    path.write_bytes(b"first line of words\n" * 200 + bad + b"more words\n" * 50)
    options = CorpusOptions(encoding_errors="strict")
    with pytest.raises(CorpusError) as serial:
        Vocabulary.build(Corpus([path], options))
    with pytest.raises(CorpusError) as spread:
        sharded.count_words(client, Corpus([path], options), VocabOptions())
    assert str(spread.value) == str(serial.value) and fragment in str(serial.value)
    assert f"{path}:202:" in str(serial.value)  # line numbers count from the start of the file


def test_a_worker_that_cannot_read_the_data_is_named(client, tmp_path):
    with pytest.raises(ClusterError, match="cannot read .*missing.txt.*storage every worker sees"):
        check_workers_see(client, [tmp_path / "missing.txt"])


def test_workers_with_another_embedkit_are_refused(client, monkeypatch):
    monkeypatch.setattr(cluster_module, "_embedkit_version", lambda: "0.0.0")
    with pytest.raises(ClusterError, match=r"runs embedkit 0\.0\.0, this client .*: install one"):
        with open_cluster(ClusterSpec(address=client.scheduler.address)):
            pass


def test_a_local_cluster_starts_its_workers_without_the_profiler():
    import dask

    with open_cluster(ClusterSpec(workers=1)) as client:
        seen = client.run(dask.config.get, "distributed.worker.profile.enabled")
    assert list(seen.values()) == [False]
    assert dask.config.get("distributed.worker.profile.enabled")  # this process's setting is back


def test_cluster_specs():
    assert ClusterSpec.parse("local:3") == ClusterSpec(workers=3)
    assert ClusterSpec.parse("tcp://10.0.0.1:8786") == ClusterSpec(address="tcp://10.0.0.1:8786")
    assert ClusterSpec.parse("local").workers >= 1
    for bad in ("local:0", "locals", "10.0.0.1:8786", "tcp://"):
        with pytest.raises(ClusterError):
            ClusterSpec.parse(bad)


def test_bad_cluster_options_are_one_line_errors(tmp_path, monkeypatch):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n" * 10)
    out = tmp_path / "v.txt"
    assert_clean_error(cli_run("vocab", corpus, "-o", out, "--cluster", "nowhere"), 2, "give local, local:N")
    monkeypatch.setattr(cluster_module, "CONNECT_TIMEOUT_S", 2)
    outcome = cli_run("vocab", corpus, "-o", out, "--cluster", "tcp://127.0.0.1:9")
    assert_clean_error(outcome, 1, "cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)  # as if the extra were missing
    assert_clean_error(cli_run("train", corpus, "-o", out, "--cluster", "local:1"), 1, "pip install 'embedkit[dask]'")
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("command,name", [("vocab", "v.txt"), ("cooccur", "x.npz")])
def test_commands_on_local_worker_processes_equal_the_serial_ones(messy_corpus, tmp_path, command, name):
    serial, spread = tmp_path / "serial", tmp_path / "spread"
    for out in (serial, spread):
        out.mkdir()

    def run(out, *more):  # each in its own cache, so the second does not find the first's entry
        return cli_run(command, *messy_corpus, "-o", out / name, "--min-count", "2", *more, env={CACHE: str(out)})

    assert run(serial).exit_code == 0
    outcome = run(spread, "--cluster", "local:2")
    assert outcome.exit_code == 0, outcome.output
    assert (spread / name).read_bytes() == (serial / name).read_bytes()


@pytest.mark.slow
def test_glove_on_a_cluster_counts_there_and_trains_from_the_cache(messy_corpus, tmp_path):
    args = ["train", "--model", "glove", *messy_corpus, "--min-count", "2", "--dim", "8", "--iter", "2"]
    outcome = cli_run(*args, "-o", tmp_path / "g.bin", "--cluster", "local:1", "--threads", "1")
    assert outcome.exit_code == 0, outcome.output
    assert "cluster co-occurrences" in outcome.output and "counting 0.0 s" in outcome.output
