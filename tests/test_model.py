"""Models: save, load, checkpoints and resume (bit-identical with one thread), and their bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from badinput import assert_clean_error, cli_run, subprocess_run, unchanged
from conftest import enwiki_lines
from embedkit.config import GloveConfig, Word2VecConfig
from embedkit.corpus import CorpusOptions
from embedkit.encode import prepare_corpus
from embedkit.errors import ModelError
from embedkit.model import Checkpointer, Model, parse_every
from embedkit.vectors import Embeddings
from embedkit.vocab import VocabOptions

CONFIGS = {
    "sgns": Word2VecConfig(dim=8, epochs=3, threads=1, chunk_words=1000),
    "cbow": Word2VecConfig(architecture="cbow", dim=8, epochs=3, threads=1, chunk_words=1000),
    "sg-hs": Word2VecConfig(loss="hs", dim=8, epochs=3, threads=1, chunk_words=1000),
    "glove": GloveConfig(dim=8, epochs=4, window=5, threads=1),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.txt"
    path.write_text("".join(enwiki_lines(400)))
    return path


@pytest.fixture
def prepared(tiny):
    return prepare_corpus([tiny])


class _Stop(Exception):
    pass


def _interrupted(prepared, config, directory: Path, after_calls: int) -> None:
    """Train until the ``after_calls``-th kernel call, save the model there, and stop."""
    model = Model.start(prepared, config, CorpusOptions(), VocabOptions())
    calls = []

    def checkpoint(state, epoch_end):
        calls.append(epoch_end)
        if len(calls) == after_calls:
            model.save(directory)
            raise _Stop

    with pytest.raises(_Stop):
        model.train(prepared, progress=False, checkpoint=checkpoint)
    return calls[-1]


@pytest.mark.parametrize("name", list(CONFIGS))
@pytest.mark.parametrize("after_calls", [2, 5])
def test_resume_is_bit_identical_to_an_uninterrupted_run(prepared, tmp_path, name, after_calls):
    config = CONFIGS[name]
    reference, _ = Model.start(prepared, config, CorpusOptions(), VocabOptions()).train(prepared, progress=False)
    _interrupted(prepared, config, tmp_path / "model", after_calls)
    resumed = Model.load(tmp_path / "model")
    assert resumed.state.epoch < config.epochs
    vectors, report = resumed.train(prepared, progress=False)
    np.testing.assert_array_equal(vectors.vectors, reference.vectors)
    assert len(report.epoch_losses) == config.epochs


def test_an_epoch_boundary_checkpoint_resumes_identically(prepared, tmp_path):
    config = CONFIGS["sgns"]
    reference, _ = Model.start(prepared, config, CorpusOptions(), VocabOptions()).train(prepared, progress=False)
    model = Model.start(prepared, config, CorpusOptions(), VocabOptions())
    model.train(prepared, progress=False, checkpoint=Checkpointer(model, tmp_path / "m", epochs=1))
    snapshot = Model.load(tmp_path / "m")
    assert snapshot.state.epoch == 2 and snapshot.state.next_chunk == 0  # the last checkpoint: after epoch 2
    vectors, _ = snapshot.train(prepared, progress=False)
    np.testing.assert_array_equal(vectors.vectors, reference.vectors)


def test_glove_resume_keeps_the_adagrad_state(prepared, tmp_path):
    """GloVe #170: resuming without the squared-gradient sums made the cost jump; ours continues."""
    config = GloveConfig(dim=8, epochs=6, window=5, threads=1)
    _, full = Model.start(prepared, config, CorpusOptions(), VocabOptions()).train(prepared, progress=False)
    model = Model.start(prepared, config, CorpusOptions(), VocabOptions())
    model.train(prepared, progress=False, checkpoint=Checkpointer(model, tmp_path / "m", epochs=3))
    resumed = Model.load(tmp_path / "m")
    assert resumed.state.epoch == 3 and not np.all(resumed.state.W[:, config.dim + 1 :] == 1.0)
    _, report = resumed.train(prepared, progress=False)
    assert report.epoch_losses[3] == pytest.approx(full.epoch_losses[3], rel=0.05)
    fresh = Model.load(tmp_path / "m")
    fresh.state.W[:, config.dim + 1 :] = 1.0  # what glove.c's saved parameters lose
    fresh.state.C[:, config.dim + 1 :] = 1.0
    _, lost = fresh.train(prepared, progress=False)
    assert lost.epoch_losses[3] > 1.05 * full.epoch_losses[3]


