"""Bad input to ``train``, ``vocab`` and ``cooccur``: options, config files, outputs, full disks,
signals and kills. Each case ends in one ``Error:`` line with the right exit code and leaves the
working directory as it was; an interrupted or killed run leaves no temporary file anywhere."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from badinput import assert_clean_error, cli_run, subprocess_run, unchanged
from conftest import enwiki_lines, synthetic_sentences
from embedkit.vectors import Embeddings

FAST = ["--dim", "8", "--epochs", "1", "--threads", "1", "-q"]


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in synthetic_sentences(200)) + "\n", encoding="utf-8")
    return path


def _train(tmp_path, corpus, *args, exit_code=1, contains=None):
    with unchanged(tmp_path):
        outcome = cli_run("train", corpus, "-o", tmp_path / "out.bin", *args)
    assert_clean_error(outcome, exit_code, contains)


# ----------------------------------------------------------------------------- options

FOREIGN = [
    (["--model", "glove", "--loss", "hs"], "--loss does not apply to --model glove"),
    (["--model", "ppmi", "--loss", "ns"], "--loss does not apply to --model ppmi"),
    (["--model", "sgns", "--cbow-sum"], "--cbow-sum does not apply to --model sgns"),
    (["--model", "sgns", "--cbow-mean"], "--cbow-mean does not apply"),
    (["--loss", "hs", "--negative", "3"], "--negative does not apply to --model sgns --loss hs"),
    (
        ["--model", "cbow", "--loss", "hs", "--ns-exponent", "0.5"],
        "--ns-exponent does not apply to --model cbow --loss hs",
    ),
    (["--model", "glove", "--negative", "3"], "--negative does not apply to --model glove"),
    (["--model", "glove", "--sample", "1e-4"], "--sample does not apply"),
    (["--model", "lsa", "--window", "3"], "--window does not apply to --model lsa"),
    (["--model", "lsa", "--memory", "1"], "--memory does not apply to --model lsa"),
    (["--model", "ppmi", "--epochs", "3"], "--epochs does not apply to --model ppmi"),
    (["--model", "ppmi", "--threads", "1"], "--threads does not apply"),
    (["--model", "sgns", "--x-max", "10"], "--x-max does not apply to --model sgns"),
    (["--model", "cbow", "--eig", "0.5"], "--eig does not apply to --model cbow"),
    (["--model", "sgns", "--doc-window", "10"], "--doc-window does not apply"),
    (["--model", "glove", "--idf", "plain"], "--idf does not apply"),
    # glove.c's -alpha is the weighting exponent: --alpha for GloVe points to --eta and --weight-exponent
    (["--model", "glove", "--alpha", "0.75"], "the learning rate is --eta (glove.c's -eta); glove.c's -alpha is"),
    (["--model", "ppmi", "--neg", "2"], "--neg was renamed --ppmi-shift"),
]


@pytest.mark.parametrize("args,message", FOREIGN, ids=[" ".join(a) for a, _ in FOREIGN])
def test_options_of_another_model_or_loss_are_usage_errors(tmp_path, corpus, args, message):
    _train(tmp_path, corpus, *args, exit_code=2, contains=message)


OUT_OF_RANGE = [
    (["--ns-exponent", "nan"], "ns_exponent must be a finite number"),
    (["--sample", "inf"], "sample must be a finite number"),
    (["--sample", "2"], "sample must be in [0, 1]"),
    (["--alpha", "nan"], "alpha must be a finite number"),
    (["--alpha", "-1"], "alpha must be in (0"),
    (["--alpha", "0"], "alpha must be in (0"),
    (["--min-alpha", "nan"], "min_alpha must be a finite number"),
    (["--min-alpha", "1"], "min_alpha must be in [0, alpha=0.025]"),
    (["--dim", "0"], "dim must be in [1, 1,000,000], got 0"),
    (["--dim", str(10**20)], "dim must be in [1, 1,000,000]"),
    (["--window", "0"], "window must be in [1,"),
    (["--negative", "0"], "negative must be in [1, 1,000]"),
    (["--negative", "100000"], "negative must be in [1, 1,000]"),
    (["--epochs", "0"], "epochs must be in [1,"),
    (["--threads", "-1"], "threads must be in [0,"),
    (["--seed", "-1"], "seed must be an integer in [0, 2^63)"),
    (["--seed", str(2**64)], "seed must be an integer in [0, 2^63)"),
    (["--model", "glove", "--x-max", "inf"], "x_max must be a finite number"),
    (["--model", "glove", "--x-max", "nan"], "x_max must be a finite number"),
    (["--model", "glove", "--x-max", "0"], "x_max must be in [1e-06"),
    (["--model", "glove", "--weight-exponent", "nan"], "weight_exponent must be a finite number"),
    (["--model", "glove", "--grad-clip", "inf"], "grad_clip must be a finite number"),
    (["--model", "glove", "--window", "300"], "window must be in [1, 255]"),
    (["--model", "glove", "--memory", "inf"], "memory must be a finite number"),
    (["--model", "glove", "--memory", "nan"], "memory must be a finite number"),
    (["--model", "glove", "--memory", "0"], "memory must be a positive number of GiB"),
    (["--model", "glove", "--memory", "-2"], "memory must be a positive number of GiB"),
    (["--model", "glove", "--memory", "100000"], "more than this machine's"),
    (["--model", "ppmi", "--eig", "nan"], "eig must be a finite number"),
    (["--model", "ppmi", "--eig", "2"], "eig must be in [0, 1]"),
    (["--model", "ppmi", "--cds", "0"], "cds must be in (0, 1]"),
    (["--model", "ppmi", "--cds", "nan"], "cds must be a finite number"),
    (["--model", "ppmi", "--ppmi-shift", "0"], "ppmi_shift must be in [1,"),
    (["--model", "lsa", "--doc-window", "-1"], "doc_window must be in [0,"),
    (["--model", "lsa", "--eig", "inf"], "eig must be a finite number"),
    (["--min-count", "0"], "min_count must be at least 1"),
    (["--max-sentence-length", "0"], "max_sentence_length must be at least 1"),
    (["--max-vocab", "0"], "max_vocab must be at least 1"),
]


@pytest.mark.parametrize("args,message", OUT_OF_RANGE, ids=[" ".join(a) for a, _ in OUT_OF_RANGE])
def test_out_of_range_and_non_finite_values_are_refused_before_any_work(tmp_path, corpus, args, message):
    _train(tmp_path, corpus, *args, contains=message)


TOML = [
    ("dim = true\n", "dim = True: expected an integer"),
    ("dim = 20.7\n", "dim = 20.7: expected an integer"),
    ("dim = [1, 2]\n", "expected an integer"),
    ('alpha = "fast"\n', "alpha = 'fast': expected a number"),
    ("alpha = true\n", "expected a number"),
    ("cbow_mean = 1\n", "cbow_mean = 1: expected true or false"),
    ("model = 3\n", "model = 3: expected a string"),
    ("windoww = 3\n", "unknown key(s): windoww"),
    ("[train]\ndim = 3\n", "nested tables are not supported"),
    ("dim = \n", "invalid TOML"),
    ("dim = 3\ndim = 4\n", "invalid TOML"),
]


@pytest.mark.parametrize("text,message", TOML, ids=[t.strip() for t, _ in TOML])
def test_config_files_are_type_checked(tmp_path, corpus, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    _train(tmp_path, corpus, "--config", config, exit_code=2, contains=message)


def test_a_missing_config_file_is_a_usage_error(tmp_path, corpus):
    _train(tmp_path, corpus, "--config", tmp_path / "none.toml", exit_code=2, contains="cannot read config")


# ----------------------------------------------------------------------------- outputs


@pytest.mark.parametrize(
    "where,message",
    [
        (lambda tmp, corpus: corpus, "it is also an input or output of this run"),
        (lambda tmp, corpus: Path("/dev/null"), "it exists and is not a regular file"),
        (lambda tmp, corpus: tmp / "no" / "such" / "v.bin", "does not exist"),
        (lambda tmp, corpus: corpus / "v.bin", "not a directory"),
    ],
)
def test_outputs_that_must_not_be_written_are_refused_before_training(tmp_path, corpus, where, message):
    target = where(tmp_path, corpus)
    with unchanged(tmp_path):
        outcome = cli_run("train", corpus, "-o", target, *FAST)
    assert_clean_error(outcome, contains=message)
    assert Path("/dev/null").is_char_device()


def test_an_output_directory_is_a_usage_error(tmp_path, corpus):
    (tmp_path / "dir").mkdir()
    with unchanged(tmp_path):
        outcome = cli_run("train", corpus, "-o", tmp_path / "dir", *FAST)
    assert_clean_error(outcome, exit_code=2, contains="is a directory")


@pytest.mark.parametrize("target", ["corpus", "missing-dir"])
def test_save_vocab_is_checked_first_and_written_only_on_success(tmp_path, corpus, target):
    path = corpus if target == "corpus" else tmp_path / "none" / "vocab.txt"
    with unchanged(tmp_path):
        outcome = cli_run("train", corpus, "-o", tmp_path / "out.bin", "--save-vocab", path, *FAST)
    assert_clean_error(outcome, contains="--save-vocab")
    with unchanged(tmp_path):
        outcome = cli_run(
            "train",
            corpus,
            "-o",
            tmp_path / "out.bin",
            "--save-vocab",
            tmp_path / "v.txt",
            "--alpha",
            "1e12",
            "--dim",
            "4",
            "--epochs",
            "2",
            "--threads",
            "1",
            "-q",
        )
    assert_clean_error(outcome, contains="diverged")


@pytest.mark.parametrize("command", ["vocab", "cooccur"])
@pytest.mark.parametrize(
    "where,message",
    [
        (lambda tmp, corpus: corpus, "it is also an input or output of this run"),
        (lambda tmp, corpus: Path("/dev/null"), "not a regular file"),
        (lambda tmp, corpus: tmp / "no" / "out", "does not exist"),
    ],
)
def test_vocab_and_cooccur_outputs_are_checked(tmp_path, corpus, command, where, message):
    with unchanged(tmp_path):
        outcome = cli_run(
            command, corpus, "-o", where(tmp_path, corpus), "-q" if command == "cooccur" else "--min-count"
        )
    if command == "vocab":  # "--min-count" without a value is the usage error; check the real one
        with unchanged(tmp_path):
            outcome = cli_run(command, corpus, "-o", where(tmp_path, corpus))
    assert_clean_error(outcome, contains=message)


def test_cooccur_memory_is_validated(tmp_path, corpus):
    with unchanged(tmp_path):
        outcome = cli_run("cooccur", corpus, "-o", tmp_path / "c.npz", "--memory", "nan", "-q")
    assert_clean_error(outcome, contains="memory must be")


# ----------------------------------------------------------------------------- corpora without pairs


@pytest.mark.parametrize("model", ["sgns", "cbow", "glove", "ppmi"])
def test_a_corpus_without_a_single_word_pair_is_refused(tmp_path, model):
    corpus = tmp_path / "single.txt"
    corpus.write_text("alpha\nbeta\nalpha\nbeta\ngamma\n" * 3)
    _train(
        tmp_path,
        corpus,
        "--model",
        model,
        "--min-count",
        "1",
        "--dim",
        "2",
        "-q",
        contains="no line has two in-vocabulary words",
    )


@pytest.mark.parametrize("loss", ["ns", "hs"])
def test_a_one_word_vocabulary_is_refused(tmp_path, loss):
    corpus = tmp_path / "one.txt"
    corpus.write_text("a a a a\n" * 3)
    _train(tmp_path, corpus, "--loss", loss, "--min-count", "1", *FAST, contains="the vocabulary has 1 word(s)")


# ----------------------------------------------------------------------------- memory and disk


def test_parameters_beyond_the_available_memory_are_refused_before_allocating(tmp_path, corpus, monkeypatch):
    monkeypatch.setattr("embedkit.memory.available_memory_bytes", lambda: 1 << 20)
    _train(tmp_path, corpus, "--dim", "5000", "-q", contains="more than the 1.0 MiB of memory available")


def test_too_little_free_space_is_found_before_training(tmp_path, corpus, monkeypatch):
    monkeypatch.setattr("embedkit.files.free_bytes", lambda directory: 100)
    _train(tmp_path, corpus, *FAST, contains="has 100 bytes free")


def test_a_failing_final_write_leaves_nothing(tmp_path, corpus, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("embedkit.files.os.fsync", full)
    _train(tmp_path, corpus, *FAST, contains="no space left on the device")


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs (root only; skipped elsewhere, where the monkeypatched cases stand in)."""
    mount = tmp_path / "full"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("needs root and mount to make a small tmpfs")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_train_onto_a_full_disk(tmp_path, full_disk):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("".join(enwiki_lines(400)))
    with unchanged(full_disk):
        outcome = cli_run("train", corpus, "-o", full_disk / "out.txt", "--dim", "50", "--epochs", "1", "-q")
    assert_clean_error(outcome, contains="free")
    with unchanged(full_disk):
        outcome = cli_run("train", corpus, "-o", full_disk / "out.txt", "--dim", "12", "--epochs", "1", "-q")
    assert_clean_error(outcome, contains="no space left on the device")


