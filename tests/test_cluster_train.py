"""Data-parallel word2vec on a Dask cluster (embedkit.models.word2vec_cluster).

In-process ``LocalCluster(processes=False)`` clusters for the arithmetic (fast); worker processes
(``--cluster local:N``) for the command line and for a worker killed mid-run.
"""

from __future__ import annotations

import os
import pickle
import signal

import numpy as np
import pytest

from badinput import assert_clean_error, cli_run
from embedkit.config import GloveConfig, Word2VecConfig
from embedkit.datasets import dataset_path
from embedkit.encode import EncodedCorpus, prepare_corpus
from embedkit.errors import ClusterError, ConfigError
from embedkit.evaluate import evaluate_analogy, evaluate_similarity
from embedkit.models._glove_kernels import Cells
from embedkit.models.glove import GloveState, train_glove
from embedkit.models.glove_cluster import stratum_cells, stratum_sizes
from embedkit.models.replicas import combine, tier_size
from embedkit.models.word2vec import Word2VecState, _Run, train_word2vec
from embedkit.models.word2vec_cluster import scaled_trainer
from embedkit.vectors import Embeddings

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

VARIANTS = [("skipgram", "ns"), ("cbow", "ns"), ("skipgram", "hs"), ("cbow", "hs")]


def _in_process_client(workers: int):
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=":0")
    return cluster, distributed.Client(cluster)


@pytest.fixture(scope="module")
def one_worker():
    cluster, client = _in_process_client(1)
    with cluster, client:
        yield client


@pytest.fixture(scope="module")
def two_workers():
    cluster, client = _in_process_client(2)
    with cluster, client:
        yield client


@pytest.fixture
def prepared(small_corpus, tmp_path):
    return prepare_corpus([small_corpus], cache_dir=tmp_path / "cache")


def test_tiers_double_with_the_trailing_zeros_of_the_round():
    assert [tier_size(r, 10**6) for r in range(1, 9)] == [1024, 2048, 1024, 4096, 1024, 2048, 1024, 8192]
    assert tier_size(1 << 20, 5000) == 5000 and tier_size(3, 100) == 100


def test_replicas_changes_are_averaged_one_is_taken_exactly():
    rng = np.random.default_rng(0)
    base = rng.random((6, 3), dtype=np.float32)
    replicas = [base[:4] + rng.standard_normal((4, 3), dtype=np.float32) for _ in range(3)]
    expected = base[:4] + sum(r - base[:4] for r in replicas) / 3
    untouched = base[4:].copy()
    combined = combine(base, [r.copy() for r in replicas], slice(0, 4))
    np.testing.assert_allclose(combined, expected, rtol=1e-5)
    np.testing.assert_array_equal(base[:4], combined)  # the client's copy is the combined one
    np.testing.assert_array_equal(base[4:], untouched)
    alone = base[:4] + np.float32(0.1)
    np.testing.assert_array_equal(combine(base.copy(), [alone], slice(0, 4)), alone)  # exact


def test_word2vec_replicas_train_at_n_times_the_learning_rate(prepared):
    config = Word2VecConfig(dim=16, epochs=1, threads=1, chunk_words=500)
    trainer = _Run(prepared, config, Word2VecState.initial(prepared, config), False, None, None).trainer
    scaled = scaled_trainer(trainer, 3)
    assert scaled.schedule.alpha == pytest.approx(3 * trainer.schedule.alpha)
    assert scaled.schedule.min_alpha == pytest.approx(3 * trainer.schedule.min_alpha)
    assert scaled_trainer(trainer, 1).schedule == trainer.schedule  # one worker: the one-process run
    assert scaled.learning_rate(0, 1) == pytest.approx(3 * trainer.learning_rate(0, 1))


@pytest.mark.parametrize("architecture,loss", VARIANTS)
def test_one_worker_reproduces_the_one_thread_run_bit_for_bit(prepared, one_worker, architecture, loss):
    config = Word2VecConfig(architecture=architecture, loss=loss, dim=16, epochs=2, threads=1, chunk_words=500)
    alone, report = train_word2vec(prepared, config, progress=False)
    lines: list[str] = []
    spread, cluster_report = train_word2vec(
        prepared, config, progress=False, log=lines.append, cluster=one_worker, sync_words=1500
    )
    np.testing.assert_array_equal(alone.vectors, spread.vectors)
    assert cluster_report.epoch_losses == report.epoch_losses
    assert "round(s) on 1 workers" in lines[0] and "MiB synchronised" in lines[0]


def test_two_workers_split_the_rounds_and_still_learn(prepared, two_workers):
    config = Word2VecConfig(dim=16, epochs=4, chunk_words=500)
    lines: list[str] = []
    embeddings, report = train_word2vec(
        prepared, config, progress=False, log=lines.append, cluster=two_workers, sync_words=1000
    )
    n_chunks = len(prepared.encoded.chunk_starts(500)) - 1
    assert f"{-(-n_chunks // 4)} round(s) on 2 workers" in lines[0]  # 2 chunks per worker per round
    assert report.epoch_losses[-1] < report.epoch_losses[0]
    assert report.examples > 0 and np.isfinite(embeddings.vectors).all()


