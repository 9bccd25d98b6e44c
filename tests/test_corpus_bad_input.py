"""Bad corpora end in one clean line naming the file (and line), and change nothing on disk.

Each case runs ``embedkit vocab`` and ``embedkit train`` (sgns, tiny settings) on a file written
in ``tmp_path`` and checks the exit code, the single ``Error:`` line, that no traceback is
printed and that the directory (outputs, cache directory) is exactly as it was.
"""

import bz2
import errno
import gzip
import lzma
import os
import socket
import tempfile
from pathlib import Path

import pytest

from badinput import assert_clean_error, cli_run, subprocess_run, unchanged
from embedkit import corpus as corpus_module
from embedkit.corpus import Corpus, CorpusOptions
from embedkit.errors import CorpusError

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

TEXT = b"the cat sat on the mat\nthe dog sat on the log\n" * 20
TRAIN = ("train", "-q", "--dim", "8", "--epochs", "1", "--threads", "1", "--min-count", "1")
VOCAB = ("vocab", "--min-count", "1")


def run_corpus(command: str, tmp_path: Path, *corpus, extra=()):
    """Run vocab or train on ``corpus`` with every output inside ``tmp_path``."""
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    if command == "vocab":
        args = (*VOCAB, *corpus, "-o", tmp_path / "out.txt", *extra)
    else:
        args = (*TRAIN, *corpus, "-o", tmp_path / "out.txt", "--cache-dir", cache, *extra)
    with unchanged(tmp_path, allow=("cache",)):  # its mtime may change; anything left inside counts
        return cli_run(*args)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _nul_late(tmp_path):
    return _write(tmp_path / "late.txt", TEXT * 20 + b"binary\x00here\n")  # > 8 KiB before the NUL


def _nul_first_line(tmp_path):
    return _write(tmp_path / "blob.bin", bytes(range(256)) * 4)


def _nul_gz_late(tmp_path):
    return _write(tmp_path / "late.gz", gzip.compress(TEXT * 20 + b"x\x00y\n"))