def test_vocab_onto_a_full_disk(tmp_path, full_disk):
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("".join(enwiki_lines(3000)))
    with unchanged(full_disk):
        outcome = cli_run("vocab", corpus, "-o", full_disk / "vocab.txt", "--min-count", "1")
    assert_clean_error(outcome, contains="no space left on the device")


# ----------------------------------------------------------------------------- signals and kills


def _start(args, cwd, env):
    return subprocess.Popen(
        [sys.executable, "-m", "embedkit", *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(path: Path, pattern: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and pattern in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{pattern!r} never appeared in {path}: {path.read_text() if path.exists() else ''}")


def _leftovers(*directories: Path) -> list[str]:
    return [str(p) for d in directories for p in d.rglob("*") if p.name.endswith(".tmp") or "embedkit-" in p.name]


@pytest.fixture
def wiki(tmp_path) -> Path:
    path = tmp_path / "wiki.txt"
    path.write_text("".join(enwiki_lines(6000)))
    return path


@pytest.fixture
def private_env(tmp_path):
    """Environment of a subprocess with its own cache and TMPDIR, both inside tmp_path."""
    cache, tmp = tmp_path / "cache", tmp_path / "tmp"
    cache.mkdir()
    tmp.mkdir()
    return {**os.environ, "EMBEDKIT_CACHE_DIR": str(cache), "TMPDIR": str(tmp)}, cache, tmp


# ``stage`` -> (extra arguments, text in stderr that says the stage has begun)
STAGES = {
    "reading": ([], "counting words"),
    "training": (["--epochs", "200"], "epoch 1/200"),
    "counting co-occurrences": (
        ["--model", "glove", "--memory", "0.01", "--window", "15", "--epochs", "500"],
        "cooccur",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
@pytest.mark.parametrize("stage", list(STAGES))
def test_a_signal_ends_the_run_cleanly(tmp_path, wiki, private_env, stage, sig):
    env, cache, tmp = private_env
    extra, marker = STAGES[stage]
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "embedkit",
                "train",
                wiki,
                "-o",
                tmp_path / "out.bin",
                "--dim",
                "20",
                "--threads",
                "1",
                *extra,
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        _wait_for(log, marker)
        proc.send_signal(sig)
        proc.wait(timeout=120)
    text = log.read_text()
    assert proc.returncode == 128 + sig, text
    assert f"Error: interrupted by {signal.Signals(sig).name} while" in text and "Traceback" not in text
    assert not (tmp_path / "out.bin").exists()
    assert _leftovers(tmp_path) == [] and list(tmp.iterdir()) == []


#: A wrapper of ``embedkit`` whose fsync of the output file announces itself and stalls, so a test
#: can signal or kill the run while the vectors are being written.
SLOW_OUTPUT_FSYNC = (
    "import os, sys, time, embedkit.files as f\n"
    "fsync = f.os.fsync\n"
    "def slow(fd):\n"
    "    if '.out.bin.' in os.readlink(f'/proc/self/fd/{fd}'):\n"
    "        sys.stderr.write('WRITING\\n'); sys.stderr.flush(); time.sleep(60)\n"
    "    fsync(fd)\n"
    "f.os.fsync = slow\n"
    "from embedkit.cli import main\n"
    "sys.argv = ['embedkit'] + sys.argv[1:]\n"
    "main()\n"
)


@pytest.mark.slow
def test_a_signal_while_writing_removes_the_partial_file(tmp_path, corpus, private_env):
    env, cache, tmp = private_env
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", SLOW_OUTPUT_FSYNC, "train", corpus, "-o", tmp_path / "out.bin", *FAST],
            cwd=tmp_path,
            env=env,
            stderr=err,
            stdout=subprocess.PIPE,
            text=True,
        )
        _wait_for(log, "WRITING")
        assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # the partial file exists now
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    text = log.read_text()
    assert proc.returncode == 143 and f"interrupted by SIGTERM while writing {tmp_path / 'out.bin'}" in text
    assert not (tmp_path / "out.bin").exists() and _leftovers(tmp_path) == []


# stage -> (model arguments, extra arguments of the killed run, marker in its stderr, launcher)
KILLS = {
    "reading": (["--model", "sgns"], [], "counting words", ["-m", "embedkit"]),
    "training": (["--model", "sgns"], ["--epochs", "200"], "epoch 1/200", ["-m", "embedkit"]),
    "counting co-occurrences": (
        ["--model", "glove", "--memory", "0.01", "--window", "15"],
        [],
        "cooccur",
        ["-m", "embedkit"],
    ),
    "writing": (["--model", "sgns"], [], "WRITING", ["-c", SLOW_OUTPUT_FSYNC]),
}


@pytest.mark.slow
@pytest.mark.parametrize("stage", list(KILLS))
def test_kill_9_then_rerun_gives_the_uninterrupted_vectors_and_no_stale_files(tmp_path, wiki, private_env, stage):
    env, cache, tmp = private_env
    model, extra, marker, launcher = KILLS[stage]
    args = ["train", wiki, *model, "--dim", "10", "--epochs", "3", "--threads", "1", "--seed", "1"]
    reference = tmp_path / "reference.bin"
    done = subprocess_run(*args, "-q", "-o", reference, "--no-cache", env={"TMPDIR": str(tmp)}, cwd=tmp_path)
    assert done.exit_code == 0, done.output
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, *launcher, *map(str, args), "-o", tmp_path / "out.bin", *extra],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        _wait_for(log, marker)
        proc.kill()
        proc.wait(timeout=60)
    rerun = subprocess_run(*args, "-q", "-o", tmp_path / "out.bin", env=env, cwd=tmp_path)
    assert rerun.exit_code == 0, rerun.output
    np.testing.assert_array_equal(Embeddings.load(tmp_path / "out.bin").vectors, Embeddings.load(reference).vectors)
    assert _leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- found by the hostile hunt


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: os.mkfifo(p), "it is a pipe, not a regular file"),
        (lambda p: p.write_bytes(b"dim = 8\n\x00\x01"), "looks like a binary file"),
        (lambda p: p.write_bytes("# caf\u00e9\ndim = 8\n".encode("latin-1")), "not utf-8"),
    ],
)
def test_config_files_that_are_not_text_are_refused_without_reading_forever(tmp_path, corpus, make, message):
    config = tmp_path / "c.toml"
    make(config)
    _train(tmp_path, corpus, "--config", config, exit_code=2, contains=message)


