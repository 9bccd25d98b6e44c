"""Corpus reading: compression, directories, splitting, decoding policy, tokenizers, errors."""

import bz2
import gzip
import lzma

import pytest

from embedkit.corpus import Corpus, CorpusOptions
from embedkit.errors import CorpusError

TEXT = "the cat sat on the mat\nthe dog ate the cat\n\n"


@pytest.mark.parametrize("suffix,opener", [(".txt", open), (".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_reads_plain_and_compressed_files_alike(tmp_path, suffix, opener):
    path = tmp_path / f"c{suffix}"
    with opener(path, "wt", encoding="utf-8") as fh:
        fh.write(TEXT)
    corpus = Corpus([path])
    assert list(corpus) == [["the", "cat", "sat", "on", "the", "mat"], ["the", "dog", "ate", "the", "cat"]]
    assert (corpus.stats.lines, corpus.stats.tokens, corpus.stats.sentences) == (3, 11, 2)


def test_directory_is_read_recursively_in_sorted_order_skipping_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("two\n")
    (tmp_path / "1.txt").write_text("one\n")
    (tmp_path / ".hidden.txt").write_text("hidden\n")
    assert list(Corpus([tmp_path])) == [["one"], ["two"]]


def test_long_lines_are_split_and_counted(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(" ".join(f"t{i}" for i in range(25)) + "\nshort line\n")
    corpus = Corpus([path], CorpusOptions(max_sentence_length=10))
    sentences = list(corpus)
    assert [len(s) for s in sentences] == [10, 10, 5, 2]
    assert sentences[2] == [f"t{i}" for i in range(20, 25)]
    assert corpus.stats.split_lines == 1
    assert corpus.stats.warnings() == ["1 line(s) longer than the maximum sentence length were split"]


def test_invalid_utf8_is_replaced_and_counted_or_rejected(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good line\nbad \xff\xfe byte\n")
    corpus = Corpus([path])
    assert list(corpus)[1] == ["bad", "\ufffd\ufffd", "byte"]
    assert corpus.stats.invalid_utf8_lines == 1
    assert list(Corpus([path], CorpusOptions(encoding_errors="ignore")))[1] == ["bad", "byte"]
    with pytest.raises(CorpusError, match=r"bad.txt:2: invalid UTF-8"):
        list(Corpus([path], CorpusOptions(encoding_errors="strict")))


def test_regex_tokenizer_drops_punctuation_and_lowercases(tmp_path):
    path = tmp_path / "raw.txt"
    path.write_text("Hello, World! It's a well-known fact.\n")
    corpus = Corpus([path], CorpusOptions(tokenizer="regex", lowercase=True))
    assert list(corpus) == [["hello", "world", "it's", "a", "well-known", "fact"]]
    assert list(Corpus([path]))[0][0] == "Hello,"


def test_missing_file_and_binary_file_are_clear_errors(tmp_path):
    with pytest.raises(CorpusError, match="corpus file not found"):
        Corpus([tmp_path / "nope.txt"])
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(CorpusError, match="looks like a binary file"):
        list(Corpus([binary]))
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(CorpusError, match="has no files"):
        Corpus([tmp_path / "empty_dir"])


def test_corrupt_compressed_file_is_a_corpus_error(tmp_path):
    path = tmp_path / "broken.gz"
    text = "".join(f"word{i} other{i * 7 % 1000}\n" for i in range(5000)).encode()
    compressed = gzip.compress(text)
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(CorpusError, match="cannot read"):
        list(Corpus([path]))