def test_save_load_round_trip_and_embeddings(prepared, tmp_path):
    model = Model.start(prepared, CONFIGS["sgns"], CorpusOptions(), VocabOptions())
    model.train(prepared, progress=False)
    model.save(tmp_path / "m")
    model.save(tmp_path / "m")  # a second snapshot replaces the first
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["CURRENT", "snapshot-000002"]
    loaded = Model.load(tmp_path / "m")
    assert loaded.finished and loaded.vocab.words == prepared.vocab.words
    np.testing.assert_array_equal(loaded.embeddings("input").vectors, model.state.syn0)
    np.testing.assert_array_equal(loaded.embeddings("sum").vectors, model.state.syn0 + model.state.syn1)
    assert loaded.embeddings("concat").dim == 16


@pytest.mark.parametrize("text,expected", [("2", (2, None)), ("30m", (None, 1800.0)), ("0.5m", (None, 30.0))])
def test_checkpoint_intervals(text, expected):
    assert parse_every(text) == expected


# ----------------------------------------------------------------------------- the command line


def _train_cli(tmp_path, corpus, *args, env=None):
    return cli_run("train", corpus, "--dim", "8", "--threads", "1", "-q", *args, env=env)


@pytest.mark.slow
def test_kill_9_mid_epoch_then_resume_gives_the_uninterrupted_vectors(tmp_path):
    corpus = tmp_path / "wiki.txt"
    corpus.write_text("".join(enwiki_lines(6000)))
    common = ["train", corpus, "--dim", "10", "--epochs", "40", "--threads", "1", "--seed", "1"]
    done = subprocess_run(*common, "-q", "-o", tmp_path / "reference.bin", cwd=tmp_path)
    assert done.exit_code == 0, done.output
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "embedkit",
                *map(str, common),
                "-o",
                tmp_path / "out.bin",
                "--save-model",
                tmp_path / "model",
                "--checkpoint-every",
                "0.01m",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        deadline = time.monotonic() + 120
        while "checkpoint:" not in log.read_text() or "+" not in log.read_text().split("checkpoint:")[-1]:
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL and not (tmp_path / "out.bin").exists()
    info = subprocess_run("info", tmp_path / "model", cwd=tmp_path)
    assert info.exit_code == 0 and "chunks)" in info.output and "finished" not in info.output
    resumed = subprocess_run(
        "train", "--resume", tmp_path / "model", corpus, "-o", tmp_path / "out.bin", "-q", cwd=tmp_path
    )
    assert resumed.exit_code == 0, resumed.output
    np.testing.assert_array_equal(
        Embeddings.load(tmp_path / "out.bin").vectors, Embeddings.load(tmp_path / "reference.bin").vectors
    )
    assert Model.load(tmp_path / "model").finished


def test_save_model_then_info(tmp_path, tiny):
    outcome = _train_cli(
        tmp_path,
        tiny,
        "--epochs",
        "2",
        "-o",
        tmp_path / "v.bin",
        "--save-model",
        tmp_path / "m",
        "--checkpoint-every",
        "1",
    )
    assert outcome.exit_code == 0 and "model in" in outcome.output, outcome.output
    info = cli_run("info", tmp_path / "m")
    assert info.exit_code == 0 and "sgns (word2vec)" in info.output and "epoch 2 of 2, finished" in info.output


@pytest.fixture
def saved(tmp_path, tiny):
    """A model interrupted after its first epoch, and the corpus it was trained on."""
    outcome = _train_cli(tmp_path, tiny, "--epochs", "1", "-o", tmp_path / "v.bin", "--save-model", tmp_path / "m")
    assert outcome.exit_code == 0, outcome.output
    meta = next((tmp_path / "m").glob("snapshot-*")) / "model.json"
    body = json.loads(meta.read_text())
    body["config"]["epochs"], body["state"]["epoch"] = 3, 1
    meta.write_text(json.dumps(body))
    return tmp_path / "m", tiny


def _snapshot(model_dir: Path) -> Path:
    return next(model_dir.glob("snapshot-*"))


DAMAGE = {
    "flipped-weights": (lambda m: _flip(_snapshot(m) / "syn0.npy"), "syn0.npy was changed or damaged"),
    "truncated-weights": (lambda m: _truncate(_snapshot(m) / "syn1.npy"), "damaged"),
    "missing-weights": (lambda m: (_snapshot(m) / "syn0.npy").unlink(), "damaged or incomplete"),
    "edited-vocab": (lambda m: _flip(_snapshot(m) / "vocab.txt", 3), "vocab.txt was changed or damaged"),
    "no-current": (lambda m: (m / "CURRENT").unlink(), "not a model directory"),
    "current-elsewhere": (lambda m: (m / "CURRENT").write_text("../../etc\n"), "not a snapshot of this model"),
    "other-version": (lambda m: _edit_meta(m, format=99), "a model of format 99"),
    "garbled-meta": (lambda m: (_snapshot(m) / "model.json").write_text("{"), "damaged or incomplete"),
    "bad-config": (lambda m: _edit_meta(m, config={"dim": -3}), "the saved config is invalid"),
}