@pytest.mark.parametrize(
    "text,message",
    [
        ("dim = -1\n", "c.toml: dim must be in [1, 1,000,000], got -1"),
        ("epochs = 0\n", "c.toml: epochs must be in [1,"),
        ("alpha = nan\n", "c.toml: alpha must be a finite number"),
    ],
)
def test_config_values_are_checked_even_when_a_flag_overrides_them(tmp_path, corpus, text, message):
    config = tmp_path / "c.toml"
    config.write_text(text)
    _train(
        tmp_path, corpus, "--config", config, "--dim", "8", "--epochs", "1", "--alpha", "0.01", "-q", contains=message
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (["--model", "sgns", "--cbow-sum"], "--cbow-sum does not apply to --model sgns"),
        (["--model", "glove", "--x-max", "1e-300"], "x_max must be in [1e-06"),
        (["--model", "glove", "--x-max", "1e39"], "x_max must be in [1e-06, 1e+38]"),
        (["--model", "lsa", "--stopwords", ""], "stopwords must be 'english', 'none' or a file name"),
        (["--model", "lsa", "--min-count", "1", "--doc-window", str(1 << 40)], "LSA needs at least two documents"),
        (["--max-vocab", "1", "--min-count", "1"], "raise --max-vocab"),
        (["--max-sentence-length", "1"], "raise --max-sentence-length"),
    ],
)
def test_messages_name_the_option_to_change(tmp_path, corpus, args, message):
    _train(tmp_path, corpus, *args, exit_code=2 if "--cbow-sum" in args else 1, contains=message)


