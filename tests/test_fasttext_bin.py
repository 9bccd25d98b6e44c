"""fastText ``.bin`` models load with fastText's vectors; subword models in the command line:
training, words outside the vocabulary in queries and evaluation, and bad input."""

import struct

import numpy as np
import pytest

from badinput import assert_clean_error, cli_run, unchanged
from embedkit.errors import VectorsFormatError
from embedkit.fasttext_bin import MAGIC, is_fasttext_bin
from embedkit.vectors import Embeddings

fasttext = pytest.importorskip("fasttext", reason="the fastText package (pip install fasttext-wheel) trains the models")

TEXT = "the cat sat on the mat über naïve café 東京 dog ran fast quick brown fox jumps over lazy dogs\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("ft") / "c.txt"
    rng = np.random.default_rng(0)
    words = TEXT.split()
    path.write_text("\n".join(" ".join(rng.choice(words, 12)) for _ in range(2000)) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=[("skipgram", 3, 6, 5000), ("cbow", 2, 4, 300), ("skipgram", 0, 0, 1000)])
def model(request, corpus, tmp_path_factory):
    kind, minn, maxn, bucket = request.param
    trained = fasttext.train_unsupervised(
        str(corpus), model=kind, dim=8, epoch=1, minCount=1, minn=minn, maxn=maxn, bucket=bucket, thread=1, verbose=0
    )
    path = tmp_path_factory.mktemp("bin") / "model.bin"
    trained.save_model(str(path))
    return trained, path


def test_vectors_equal_get_word_vector_in_and_out_of_vocabulary(model):
    trained, path = model
    loaded = Embeddings.load(path)
    assert loaded.words == list(trained.words)
    assert (loaded.subwords is not None) == (trained.get_subwords("x")[1].size > 0)
    queries = list(trained.words) + (["unseen", "catsy", "東京タワー", "überall"] if loaded.subwords else [])
    for word in queries:
        np.testing.assert_allclose(loaded.vector(word), trained.get_word_vector(word), atol=1e-5, rtol=0)


def test_limit_keeps_the_first_words_and_subwords(model):
    trained, path = model
    loaded = Embeddings.load(path, limit=3)
    assert loaded.words == list(trained.words[:3])
    if loaded.subwords is not None:
        np.testing.assert_allclose(loaded.vector("unseen"), trained.get_word_vector("unseen"), atol=1e-5)


def test_similar_answers_for_an_unseen_word(model):
    trained, path = model
    if trained.get_subwords("x")[1].size == 0:
        pytest.skip("no subwords in this model")
    result = cli_run("similar", "catsy", "--vectors", path, "-n", "3")
    assert result.exit_code == 0, result.output
    assert "not in the vocabulary" in result.output
    refused = cli_run("similar", "catsy", "--vectors", path, "--oov", "skip")
    assert_clean_error(refused, contains="catsy")


@pytest.mark.parametrize("case", ["truncated dictionary", "truncated matrix", "trailing", "version", "header only"])
def test_damaged_models_are_one_clean_line(model, tmp_path, case):
    _, path = model
    data = path.read_bytes()
    damaged = {
        "truncated dictionary": (data[:80], "truncated"),
        "truncated matrix": (data[: len(data) // 2], "truncated"),
        "trailing": (data + b"\0" * 7, "after the output matrix"),
        "version": (data[:4] + struct.pack("<i", 99) + data[8:], "version 99"),
        "header only": (data[:4], "truncated"),
    }[case]
    bad = tmp_path / "bad.bin"
    bad.write_bytes(damaged[0])
    with pytest.raises(VectorsFormatError, match=damaged[1]):
        Embeddings.load(bad)
    with unchanged(tmp_path):
        assert_clean_error(cli_run("similar", "cat", "--vectors", bad), contains=damaged[1])


def test_a_quantized_model_is_refused_in_one_line(corpus, tmp_path):
    labelled = tmp_path / "labelled.txt"
    lines = corpus.read_text(encoding="utf-8").splitlines()[:400]
    labelled.write_text("".join(f"__label__{i % 2} {line}\n" for i, line in enumerate(lines)), encoding="utf-8")
    model = fasttext.train_supervised(
        str(labelled), dim=8, epoch=1, minCount=1, wordNgrams=2, bucket=1000, thread=1, verbose=0
    )  # word bigrams keep the buckets: quantizing needs 256 rows or more
    model.quantize(input=str(labelled), qnorm=True, retrain=False, cutoff=0, dsub=2)
    path = tmp_path / "model.ftz"
    model.save_model(str(path))
    assert is_fasttext_bin(path)
    with unchanged(tmp_path):
        assert_clean_error(cli_run("similar", "cat", "--vectors", path), contains="quantized")


def test_a_foreign_file_is_not_taken_for_fasttext(tmp_path):
    other = tmp_path / "v.bin"
    Embeddings(["a", "b"], np.eye(2, dtype=np.float32)).save(other)
    assert not is_fasttext_bin(other)
    fake = tmp_path / "fake.bin"
    fake.write_bytes(struct.pack("<i", MAGIC) + b"\x05" * 30)
    with unchanged(tmp_path):
        assert_clean_error(cli_run("similar", "a", "--vectors", fake))


@pytest.fixture(scope="module")
def trained_subwords(wiki_slice, tmp_path_factory):
    out = tmp_path_factory.mktemp("sub") / "v.bin"
    result = cli_run(
        "train",
        "--model",
        "fasttext",
        wiki_slice,
        "-o",
        out,
        "--buckets",
        "100000",
        "--epochs",
        "2",
        "-q",
        "--no-cache",
    )
    assert result.exit_code == 0, result.output
    assert "sgns-subword" in result.output
    return out


def test_train_fasttext_writes_vectors_and_ngrams_and_queries_use_them(trained_subwords):
    assert trained_subwords.with_name("v.bin.ngrams").is_file()
    result = cli_run("similarity", "presidentt", "president", "--vectors", trained_subwords)
    assert result.exit_code == 0 and float(result.output.strip().splitlines()[-1]) > 0.4, result.output
    result = cli_run("analogy", "kingz", "man", "woman", "--vectors", trained_subwords)
    assert result.exit_code == 0, result.output


def test_evaluate_oov_choice_changes_the_coverage(trained_subwords, shared_data):
    rw = shared_data / "similarity" / "EN-RW-STANFORD.txt"
    if not rw.is_file():
        pytest.skip(f"{rw} is absent")
    with_subwords = cli_run("evaluate", "--dataset", rw, "--vectors", trained_subwords)
    skipped = cli_run("evaluate", "--dataset", rw, "--vectors", trained_subwords, "--oov", "skip")
    assert "with subword vectors, 0 OOV" in with_subwords.output, with_subwords.output
    assert "subword" not in skipped.output and " 0 OOV" not in skipped.output, skipped.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--maxn", "6", "--minn", "7"], "minn=7 exceeds maxn=6"),
        (["--model", "fasttext", "--buckets", "0"], "buckets must be in"),
        (["--model", "fasttext", "--vectors-out", "sum"], "does not apply to subword models"),
        (["--model", "fasttext", "--maxn", "101"], "maxn must be in"),
    ],
)
def test_bad_subword_options_are_one_clean_line(small_corpus, tmp_path, args, message):
    with unchanged(tmp_path):
        assert_clean_error(cli_run("train", small_corpus, "-o", tmp_path / "v.bin", *args), contains=message)