def test_checkpoints_on_a_cluster_are_offered_at_epoch_ends_only(prepared, two_workers):
    calls = []

    def checkpoint(state, epoch_end):
        calls.append((state.epoch, state.next_chunk, epoch_end))

    config = Word2VecConfig(dim=8, epochs=2, chunk_words=500)
    train_word2vec(prepared, config, progress=False, checkpoint=checkpoint, cluster=two_workers, sync_words=1000)
    assert calls == [(1, 0, True), (2, 0, True)]


def test_a_run_resumed_on_one_worker_equals_the_uninterrupted_one(prepared, one_worker):
    """The state a cluster checkpoint saves (after epoch 1) continues to the same vectors."""
    config = Word2VecConfig(dim=8, epochs=3, threads=1, chunk_words=500)
    saved = []

    def checkpoint(state, epoch_end):
        if state.epoch == 1:
            saved.append(pickle.dumps(state))

    whole, _ = train_word2vec(prepared, config, progress=False, checkpoint=checkpoint, cluster=one_worker)
    resumed, _ = train_word2vec(prepared, config, progress=False, state=pickle.loads(saved[0]), cluster=one_worker)
    np.testing.assert_array_equal(whole.vectors, resumed.vectors)


def test_subword_models_are_refused_on_a_cluster(prepared, one_worker):
    with pytest.raises(ConfigError, match="--cluster does not train subword models"):
        train_word2vec(prepared, Word2VecConfig(dim=8, maxn=5), progress=False, cluster=one_worker)


def test_an_encoded_corpus_pickles_as_its_current_path_or_its_ids(tmp_path):
    ids = np.arange(10, dtype=np.int32)
    np.save(tmp_path / "ids.npy", ids)
    starts = np.array([0, 4, 10])
    encoded = EncodedCorpus(tmp_path / "ids.npy", starts)
    os.rename(tmp_path / "ids.npy", tmp_path / "moved.npy")  # a cache entry renamed into place
    state = encoded.__getstate__()
    assert state["ids"] == str(tmp_path / "moved.npy")
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(encoded)).read_ids(0, 10), ids)
    os.unlink(tmp_path / "moved.npy")  # a private entry, removed: the ids travel themselves
    copy = pickle.loads(pickle.dumps(encoded))
    np.testing.assert_array_equal(copy.read_ids(2, 7), ids[2:7])
    np.testing.assert_array_equal(copy.sentence_starts, starts)


@pytest.mark.realdata
def test_two_workers_keep_the_one_process_quality_on_wikipedia(wiki_slice, tmp_path, two_workers):
    """The floors of test_training's SGNS quality test, on 2 workers synchronising every 100k words."""
    prepared = prepare_corpus([wiki_slice], cache_dir=tmp_path / "cache")
    config = Word2VecConfig(epochs=5, seed=11, threads=1)
    embeddings, _ = train_word2vec(prepared, config, progress=False, cluster=two_workers, sync_words=100_000)
    similarity = evaluate_similarity(embeddings, dataset_path("wordsim353")[1])
    analogy = evaluate_analogy(embeddings, dataset_path("google-analogy")[1])
    assert similarity.spearman > 0.26
    assert analogy.accuracy > 0.025
    assert dict(embeddings.most_similar(["france"], topn=10)).keys() & {"germany", "italy", "spain", "england"}


@pytest.mark.slow
def test_train_on_worker_processes_from_the_command_line(small_corpus, tmp_path):
    out = tmp_path / "vectors.bin"
    result = cli_run(
        *("train", "--model", "sgns", "--dim", "8", "--epochs", "2", "--cluster", "local:2", "--sync-words", "2000"),
        *("--cache-dir", tmp_path / "cache", "-o", out, small_corpus),
    )
    assert result.exit_code == 0, result.output
    assert "round(s) on 2 workers" in result.output
    assert len(Embeddings.load(out)) > 100


@pytest.mark.slow
def test_a_killed_worker_stops_the_run_with_one_line(small_corpus, tmp_path):
    from embedkit.cluster import ClusterSpec, open_cluster

    prepared = prepare_corpus([small_corpus], cache_dir=tmp_path / "cache")
    config = Word2VecConfig(dim=8, epochs=3, chunk_words=500)
    with open_cluster(ClusterSpec(workers=2)) as client:
        victim = next(iter(client.run(os.getpid).values()))

        def kill_after_the_first_epoch(line):
            os.kill(victim, signal.SIGKILL)

        with pytest.raises(ClusterError, match="epoch 2") as caught:
            train_word2vec(
                prepared, config, progress=False, log=kill_after_the_first_epoch, cluster=client, sync_words=1000
            )
    assert "\n" not in str(caught.value)


def test_sync_words_below_a_thousand_is_a_usage_error(small_corpus, tmp_path):
    result = cli_run("train", "--cluster", "local:1", "--sync-words", "10", "-o", tmp_path / "v.bin", small_corpus)
    assert_clean_error(result, 2, "--sync-words")
    assert not (tmp_path / "v.bin").exists()