@pytest.mark.parametrize(
    "output,extra,message",
    [
        ("", [], "the output path is empty"),
        ("out.txt", ["--save-vocab", "out.txt"], "--save-vocab"),
        ("out.npy", ["words-dir"], "cannot write word list"),
    ],
)
def test_outputs_found_by_the_hunt(tmp_path, corpus, output, extra, message):
    if extra == ["words-dir"]:
        (tmp_path / "out.npy.words").mkdir()
        extra = []
    target = tmp_path / output if output else ""
    extra = [str(tmp_path / e) if e.endswith(".txt") else e for e in extra]
    with unchanged(tmp_path):
        outcome = cli_run("train", corpus, "-o", target, *extra, *FAST)
    assert_clean_error(outcome, contains=message)


def test_a_signal_whose_exception_was_swallowed_is_raised_at_the_next_check():
    from embedkit import signals
    from embedkit.errors import Interrupted

    with signals.handle_signals():
        try:  # a ctypes callback or __del__ swallows what its handler raises
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        except Interrupted:
            pass
        os.kill(os.getpid(), signal.SIGTERM)  # a second signal while unwinding is ignored
        with pytest.raises(Interrupted) as raised:
            signals.check()
        assert raised.value.exit_code == 143
        with pytest.raises(Interrupted), signals.stage("next stage"):
            pass
    signals.check()  # the block is over: nothing pending


