"""Corpus reading: compression, directories, splitting, decoding policy, tokenizers, errors; the
one-pass encoding against a brute-force one."""

import bz2
import gzip
import io
import lzma

import numpy as np
import pytest

from conftest import synthetic_lines
from embedkit.corpus import Corpus, CorpusOptions
from embedkit.encode import count_and_encode
from embedkit.errors import CorpusError
from embedkit.vocab import VocabOptions, Vocabulary

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


def _brute_force_encoding(corpus, vocab):
    """Ids of the in-vocabulary tokens, sentence by sentence, empty sentences dropped."""
    sentences = [[vocab.index[w] for w in tokens if w in vocab.index] for tokens in corpus]
    sentences = [s for s in sentences if s]
    starts = np.concatenate(([0], np.cumsum([len(s) for s in sentences])))
    return np.array([i for s in sentences for i in s], dtype=np.int32), starts


@pytest.mark.parametrize("prune_at", [20_000_000, 1000])
def test_one_pass_encoding_equals_counting_then_encoding(tmp_path, monkeypatch, prune_at):
    """count_and_encode (one read of the text; with pruning, the two-pass fallback) gives the
    vocabulary of Vocabulary.build and the ids of a brute-force encoding: small remap and flush
    blocks so that sentences straddle them, lines of rare words only (empty after encoding), and
    lines split at max_sentence_length."""
    import embedkit.encode as encode
    import embedkit.vocab as vocab_module

    monkeypatch.setattr(encode, "_REMAP_TOKENS", 1000)
    monkeypatch.setattr(vocab_module, "_FLUSH_TOKENS", 777)
    lines = synthetic_lines(400, n_words=3000)
    lines[10:10] = [f"hapax{i} hapax{i + 1}\n" for i in range(0, 40, 2)]
    lines.append(" ".join(["the"] * 250) + "\n")
    path = tmp_path / "corpus.txt"
    path.write_text("".join(lines), encoding="utf-8")
    corpus = Corpus([path], CorpusOptions(max_sentence_length=100))
    options = VocabOptions(min_count=3, prune_at=prune_at)
    work = tmp_path / "work"
    work.mkdir()
    vocab, encoded = count_and_encode(corpus, options, work)
    reference = Vocabulary.build(corpus, options)
    assert vocab.words == reference.words and vocab.counts.tolist() == reference.counts.tolist()
    assert (vocab.pruned_below > 0) == (prune_at == 1000)
    ids, starts = _brute_force_encoding(corpus, vocab)
    np.testing.assert_array_equal(encoded.read_ids(0, encoded.n_tokens), ids)
    np.testing.assert_array_equal(encoded.sentence_starts, starts)
    assert encoded.n_tokens == vocab.total_words or prune_at == 1000
    assert sorted(p.name for p in work.iterdir()) == ["ids.npy", "sentence_starts.npy"]


@pytest.mark.parametrize(
    "raw,lengths,message",
    [
        ([0, 1, 2, 1, 0], [2, 2], "more provisional ids than the sentences' 4 tokens"),
        ([0, 1, 2], [2, 2], "3 provisional ids for sentences of 4 tokens"),
        ([0, 7, 2, 1], [2, 2], r"a provisional id outside \[0, 3\) in the block from token 0"),
    ],
)
def test_remapping_refuses_ids_that_do_not_fit_the_sentences(raw, lengths, message):
    """remap_ids checks its input instead of reading past an array (the kernel has no bounds
    checks): too many or too few ids for the sentence lengths, an id the mapping lacks."""
    from embedkit.encode import remap_ids

    source = io.BytesIO(np.array(raw, dtype=np.int32).tobytes())
    mapping = np.array([0, -1, 1], dtype=np.int32)
    with pytest.raises(RuntimeError, match=message):
        remap_ids(source, io.BytesIO(), np.array(lengths, dtype=np.int64), mapping)


def test_remapping_drops_sentences_left_empty_across_blocks(monkeypatch):
    """A sentence whose words are all outside the vocabulary vanishes, also when sentences
    straddle the blocks (block of 3 tokens here)."""
    import embedkit.encode as encode

    monkeypatch.setattr(encode, "_REMAP_TOKENS", 3)
    raw = np.array([0, 1, 1, 1, 1, 2, 0, 1, 2], dtype=np.int32)
    lengths = np.array([2, 3, 1, 3], dtype=np.int64)  # [0 1] [1 1 1] [2] [0 1 2]
    out = io.BytesIO()
    written, kept = encode.remap_ids(io.BytesIO(raw.tobytes()), out, lengths, np.array([5, -1, 6], dtype=np.int32))
    assert written == 4 and kept.tolist() == [1, 1, 2]
    assert np.frombuffer(out.getvalue(), dtype=np.int32).tolist() == [5, 6, 5, 6]
