"""Cache integrity: damaged entries are rebuilt, keys see edits, --no-cache and fallbacks keep
nothing, permissions honour the umask, concurrent builders both succeed."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from badinput import cli_run, subprocess_run
from conftest import synthetic_lines
from embedkit import cache
from embedkit.cooccur import CooccurrenceOptions, cooccurrences_for
from embedkit.encode import prepare_corpus
from embedkit.errors import CorpusError, Interrupted
from embedkit.vocab import VocabOptions

VOCAB = VocabOptions(min_count=2)
OPTIONS = CooccurrenceOptions(window=3)


@pytest.fixture(scope="module")
def corpus_text() -> str:
    return "".join(synthetic_lines(150))


@pytest.fixture
def corpus(tmp_path, corpus_text) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text(corpus_text, encoding="utf-8")
    return path


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """A fresh $TMPDIR for the test (tempfile's cached choice included)."""
    directory = tmp_path / "tmpdir"
    directory.mkdir()
    monkeypatch.setenv("TMPDIR", str(directory))
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    return directory


def prepare(corpus: Path, cache_dir: Path, **kwargs):
    warnings: list[str] = []
    prepared = prepare_corpus(
        [corpus], vocab_options=VOCAB, cache_dir=cache_dir, log=lambda m: None, warn=warnings.append, **kwargs
    )
    return prepared, warnings


def content(prepared) -> tuple:
    encoded = prepared.encoded
    return (
        prepared.vocab.words,
        prepared.vocab.counts.tolist(),
        encoded.read_ids(0, encoded.n_tokens).tolist(),
        encoded.sentence_starts.tolist(),
        prepared.stats,
    )


def rewrite_manifest(entry: Path) -> None:
    """Make the manifest agree with the files again (a consistent but wrong entry)."""
    manifest = json.loads((entry / "manifest.json").read_text())
    for name, record in manifest["files"].items():
        data = (entry / name).read_bytes()
        record.update(bytes=len(data), crc32=zlib.crc32(data))
    (entry / "manifest.json").write_text(json.dumps(manifest))


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def npy_payload(path: Path) -> int:
    with open(path, "rb") as fh:
        return cache.read_npy_header(fh)[3]


def set_ids(entry: Path, index: int, value: int, consistent: bool = True) -> None:
    ids = np.load(entry / "ids.npy")
    ids[index] = value
    np.save(entry / "ids.npy", ids)
    if consistent:
        rewrite_manifest(entry)


def set_starts(entry: Path) -> None:
    starts = np.load(entry / "sentence_starts.npy")
    starts[1], starts[2] = starts[2], starts[1]
    np.save(entry / "sentence_starts.npy", starts)
    rewrite_manifest(entry)


def edit_vocab_count(entry: Path) -> None:
    lines = (entry / "vocab.txt").read_text().splitlines()
    word, count = lines[-1].split()
    lines[-1] = f"{word} {int(count) % 9 + 1 if len(count) == 1 else '9' * len(count)}"
    (entry / "vocab.txt").write_text("\n".join(lines) + "\n")


def truncate(path: Path, nbytes: int) -> None:
    os.truncate(path, path.stat().st_size - nbytes)


def zero_page(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096:8192] = bytes(4096)
    path.write_bytes(bytes(data))


ENCODED_DAMAGE = {
    "delete manifest.json": lambda e: (e / "manifest.json").unlink(),
    "delete ids.npy": lambda e: (e / "ids.npy").unlink(),
    "delete vocab.txt": lambda e: (e / "vocab.txt").unlink(),
    "delete stats.json": lambda e: (e / "stats.json").unlink(),
    "delete sentence_starts.npy": lambda e: (e / "sentence_starts.npy").unlink(),
    "truncate ids.npy by 4": lambda e: truncate(e / "ids.npy", 4),
    "truncate ids.npy by 4096": lambda e: truncate(e / "ids.npy", 4096),
    "zero a page of ids.npy": lambda e: zero_page(e / "ids.npy"),
    "flip a byte of ids.npy": lambda e: flip_byte(e / "ids.npy", npy_payload(e / "ids.npy") + 401),
    "flip a byte of sentence_starts.npy": lambda e: flip_byte(e / "sentence_starts.npy", 200),
    "garble the ids.npy header": lambda e: flip_byte(e / "ids.npy", 2),
    "garble stats.json": lambda e: (e / "stats.json").write_text('{"files": 1,'),
    "garble manifest.json": lambda e: (e / "manifest.json").write_text('{"format": 2, "fil'),
    "manifest for other inputs": lambda e: (e / "manifest.json").write_text(
        (e / "manifest.json").read_text().replace('"min_count": 2', '"min_count": 3')
    ),
    "edit a count in vocab.txt": lambda e: edit_vocab_count(e),
    "id beyond the vocabulary, manifest rewritten": lambda e: set_ids(e, 10, 10**6),
    "negative id, manifest rewritten": lambda e: set_ids(e, 0, -1),
    "non-monotone sentence offsets, manifest rewritten": lambda e: set_starts(e),
    "entry is a file": lambda e: (shutil.rmtree(e), e.write_text("x")),
}


@pytest.mark.parametrize("damage", ENCODED_DAMAGE, ids=list(ENCODED_DAMAGE))
def test_damaged_encoded_entry_is_rebuilt_with_one_warning(corpus, tmp_path, damage):
    cache_dir = tmp_path / "cache"
    fresh, warnings = prepare(corpus, cache_dir)
    expected = content(fresh)
    assert not fresh.from_cache and warnings == []
    entry = fresh.directory
    del fresh
    ENCODED_DAMAGE[damage](entry)
    rebuilt, warnings = prepare(corpus, cache_dir)
    assert not rebuilt.from_cache and rebuilt.directory == entry
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: cache entry {entry} is damaged ("), warnings
    assert warnings[0].endswith("; rebuilding")
    assert content(rebuilt) == expected
    again, warnings = prepare(corpus, cache_dir)
    assert again.from_cache and warnings == [] and content(again) == expected
    assert sorted(p.name for p in cache_dir.iterdir()) == [entry.name]  # no work or old dirs left


def garble_cols(entry: Path) -> None:
    path = entry / "cols.npy"
    data = bytearray(path.read_bytes())
    offset = npy_payload(path)
    data[offset : offset + 2000] = np.random.default_rng(0).bytes(2000)
    path.write_bytes(bytes(data))


def cols_out_of_range(entry: Path) -> None:
    cols = np.load(entry / "cols.npy")
    cols[-1] = 1 << 30
    np.save(entry / "cols.npy", cols)
    rewrite_manifest(entry)


def set_value(entry: Path, value: float) -> None:
    """A crafted values.npy: one value changed and the manifest made to agree."""
    values = np.load(entry / "values.npy")
    values[7] = value
    np.save(entry / "values.npy", values)
    rewrite_manifest(entry)


COOC_DAMAGE = {
    "delete rows.npy": lambda e: (e / "rows.npy").unlink(),
    "delete meta.json": lambda e: (e / "meta.json").unlink(),
    "delete manifest.json": lambda e: (e / "manifest.json").unlink(),
    "random bytes in cols.npy": garble_cols,
    "flip a byte of values.npy": lambda e: flip_byte(e / "values.npy", npy_payload(e / "values.npy") + 13),
    "flip a byte of rows.npy": lambda e: flip_byte(e / "rows.npy", npy_payload(e / "rows.npy") + 13),
    "truncate cols.npy by 4096": lambda e: truncate(e / "cols.npy", 4096),
    "garble meta.json": lambda e: (e / "meta.json").write_text("{"),
    "col beyond the vocabulary, manifest rewritten": cols_out_of_range,
    "NaN value, manifest rewritten": lambda e: set_value(e, np.nan),
    "negative value, manifest rewritten": lambda e: set_value(e, -3.0),
    "zero value, manifest rewritten": lambda e: set_value(e, 0.0),
    "infinite value, manifest rewritten": lambda e: set_value(e, np.inf),
}


@pytest.mark.parametrize("damage", COOC_DAMAGE, ids=list(COOC_DAMAGE))
def test_damaged_cooccurrence_entry_is_rebuilt_with_one_warning(corpus, tmp_path, damage):
    prepared, _ = prepare(corpus, tmp_path / "cache")
    warnings: list[str] = []
    fresh = cooccurrences_for(prepared, OPTIONS, progress=False, warn=warnings.append)
    expected = fresh.to_csr().toarray()
    entries = [p for p in prepared.directory.iterdir() if p.name.startswith("cooccur-")]
    assert len(entries) == 1 and warnings == []
    del fresh
    COOC_DAMAGE[damage](entries[0])
    rebuilt = cooccurrences_for(prepared, OPTIONS, progress=False, warn=warnings.append)
    assert not rebuilt.from_cache
    assert len(warnings) == 1 and f"cache entry {entries[0]} is damaged" in warnings[0], warnings
    np.testing.assert_array_equal(rebuilt.to_csr().toarray(), expected)
    again = cooccurrences_for(prepared, OPTIONS, progress=False, warn=warnings.append)
    assert again.from_cache and len(warnings) == 1
    assert sorted(p.name for p in prepared.directory.iterdir() if p.is_dir()) == [entries[0].name]


def test_same_size_edit_with_restored_mtime_changes_the_key(corpus, tmp_path):
    first, _ = prepare(corpus, tmp_path / "cache")
    st = corpus.stat()
    text = corpus.read_text(encoding="utf-8")
    edited = text.replace(" the ", " THE ", 1)
    assert len(edited) == len(text) and edited != text
    corpus.write_text(edited, encoding="utf-8")
    os.utime(corpus, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert corpus.stat().st_size == st.st_size and corpus.stat().st_mtime_ns == st.st_mtime_ns
    second, _ = prepare(corpus, tmp_path / "cache")
    assert not second.from_cache and second.directory != first.directory
    assert second.vocab.counts[second.vocab.index["the"]] == first.vocab.counts[first.vocab.index["the"]] - 1


def test_no_cache_leaves_nothing_in_the_cache_dir_or_tmpdir(corpus, tmp_path, private_tmp):
    cache_dir = tmp_path / "cache"
    prepared, warnings = prepare(corpus, cache_dir, use_cache=False)
    counts = cooccurrences_for(prepared, OPTIONS, use_cache=False, progress=False)
    assert prepared.directory is None and not cache_dir.exists() and warnings == []
    assert list(private_tmp.iterdir()) == []
    assert counts.stored > 0 and prepared.encoded.read_ids(0, 5).shape == (5,)  # still readable


@pytest.mark.slow
def test_no_cache_cli_run_leaves_nothing(corpus, tmp_path, private_tmp):
    cache_dir = tmp_path / "cache"
    result = subprocess_run(
        "train",
        "--model",
        "glove",
        "--dim",
        "4",
        "--epochs",
        "1",
        "--min-count",
        "2",
        "-q",
        "--no-cache",
        "--cache-dir",
        cache_dir,
        corpus,
        "-o",
        tmp_path / "v.txt",
        env={"TMPDIR": str(private_tmp)},
    )
    assert result.exit_code == 0, result.output
    assert not cache_dir.exists() and list(private_tmp.iterdir()) == []


def test_private_directory_is_removed_on_error_and_interrupt(corpus, tmp_path, private_tmp, monkeypatch):
    with pytest.raises(CorpusError):
        prepare_corpus([corpus], vocab_options=VocabOptions(min_count=10**6), use_cache=False)
    assert list(private_tmp.iterdir()) == []

    def interrupt(*args, **kwargs):
        raise Interrupted(15)

    monkeypatch.setattr("embedkit.encode.EncodedCorpus.from_provisional", interrupt)
    with pytest.raises(Interrupted):
        prepare_corpus([corpus], vocab_options=VOCAB, use_cache=False)
    with pytest.raises(Interrupted):
        prepare_corpus([corpus], vocab_options=VOCAB, cache_dir=tmp_path / "cache")
    assert list(private_tmp.iterdir()) == [] and list((tmp_path / "cache").iterdir()) == []


def test_cooccurrence_work_dirs_are_removed_on_interrupt(corpus, tmp_path, private_tmp, monkeypatch):
    prepared, _ = prepare(corpus, tmp_path / "cache")
    before = sorted(p.name for p in prepared.directory.iterdir())

    def interrupt(*args, **kwargs):
        raise Interrupted(1)

    monkeypatch.setattr("embedkit.cooccur._write_dense", interrupt)
    for use_cache in (True, False):
        with pytest.raises(Interrupted):
            cooccurrences_for(prepared, OPTIONS, use_cache=use_cache, progress=False)
    assert sorted(p.name for p in prepared.directory.iterdir()) == before
    assert list(private_tmp.iterdir()) == []


def unusable_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a directory")
    return path


UNUSABLE = {
    "EMBEDKIT_CACHE_DIR is a file": lambda tmp, mp: mp.setenv("EMBEDKIT_CACHE_DIR", str(unusable_file(tmp))),
    "EMBEDKIT_CACHE_DIR under a file": lambda tmp, mp: mp.setenv("EMBEDKIT_CACHE_DIR", str(unusable_file(tmp) / "c")),
    "HOME missing": lambda tmp, mp: (
        mp.delenv("EMBEDKIT_CACHE_DIR"),
        mp.delenv("XDG_CACHE_HOME", raising=False),
        mp.setenv("HOME", str(tmp / "no-such-home")),
    ),
    "HOME under a file": lambda tmp, mp: (
        mp.delenv("EMBEDKIT_CACHE_DIR"),
        mp.delenv("XDG_CACHE_HOME", raising=False),
        mp.setenv("HOME", str(unusable_file(tmp) / "home")),
    ),
    "XDG_CACHE_HOME is a file": lambda tmp, mp: (
        mp.delenv("EMBEDKIT_CACHE_DIR"),
        mp.setenv("XDG_CACHE_HOME", str(unusable_file(tmp))),
    ),
    "read-only cache dir": lambda tmp, mp: read_only(tmp / "ro", mp),
}


def read_only(directory: Path, monkeypatch) -> None:
    """Creating files in ``directory`` fails with EROFS (chmod does not stop root)."""
    directory.mkdir()
    monkeypatch.setenv("EMBEDKIT_CACHE_DIR", str(directory))
    real = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == directory:
            raise OSError(errno.EROFS, "Read-only file system", str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


@pytest.mark.parametrize("case", UNUSABLE, ids=list(UNUSABLE))
def test_unusable_cache_dir_falls_back_to_a_private_directory_with_one_warning(
    corpus, tmp_path, private_tmp, monkeypatch, case
):
    expected = content(prepare(corpus, tmp_path / "good")[0])
    UNUSABLE[case](tmp_path, monkeypatch)
    warnings: list[str] = []
    prepared = prepare_corpus([corpus], vocab_options=VOCAB, log=lambda m: None, warn=warnings.append)
    counts = cooccurrences_for(prepared, OPTIONS, progress=False)
    assert len(warnings) == 1 and warnings[0].startswith("warning: cannot use the cache directory ("), warnings
    assert prepared.directory is None and not prepared.from_cache and content(prepared) == expected
    assert counts.stored > 0 and list(private_tmp.iterdir()) == []


def test_unreadable_entry_is_left_alone_and_built_privately(corpus, tmp_path, private_tmp, monkeypatch):
    fresh, _ = prepare(corpus, tmp_path / "cache")
    expected, entry = content(fresh), fresh.directory
    before = sorted(p.name for p in entry.iterdir())

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(entry / "manifest.json"))

    monkeypatch.setattr(cache.Manifest, "__init__", denied)
    prepared, warnings = prepare(corpus, tmp_path / "cache")
    assert warnings == [
        f"warning: cannot read cache entry {entry} (permission denied); building in a private temporary directory"
    ]
    assert prepared.directory is None and content(prepared) == expected
    assert sorted(p.name for p in entry.iterdir()) == before and list(private_tmp.iterdir()) == []


def test_full_cache_dir_builds_privately(corpus, tmp_path, private_tmp, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("embedkit.cache.write_manifest", full)
    prepared, warnings = prepare(corpus, tmp_path / "cache")
    assert len(warnings) == 1 and "no space left on the device" in warnings[0]
    assert "building in a private temporary directory" in warnings[0]
    assert prepared.directory is None and prepared.encoded.n_tokens > 0
    assert not (tmp_path / "cache").exists() and list(private_tmp.iterdir()) == []  # created, then removed


def test_full_existing_cache_dir_is_kept(corpus, tmp_path, private_tmp, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    (tmp_path / "cache").mkdir()
    monkeypatch.setattr("embedkit.cache.write_manifest", full)
    prepared, warnings = prepare(corpus, tmp_path / "cache")
    assert len(warnings) == 1 and prepared.directory is None
    assert list((tmp_path / "cache").iterdir()) == []


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


def zombie_pid() -> subprocess.Popen:
    """A child that has exited but is not reaped yet (what a SIGKILLed process is when its parent, an
    init that never reaps, has not waited for it): kill(pid, 0) still succeeds on it."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    while Path(f"/proc/{child.pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] != b"Z":
        pass
    os.kill(child.pid, 0)  # "alive" to the naive check
    return child


@pytest.mark.parametrize("kind", ["dead", "zombie"])
def test_stale_work_dir_beside_a_valid_entry_is_swept(corpus, tmp_path, kind):
    cache_dir = tmp_path / "cache"
    fresh, _ = prepare(corpus, cache_dir)
    expected, entry = content(fresh), fresh.directory
    child = zombie_pid() if kind == "zombie" else None
    pid = child.pid if child else dead_pid()
    stale = cache_dir / f".{entry.name}.{pid}.abcd.tmp"
    stale.mkdir()
    (stale / "ids.npy").write_bytes(b"partial")
    live = cache_dir / f".{entry.name}.{os.getpid()}.live.tmp"
    live.mkdir()
    again, warnings = prepare(corpus, cache_dir)
    if child:
        child.wait()
    assert again.from_cache and warnings == [] and content(again) == expected
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted([entry.name, live.name])  # a live writer's stays


@pytest.mark.parametrize(
    "umask,file_mode,dir_mode", [(0o022, 0o644, 0o755), (0o002, 0o664, 0o775), (0o007, 0o660, 0o770)]
)
def test_entries_honour_the_umask_and_a_setgid_shared_dir(corpus, tmp_path, umask, file_mode, dir_mode):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o2775)
    old = os.umask(umask)
    try:
        prepared, _ = prepare(corpus, shared)
        cooccurrences_for(prepared, OPTIONS, progress=False)
    finally:
        os.umask(old)
    entry = prepared.directory
    cooc = next(p for p in entry.iterdir() if p.is_dir())
    for directory in (entry, cooc):
        assert stat.S_IMODE(directory.stat().st_mode) == dir_mode | stat.S_ISGID
        for path in directory.iterdir():
            if path.is_file():
                assert stat.S_IMODE(path.stat().st_mode) == file_mode, path


@pytest.mark.slow
def test_cli_rebuilds_a_truncated_entry_and_warns_once(corpus, tmp_path):
    cache_dir = tmp_path / "cache"
    args = (
        "train",
        "--model",
        "sgns",
        "--dim",
        "8",
        "--epochs",
        "1",
        "--min-count",
        "2",
        "--threads",
        "1",
        "--seed",
        "1",
        "--cache-dir",
        cache_dir,
        corpus,
    )
    assert cli_run(*args, "-q", "-o", tmp_path / "a.txt").exit_code == 0
    (entry,) = cache_dir.iterdir()
    truncate(entry / "ids.npy", 4096)
    result = subprocess_run(*args, "-o", tmp_path / "b.txt")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: cache entry {entry} is damaged (ids.npy: ")
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()


def test_cli_unusable_cache_dir_warns_and_trains(corpus, tmp_path):
    result = cli_run(
        "train",
        "--model",
        "sgns",
        "--dim",
        "8",
        "--epochs",
        "1",
        "--min-count",
        "2",
        "--cache-dir",
        unusable_file(tmp_path) / "cache",
        corpus,
        "-o",
        tmp_path / "v.txt",
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert sum(line.startswith("warning: cannot use the cache directory") for line in result.output.splitlines()) == 1


@pytest.mark.slow
def test_concurrent_builders_both_finish_with_identical_vectors(corpus, tmp_path):
    cache_dir = tmp_path / "cache"
    env = {**os.environ, "EMBEDKIT_CACHE_DIR": str(cache_dir)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "embedkit",
                "train",
                "--model",
                "sgns",
                "--dim",
                "8",
                "--epochs",
                "1",
                "--min-count",
                "2",
                "--threads",
                "1",
                "--seed",
                "1",
                "-q",
                str(corpus),
                "-o",
                str(tmp_path / f"v{i}.txt"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert (tmp_path / "v0.txt").read_bytes() == (tmp_path / "v1.txt").read_bytes()
    (entry,) = cache_dir.iterdir()
    assert not entry.name.startswith(".")
    assert sorted(p.name for p in entry.iterdir()) == [
        "ids.npy",
        "manifest.json",
        "sentence_starts.npy",
        "stats.json",
        "vocab.txt",
    ]


def test_a_builder_that_loses_the_race_uses_the_winners_entry(corpus, tmp_path, monkeypatch):
    from embedkit.vocab import Vocabulary

    cache_dir, real_save, results = tmp_path / "cache", Vocabulary.save, []

    def save_after_a_rival_published(self, path):
        if not results:  # the first builder pauses here while a second one builds and publishes
            results.append(None)
            results[0] = prepare(corpus, cache_dir)
        real_save(self, path)

    monkeypatch.setattr(Vocabulary, "save", save_after_a_rival_published)
    loser, warnings = prepare(corpus, cache_dir)
    winner, _ = results[0]
    assert warnings == [] and not loser.from_cache and loser.directory == winner.directory
    assert content(loser) == content(winner)
    assert [p.name for p in cache_dir.iterdir()] == [winner.directory.name]


def test_numba_cache_dir_is_set_only_when_the_sources_are_read_only(tmp_path):
    code = (
        "import embedkit, os; embedkit._sources_writable = lambda: False; os.environ.pop('NUMBA_CACHE_DIR', None);"
        "embedkit._configure_numba_cache(); print(os.environ['NUMBA_CACHE_DIR'])"
    )
    env = {**os.environ, "EMBEDKIT_CACHE_DIR": str(tmp_path / "c")}
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(tmp_path / "c" / "numba") and out.stderr == ""
    env["EMBEDKIT_CACHE_DIR"] = str(unusable_file(tmp_path))
    env["TMPDIR"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(tmp_path / f"embedkit-numba-{os.getuid()}") and out.stderr == ""
    plain = subprocess.run(
        [sys.executable, "-c", "import embedkit, os; print(os.environ.get('NUMBA_CACHE_DIR'))"],
        env={k: v for k, v in env.items() if k != "NUMBA_CACHE_DIR"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert plain.stdout.strip() == "None"  # sources writable: numba's own __pycache__ is used