def test_a_signal_that_surfaces_wrapped_still_ends_the_run_cleanly(monkeypatch, capsys):
    """A signal raised inside a C callback (numba unpickling a cached kernel) reaches the
    command line as a SystemError caused by the Interrupted (seen in CI: a traceback and exit 1
    for a SIGINT while co-occurrences were counted). It is reported as the interruption."""
    from embedkit import cli, signals
    from embedkit.errors import Interrupted

    def wrapped_interrupt(**kwargs):
        try:
            raise Interrupted(signal.SIGINT)
        except Interrupted as exc:
            raise SystemError("CPUDispatcher(...) returned a result with an exception set") from exc

    monkeypatch.setattr(cli, "cli", wrapped_interrupt)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 130
    assert capsys.readouterr().err.strip() == "Error: interrupted by SIGINT; no output was written"
    assert signals.interruption_behind(ValueError("unrelated")) is None


# ----------------------------------------------------------------------------- found by the second hunt


def test_the_memory_check_comes_before_any_allocation(tmp_path, corpus, monkeypatch):
    monkeypatch.setattr("embedkit.memory.available_memory_bytes", lambda: 1 << 20)
    monkeypatch.setattr(
        "embedkit.models.word2vec.initial_vectors", lambda *a: pytest.fail("allocated before the memory check")
    )
    _train(tmp_path, corpus, "--dim", "5000", "-q", "--save-model", tmp_path / "m", contains="memory available")