def _flip(path: Path, offset: int = -5) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x55
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


def _edit_meta(model_dir: Path, **changes) -> None:
    meta = _snapshot(model_dir) / "model.json"
    body = json.loads(meta.read_text())
    body.update(changes)
    meta.write_text(json.dumps(body))


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_model_is_refused_and_nothing_is_overwritten(saved, tmp_path, damage):
    model_dir, corpus = saved
    make, message = DAMAGE[damage]
    make(model_dir)
    with unchanged(tmp_path):
        outcome = cli_run("train", "--resume", model_dir, corpus, "-o", tmp_path / "v.bin", "-q")
    assert_clean_error(outcome, contains=message)
    with unchanged(tmp_path):
        assert_clean_error(cli_run("info", model_dir), contains=message)


def test_resuming_on_another_corpus_is_refused(saved, tmp_path):
    model_dir, corpus = saved
    other = tmp_path / "other.txt"
    other.write_text(corpus.read_text()[: len(corpus.read_text()) // 2])
    with unchanged(tmp_path):
        outcome = cli_run("train", "--resume", model_dir, other, "-o", tmp_path / "v.bin", "-q")
    assert_clean_error(outcome, contains="not the one the model was trained on")


@pytest.mark.parametrize(
    "args,message,code",
    [
        (["--dim", "20"], "--dim: with --resume the options come from the model", 2),
        (["--model", "glove"], "--model: with --resume", 2),
        (["--min-count", "1"], "--min-count: with --resume", 2),
        (["--save-model", "elsewhere"], "--save-model: with --resume", 2),
        (["--checkpoint-every", "0"], "--checkpoint-every takes N", 2),
    ],
)
def test_conflicting_options_with_resume(saved, tmp_path, args, message, code):
    model_dir, corpus = saved
    with unchanged(tmp_path):
        outcome = cli_run("train", "--resume", model_dir, corpus, "-o", tmp_path / "v.bin", "-q", *args)
    assert_clean_error(outcome, code, contains=message)


@pytest.mark.parametrize(
    "args,message,code",
    [
        (["--model", "ppmi", "--save-model", "m2"], "apply to sgns, cbow, fasttext and glove, not ppmi", 2),
        (["--model", "lsa", "--checkpoint-every", "1", "--save-model", "m2"], "not lsa", 2),
        (["--checkpoint-every", "1"], "--checkpoint-every needs --save-model", 2),
        (["--save-model", "m2", "--checkpoint-every", "5x"], "--checkpoint-every takes N", 2),
        (["--save-model", "m2", "--checkpoint-every", "-1m"], "--checkpoint-every takes N", 2),
        (["--save-model", "m"], "holds a model already; continue it with --resume", 1),
        (["--save-model", "tiny.txt"], "it exists; give a new directory name", 1),
        (["--save-model", "no/such/dir"], "does not exist", 1),
    ],
)
def test_bad_model_options(saved, tmp_path, args, message, code):
    model_dir, corpus = saved
    args = [
        str(tmp_path / a) if a in ("m", "m2", "no/such/dir") else str(corpus) if a == "tiny.txt" else a for a in args
    ]
    with unchanged(tmp_path):
        outcome = cli_run("train", corpus, "-o", tmp_path / "v.bin", "-q", "--dim", "8", *args)
    assert_clean_error(outcome, code, contains=message)


def test_loading_a_missing_model_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="model directory not found"):
        Model.load(tmp_path / "none")


# ----------------------------------------------------------------------------- continued training


def test_merged_vocabulary_keeps_old_rows_and_frequency_order():
    from embedkit.continued import grown_rows, merge_vocabularies
    from embedkit.vocab import Vocabulary

    old = Vocabulary(["the", "cat", "sat"], np.array([10, 5, 2]))
    new = Vocabulary(["dog", "the", "sat"], np.array([9, 4, 1]))
    merged, old_rows, new_rows = merge_vocabularies(old, new)
    assert merged.words == ["the", "dog", "cat", "sat"] and merged.counts.tolist() == [14, 9, 5, 3]
    assert old_rows.tolist() == [0, 2, 3] and new_rows.tolist() == [1, 0, 3]
    rows = grown_rows(np.array([[1.0], [2.0], [3.0]]), old_rows, np.array([[7.0]]))
    assert rows.ravel().tolist() == [1.0, 7.0, 2.0, 3.0]


@pytest.mark.parametrize("name", ["sgns", "sg-hs", "glove"])
def test_continued_training_grows_the_model_and_resumes(tmp_path, tiny, name):
    lines = tiny.read_text().splitlines(keepends=True)
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("".join(lines[:200]))
    second.write_text("".join(lines[200:]))
    p1, p2 = prepare_corpus([first]), prepare_corpus([second])
    config = CONFIGS[name]
    model = Model.start(p1, config, CorpusOptions(), VocabOptions())
    model.train(p1, progress=False)
    before = {w: model.embeddings("input")[w].copy() for w in model.vocab.words[:50]}
    old_words = set(model.vocab.words)
    reference = Model.load(_saved(model, tmp_path / "before"))
    vectors, _ = model.train_more(p2, epochs=2, progress=False)
    assert set(model.vocab.words) >= old_words and len(model.vocab) > len(old_words)
    assert list(model.vocab.counts) == sorted(model.vocab.counts, reverse=True)
    new_word = next(w for w in model.vocab.words if w not in old_words)
    assert np.linalg.norm(vectors[new_word]) > 0
    drift = np.mean([np.linalg.norm(vectors[w] - v) for w, v in before.items()])
    assert 0 < drift < np.mean([np.linalg.norm(v) for v in before.values()]) * 10
    # resume the continued run from a mid-run checkpoint: bit-identical
    _interrupted_continuation(reference, p2, tmp_path / "continued")
    resumed = Model.load(tmp_path / "continued")
    again, _ = resumed.train(p2, progress=False)
    np.testing.assert_array_equal(again.vectors, vectors.vectors)


def _saved(model, directory):
    model.save(directory)
    return directory


def _interrupted_continuation(model, prepared, directory):
    def factory(grown):
        calls = []

        def checkpoint(state, epoch_end):
            calls.append(epoch_end)
            if len(calls) == 2:
                grown.save(directory)
                raise _Stop

        return checkpoint

    with pytest.raises(_Stop):
        model.train_more(prepared, epochs=2, progress=False, checkpoint_factory=factory)


def test_init_from_on_the_command_line(tmp_path, tiny):
    lines = tiny.read_text().splitlines(keepends=True)
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("".join(lines[:200]))
    second.write_text("".join(lines[200:]))
    assert (
        _train_cli(tmp_path, first, "--epochs", "1", "-o", tmp_path / "a.bin", "--save-model", tmp_path / "m").exit_code
        == 0
    )
    outcome = cli_run(
        "train",
        "--init-from",
        tmp_path / "m",
        second,
        "--epochs",
        "2",
        "--alpha",
        "0.02",
        "-q",
        "-o",
        tmp_path / "b.bin",
        "--save-model",
        tmp_path / "m2",
    )
    assert outcome.exit_code == 0, outcome.output
    a, b = Embeddings.load(tmp_path / "a.bin"), Embeddings.load(tmp_path / "b.bin")
    assert set(a.words) < set(b.words)
    continued = Model.load(tmp_path / "m2")
    assert continued.config.epochs == 2 and continued.config.alpha == 0.02 and continued.text_rows is not None
    with unchanged(tmp_path):
        assert_clean_error(
            cli_run("train", "--init-from", tmp_path / "m", second, "--dim", "3", "-q"),
            2,
            contains="--dim: with --init-from the options come from the model",
        )
        assert_clean_error(
            cli_run("train", "--init-from", tmp_path / "m", "--resume", tmp_path / "m", second, "-q"),
            2,
            contains="exclude each other",
        )
        assert_clean_error(
            cli_run("train", "--init-from", tmp_path / "none", second, "-q"), contains="model directory not found"
        )


def test_model_and_vectors_may_not_share_a_path(tmp_path, tiny):
    with unchanged(tmp_path):
        outcome = _train_cli(tmp_path, tiny, "-o", tmp_path / "m", "--save-model", tmp_path / "m")
    assert_clean_error(outcome, contains="also an input or output of this run")


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda body: body["state"].update(epoch=99999999999), "epoch = 99999999999"),
        (lambda body: body["state"].update(next_chunk=-1), "next_chunk = -1"),
        (lambda body: body["state"].update(seconds="soon"), "seconds = 'soon'"),
        (lambda body: body["state"].update(epoch_losses=[]), "0 epoch losses for 1 epochs"),
        (lambda body: body["config"].update(dim=9), "syn0 has shape"),
    ],
)
def test_an_inconsistent_saved_state_is_refused(saved, tmp_path, edit, message):
    model_dir, corpus = saved
    meta = _snapshot(model_dir) / "model.json"
    body = json.loads(meta.read_text())
    edit(body)
    meta.write_text(json.dumps(body))
    with unchanged(tmp_path):
        assert_clean_error(cli_run("info", model_dir), contains=message)


def test_a_snapshot_file_that_is_a_fifo_is_refused_without_blocking(saved, tmp_path):
    import os

    model_dir, corpus = saved
    vocab = _snapshot(model_dir) / "vocab.txt"
    vocab.unlink()
    os.mkfifo(vocab)
    assert_clean_error(cli_run("info", model_dir), contains="vocab.txt is not a regular file")