def test_glove_on_one_worker_reproduces_the_one_thread_run_bit_for_bit(prepared, one_worker):
    config = GloveConfig(dim=8, epochs=3, threads=1, x_max=10)
    alone, report = train_glove(prepared, config, progress=False)
    lines: list[str] = []
    spread, cluster_report = train_glove(prepared, config, progress=False, log=lines.append, cluster=one_worker)
    np.testing.assert_array_equal(alone.vectors, spread.vectors)
    assert cluster_report.epoch_losses == report.epoch_losses
    assert any("round(s) on 1 workers" in line for line in lines)


def test_glove_on_two_workers_learns(prepared, two_workers):
    config = GloveConfig(dim=8, epochs=5, x_max=10)
    embeddings, report = train_glove(prepared, config, progress=False, cluster=two_workers)
    assert report.epoch_losses[-1] < 0.8 * report.epoch_losses[0]
    assert np.isfinite(embeddings.vectors).all()


@pytest.mark.parametrize("symmetric", [True, False])
def test_glove_strata_cover_every_cell_once_in_each_direction_it_trains(symmetric):
    """DSGD's strata: worker w, offset o holds the cells with row in block w and column in block
    (w + o) mod N; together they are every cell (a symmetric pair split across blocks once in
    each direction, a pair inside a block once, trained both ways), and stratum_sizes counts them."""
    rng = np.random.default_rng(3)
    n_words, n, seed = 40, 3, 11
    pairs = {(int(a), int(b)) for a, b in rng.integers(0, n_words, size=(300, 2))}
    if symmetric:
        pairs = {(min(a, b), max(a, b)) for a, b in pairs}
    rows, cols = (np.array(x, dtype=np.int32) for x in zip(*sorted(pairs)))
    values = rng.random(rows.shape[0], dtype=np.float32) + 1
    expected = {(a, b, v) for a, b, v in zip(rows.tolist(), cols.tolist(), values.tolist())}
    if symmetric:
        expected |= {(b, a, v) for a, b, v in expected if a % n != b % n}
    sizes = stratum_sizes(rows, cols, n, symmetric)
    seen = []
    for w in range(n):
        strata = stratum_cells(Cells(rows, cols, values), n, w, symmetric, seed)
        for o, stratum in enumerate(strata):
            assert (stratum.rows % n == w).all() and (stratum.cols % n == (w + o) % n).all()
            assert len(stratum.values) == sizes[w, o]
            seen += list(zip(stratum.rows.tolist(), stratum.cols.tolist(), stratum.values.tolist()))
    assert len(seen) == len(expected) and set(seen) == expected


def test_glove_on_two_workers_is_reproducible_and_resumes_exactly(prepared, two_workers):
    """Two workers with a fixed seed give the same vectors twice, and a run resumed from its
    iteration-1 checkpoint ends where the uninterrupted one does (DSGD's updates do not depend
    on timing)."""
    config = GloveConfig(dim=8, epochs=3, threads=1, x_max=10)
    saved: list[bytes] = []

    def checkpoint(state, epoch_end):
        if state.epoch == 1:
            saved.append(pickle.dumps(state))

    lines: list[str] = []
    whole, report = train_glove(
        prepared, config, progress=False, log=lines.append, checkpoint=checkpoint, cluster=two_workers
    )
    again, _ = train_glove(prepared, config, progress=False, cluster=two_workers)
    resumed, _ = train_glove(prepared, config, progress=False, state=pickle.loads(saved[0]), cluster=two_workers)
    np.testing.assert_array_equal(whole.vectors, again.vectors)
    np.testing.assert_array_equal(whole.vectors, resumed.vectors)
    assert "round(s) on 2 workers" in lines[-1] and "MiB synchronised (blocks of C passed on" in lines[-1]


def test_a_mid_iteration_checkpoint_of_one_process_is_not_resumed_on_a_cluster(prepared, two_workers):
    config = GloveConfig(dim=8, epochs=2, threads=1)
    state = GloveState.initial(prepared, config)
    state.next_block = 3
    with pytest.raises(ConfigError, match="resume it without --cluster"):
        train_glove(prepared, config, progress=False, state=state, cluster=two_workers)


def test_glove_cells_beyond_the_memory_budget_are_refused_on_a_cluster(prepared, two_workers, monkeypatch):
    from embedkit.models import glove

    monkeypatch.setattr(glove, "_BYTES_PER_CELL", 1 << 30)  # no cell fits
    with pytest.raises(ConfigError, match="on a cluster every worker holds them in memory"):
        train_glove(prepared, GloveConfig(dim=8, epochs=1), progress=False, cluster=two_workers)


@pytest.mark.slow
def test_a_subword_model_on_a_cluster_is_one_line_and_writes_nothing(small_corpus, tmp_path):
    out = tmp_path / "vectors.bin"
    result = cli_run("train", "--model", "fasttext", "--cluster", "local:1", "-o", out, small_corpus)
    assert_clean_error(result, 1, "--cluster does not train subword models")
    assert not out.exists() and not list(tmp_path.glob("vectors*"))