def _fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def _fifo_in_directory(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    _write(folder / "a.txt", TEXT)
    os.mkfifo(folder / "b.txt")
    return folder


def _broken_link_in_directory(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    _write(folder / "a.txt", TEXT)
    (folder / "gone.txt").symlink_to(tmp_path / "missing.txt")
    return folder


def _empty_lines(tmp_path):
    return _write(tmp_path / "blank.txt", b"\n\n\n\n")


def _whitespace_lines(tmp_path):
    return _write(tmp_path / "spaces.txt", b"  \t \n\t\n   \r\n")


def _empty_file(tmp_path):
    return _write(tmp_path / "zero.txt", b"")


def _bom_only(tmp_path):
    return _write(tmp_path / "bom.txt", b"\xef\xbb\xbf\n")


def _empty_directory(tmp_path):
    (tmp_path / "none").mkdir()
    return tmp_path / "none"


def _hidden_only_directory(tmp_path):
    folder = tmp_path / "hidden"
    folder.mkdir()
    _write(folder / ".secret.txt", TEXT)
    return folder


def _missing(tmp_path):
    return tmp_path / "nope.txt"


def _through_a_file(tmp_path):
    return _write(tmp_path / "plain.txt", TEXT) / "inside.txt"


def _truncated_gz(tmp_path):
    data = gzip.compress(b"".join(b"w%d x%d\n" % (i, i * 7) for i in range(5000)))
    return _write(tmp_path / "cut.gz", data[: len(data) // 2])


def _truncated_xz(tmp_path):
    data = lzma.compress(b"".join(b"w%d x%d\n" % (i, i * 7) for i in range(5000)))
    return _write(tmp_path / "cut.xz", data[: len(data) // 2])


def _text_named_gz(tmp_path):
    return _write(tmp_path / "plain.gz", TEXT)


def _garbage_bz2(tmp_path):
    return _write(tmp_path / "junk.bz2", b"BZh9" + b"\x17" * 64)


CASES = {
    "nul-after-8-kib": (_nul_late, "late.txt:801: looks like a binary file"),
    "nul-in-first-line": (_nul_first_line, "blob.bin:1: looks like a binary file"),
    "nul-in-gz-after-8-kib": (_nul_gz_late, "looks like a binary file"),
    "fifo": (_fifo, "is not a regular file (a pipe); embedkit reads the corpus more than once"),
    "fifo-in-directory": (_fifo_in_directory, "b.txt is not a regular file (a pipe)"),
    "broken-link-in-directory": (_broken_link_in_directory, "has a broken link"),
    "only-empty-lines": (_empty_lines, "the corpus is empty"),
    "only-whitespace": (_whitespace_lines, "the corpus is empty"),
    "empty-file": (_empty_file, "the corpus is empty"),
    "only-a-bom": (_bom_only, "the corpus is empty"),
    "empty-directory": (_empty_directory, "has no files"),
    "hidden-files-only": (_hidden_only_directory, "has no files"),
    "missing": (_missing, "corpus file not found"),
    "path-through-a-file": (_through_a_file, "not a directory"),
    "truncated-gz": (_truncated_gz, "cannot read"),
    "truncated-xz": (_truncated_xz, "cannot read"),
    "text-named-gz": (_text_named_gz, "cannot read"),
    "garbage-bz2": (_garbage_bz2, "cannot read"),
}


@pytest.mark.parametrize("command", ["vocab", "train"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_corpus_is_a_clean_error(tmp_path, command, case):
    make, message = CASES[case]
    corpus = make(tmp_path)
    assert_clean_error(run_corpus(command, tmp_path, corpus), contains=message)


@pytest.mark.parametrize("command", ["vocab", "train"])
def test_a_character_device_is_not_a_corpus(tmp_path, command):
    result = run_corpus(command, tmp_path, "/dev/null")
    assert_clean_error(result, contains="/dev/null is not a regular file (a character device)")


@pytest.mark.parametrize("command", ["vocab", "train"])
def test_a_socket_is_not_a_corpus(tmp_path, command):
    short = Path(tempfile.mkdtemp(dir="/tmp"))  # AF_UNIX paths are limited to ~100 bytes
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(short / "s"))
        assert_clean_error(run_corpus(command, tmp_path, short / "s"), contains="is not a regular file (a socket)")
    finally:
        server.close()
        (short / "s").unlink()
        short.rmdir()


def test_piped_stdin_is_reported_as_a_pipe(tmp_path):
    result = subprocess_run(*VOCAB, "/dev/stdin", "-o", tmp_path / "out.txt", input="a b c\n", cwd=tmp_path)
    assert_clean_error(result, contains="/dev/stdin is not a regular file (a pipe); embedkit reads the corpus more")
    assert not (tmp_path / "out.txt").exists()


def test_strict_decoding_names_the_line(tmp_path):
    corpus = _write(tmp_path / "latin1.txt", TEXT + "café\n".encode("latin-1"))
    result = run_corpus("vocab", tmp_path, corpus, extra=("--encoding-errors", "strict"))
    assert_clean_error(result, contains="latin1.txt:41: invalid UTF-8")


@pytest.mark.parametrize("command", ["vocab", "train"])
def test_permission_denied_names_the_file(tmp_path, monkeypatch, command):
    """EACCES from opening a file of a corpus directory (simulated: the tests may run as root)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    _write(folder / "a.txt", TEXT)
    _write(folder / "b.txt", TEXT)

    def refuse(path):
        if path.name == "b.txt":
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return open(path, "rb")

    monkeypatch.setattr(corpus_module, "open_binary", refuse)
    assert_clean_error(run_corpus(command, tmp_path, folder), contains="b.txt: permission denied")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files of any mode")
def test_unreadable_file_for_real(tmp_path):
    corpus = _write(tmp_path / "secret.txt", TEXT)
    corpus.chmod(0)
    try:
        assert_clean_error(run_corpus("vocab", tmp_path, corpus), contains="secret.txt: permission denied")
    finally:
        corpus.chmod(0o644)


@pytest.mark.parametrize(
    "content,message",
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "stopword list looks like a binary file"),
        (b"the\ncaf\xe9\n", ":2: the stopword list is not UTF-8 text"),
        (None, "it is a directory"),
        ("missing", "no such file or directory"),
    ],
)
def test_bad_stopword_list_is_a_clean_error(tmp_path, content, message):
    corpus = _write(tmp_path / "c.txt", TEXT)
    stop = tmp_path / "stop.txt"
    if content is None:
        stop.mkdir()
    elif isinstance(content, bytes):
        stop.write_bytes(content)
    with unchanged(tmp_path):
        result = cli_run(
            "train",
            "-q",
            "--model",
            "lsa",
            "--dim",
            "2",
            "--min-count",
            "1",
            "--no-cache",
            "--stopwords",
            stop,
            corpus,
            "-o",
            tmp_path / "out.txt",
        )
    assert_clean_error(result, contains=message)


# ----------------------------------------------------------------------------- correct results


@pytest.mark.parametrize("suffix,opener", [(".txt", None), (".gz", gzip.compress), (".bz2", bz2.compress)])
def test_a_byte_order_mark_is_not_part_of_the_first_word(tmp_path, suffix, opener):
    data = b"\xef\xbb\xbfhello world\nhello again\n"
    path = _write(tmp_path / f"bom{suffix}", opener(data) if opener else data)
    assert list(Corpus([path])) == [["hello", "world"], ["hello", "again"]]
    result = cli_run(*VOCAB, path, "-o", tmp_path / "v.txt")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "v.txt").read_text().splitlines()[0] == "hello 2"


def test_a_bom_later_in_a_file_is_text(tmp_path):
    """Only a BOM at the very start of a file is a byte-order mark (a later U+FEFF is a character)."""
    path = _write(tmp_path / "c.txt", b"a b\n\xef\xbb\xbfc d\n")
    assert list(Corpus([path]))[1] == ["\ufeffc", "d"]


def test_every_file_of_a_directory_drops_its_own_bom(tmp_path):
    for name in ("1.txt", "2.txt"):
        _write(tmp_path / name, b"\xef\xbb\xbfword " + name.encode() + b"\n")
    assert [s[0] for s in Corpus([tmp_path])] == ["word", "word"]


def test_nul_detection_reports_the_line_through_the_library(tmp_path):
    path = _write(tmp_path / "c.txt", b"ok line\n" * 3000 + b"bad \x00 line\n")
    with pytest.raises(CorpusError, match=r"c.txt:3001: looks like a binary file"):
        list(Corpus([path], CorpusOptions()))


def test_links_to_files_are_read_and_links_to_directories_are_not_walked(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    _write(tmp_path / "real.txt", b"linked file\n")
    (folder / "link.txt").symlink_to(tmp_path / "real.txt")
    (tmp_path / "other").mkdir()
    _write(tmp_path / "other" / "x.txt", b"not walked\n")
    (folder / "dir-link").symlink_to(tmp_path / "other")
    assert list(Corpus([folder])) == [["linked", "file"]]