def test_glove_parameters_over_memory_are_refused_before_counting(tmp_path, corpus, monkeypatch):
    monkeypatch.setattr("embedkit.cooccur.count_cooccurrences", lambda *a, **k: pytest.fail("counted first"))
    _train(
        tmp_path,
        corpus,
        "--model",
        "glove",
        "--memory",
        "0.001",
        "--dim",
        "2000",
        "-q",
        contains="GloVe's parameters need",
    )


def test_subsampling_that_keeps_nothing_is_an_error(tmp_path, corpus):
    _train(tmp_path, corpus, "--sample", "1e-300", *FAST, contains="had no training example")


def test_the_config_file_is_an_input(tmp_path, corpus):
    config = tmp_path / "c.toml"
    config.write_text("seed = 2\n")
    with unchanged(tmp_path):
        outcome = cli_run("train", "--config", config, corpus, "-o", config, *FAST)
    assert_clean_error(outcome, contains="also an input or output of this run")


@pytest.mark.parametrize(
    "args",
    [
        ["train", "no\nsuch.txt", "-q"],
        ["similar", "the", "--vectors", "no\nsuch.txt"],
    ],
)
def test_newlines_in_paths_stay_on_one_line(tmp_path, args):
    outcome = cli_run(*args)
    assert_clean_error(outcome, contains="no\\nsuch.txt")
