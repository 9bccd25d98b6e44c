"""Phrases (word2phrase and NPMI): scores equal a brute-force count, joining is greedy from the
left within a line, passes grow phrases, the shared corpus yields new_york and friends, and bad
options are one clean line."""

import math
from collections import Counter

import numpy as np
import pytest

from badinput import assert_clean_error, cli_run, unchanged
from conftest import synthetic_sentences
from embedkit.errors import ConfigError
from embedkit.phrases import PhraseOptions, Phrases, detect_phrases, join_phrases, score_candidates

CONNECTORS = frozenset({"w3", "w7"})


def encoded(sentences):
    words = [w for w, _ in Counter(t for s in sentences for t in s).most_common()]
    index = {w: i for i, w in enumerate(words)}
    ids = np.array([index[t] for s in sentences for t in s], dtype=np.int32)
    starts = np.concatenate([[0], np.cumsum([len(s) for s in sentences])]).astype(np.int64)
    counts = np.bincount(ids, minlength=len(words)).astype(np.int64)
    return words, ids, starts, counts


def brute_force(sentences, options, connectors=CONNECTORS):
    unigrams = Counter(t for s in sentences for t in s)
    total = sum(unigrams.values())
    phrases = Counter()
    for s in sentences:
        for i in range(len(s) - 1):
            if s[i] not in connectors and s[i + 1] not in connectors:
                phrases[(s[i], s[i + 1])] += 1
            if i + 2 < len(s) and s[i] not in connectors and s[i + 1] in connectors and s[i + 2] not in connectors:
                phrases[(s[i], s[i + 1], s[i + 2])] += 1
    scores = {}
    for key, n_ab in phrases.items():
        n_a, n_b = unigrams[key[0]], unigrams[key[-1]]
        if options.scoring == "word2phrase":
            ok = n_a >= options.min_count and n_b >= options.min_count
            scores[key] = (n_ab - options.min_count) / (n_a * n_b) * total if ok else 0.0
        elif n_ab < options.min_count:
            scores[key] = -math.inf
        else:
            p_ab = n_ab / total
            scores[key] = math.log(p_ab / (n_a / total * n_b / total)) / -math.log(p_ab)
    return phrases, scores


@pytest.mark.parametrize("scoring", ["word2phrase", "npmi"])
def test_scores_equal_a_brute_force_count(scoring):
    assert_scores_equal_brute_force(synthetic_sentences(300, seed=5), PhraseOptions(min_count=3, scoring=scoring))


def test_word2phrase_scores_equal_a_brute_force_count_on_wikipedia(wiki_slice):
    with open(wiki_slice, encoding="utf-8") as fh:
        sentences = [line.split() for line, _ in zip(fh, range(3000)) if line.split()]
    assert_scores_equal_brute_force(sentences, PhraseOptions(min_count=5), connectors=frozenset({"of", "the"}))


def assert_scores_equal_brute_force(sentences, options, connectors=CONNECTORS):
    words, ids, starts, counts = encoded(sentences)
    is_connector = np.array([w in connectors for w in words])
    first, connector, last, count, score = score_candidates(ids, starts, counts, is_connector, options)
    got = {}
    for f, c, la, n, sc in zip(first, connector, last, count, score):
        key = (words[f], words[c], words[la]) if c >= 0 else (words[f], words[la])
        got[key] = (int(n), float(sc))
    phrases, scores = brute_force(sentences, options, connectors)
    assert set(got) == set(phrases)
    assert any(len(k) == 3 for k in got)
    for key, n in phrases.items():
        assert got[key][0] == n
        assert got[key][1] == pytest.approx(scores[key], rel=1e-12) or got[key][1] == scores[key] == -math.inf


def test_joining_is_greedy_from_the_left_within_a_line():
    words = ["a", "b", "c", "of", "d"]
    # a b c | b c | a of d
    ids = np.array([0, 1, 2, 1, 2, 0, 3, 4], dtype=np.int32)
    starts = np.array([0, 3, 5, 8])
    phrases = Phrases(
        words,
        first=np.array([0, 1, 0]),
        connector=np.array([-1, -1, 3]),
        last=np.array([1, 2, 4]),
        count=np.array([9, 9, 9]),
        score=np.array([5.0, 5.0, 5.0]),
    )
    span = join_phrases(ids, starts, phrases, 1.0, np.array([False, False, False, True, False]))
    assert span.tolist() == [2, 0, 1, 2, 0, 3, 0, 0]
    assert join_phrases(ids, starts, phrases, 10.0, np.zeros(5, bool)).tolist() == [1] * 8


def tiny_corpus(path):
    rng = np.random.default_rng(1)
    filler = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    lines = []
    for i in range(3000):
        line = list(rng.choice(filler, 8))
        if i % 3 == 0:
            line[2:5] = ["new", "york", "city"] if i % 2 else ["new", "york", "times"]
        lines.append(" ".join(line))
    path.write_text("\n".join(lines) + "\n")
    return lines


def test_detect_phrases_writes_the_joined_text(tmp_path):
    lines = tiny_corpus(tmp_path / "c.txt")
    passes = detect_phrases([tmp_path / "c.txt"], tmp_path / "out.txt", PhraseOptions(thresholds=(5.0,)))
    out = (tmp_path / "out.txt").read_text().splitlines()
    assert len(out) == len(lines)
    assert [line.replace("_", " ") for line in out] == lines  # nothing lost, only joined
    assert "new_york" in out[0].split()
    assert passes[0][0].top(1, 5.0)[0][0] == "new_york"


def test_a_second_pass_grows_phrases(tmp_path):
    tiny_corpus(tmp_path / "c.txt")
    options = PhraseOptions(thresholds=(5.0, 4.0), passes=2)
    passes = detect_phrases([tmp_path / "c.txt"], tmp_path / "out.txt", options)
    tokens = Counter((tmp_path / "out.txt").read_text().split())
    assert tokens["new_york_city"] > 0 and tokens["new_york_times"] > 0
    assert [t for _, t, _ in passes] == [5.0, 4.0]


@pytest.mark.slow
def test_shared_corpus_phrases(shared_data, tmp_path):
    corpus = shared_data / "corpora" / "enwiki-100m.txt.gz"
    passes = detect_phrases([corpus], tmp_path / "out.txt")
    frequent = [text for text, _, _ in passes[0][0].top(200, 100.0)]
    for phrase in ("new_york", "united_states", "los_angeles"):
        assert phrase in frequent


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--threshold", "-1"], 1, "negative"),
        (["--scoring", "npmi", "--threshold", "1.5"], 1, "outside [-1, 1]"),
        (["--threshold", "ten"], 2, "numbers separated by commas"),
        (["--passes", "0"], 1, "at least 1"),
        (["--delimiter", "a b"], 1, "without whitespace"),
        (["-o", "no/dir/out.txt"], 1, "directory"),
    ],
)
def test_bad_options_are_one_clean_line(small_corpus, monkeypatch, args, code, message):
    monkeypatch.chdir(small_corpus.parent)
    full = ["phrases", small_corpus.name, *(["-o", "out.txt"] if "-o" not in args else []), *args]
    with unchanged(small_corpus.parent):
        result = cli_run(*full)
    if code == 1:
        assert_clean_error(result, contains=message)
    else:
        assert result.exit_code == 2 and message in result.output


def test_missing_corpus_is_one_clean_line(tmp_path):
    with unchanged(tmp_path):
        assert_clean_error(cli_run("phrases", tmp_path / "missing.txt", "-o", tmp_path / "o.txt"))


def test_option_check_in_the_library():
    with pytest.raises(ConfigError, match="finite"):
        PhraseOptions(thresholds=(math.nan,)).check()


def test_three_word_keys_do_not_overflow_with_millions_of_words():
    vocab = 3_000_000
    ids = np.array([2_999_999, 5, 2_999_998] * 3, dtype=np.int32)
    starts = np.array([0, 3, 6, 9])
    counts = np.zeros(vocab, dtype=np.int64)
    counts[[2_999_999, 5, 2_999_998]] = 3
    is_connector = np.zeros(vocab, dtype=bool)
    is_connector[5] = True
    first, connector, last, count, _ = score_candidates(ids, starts, counts, is_connector, PhraseOptions(min_count=1))
    assert (first.tolist(), connector.tolist(), last.tolist(), count.tolist()) == ([2_999_999], [5], [2_999_998], [3])


def test_long_lines_are_not_split(tmp_path):
    from embedkit.corpus import CorpusOptions

    (tmp_path / "c.txt").write_text("x y new york z\n" * 50)
    options = PhraseOptions(min_count=1, thresholds=(0.0,))
    detect_phrases([tmp_path / "c.txt"], tmp_path / "o.txt", options, CorpusOptions(max_sentence_length=3))
    lines = (tmp_path / "o.txt").read_text().splitlines()
    assert len(lines) == 50 and lines[0].replace("_", " ") == "x y new york z"


@pytest.mark.parametrize(
    "args, message",
    [(["--threshold", "200,100", "--passes", "1"], "2 thresholds for 1 pass"), (["--max-vocab", "10"], "--max-vocab")],
)
def test_inconsistent_options_are_usage_errors(small_corpus, args, message):
    result = cli_run("phrases", small_corpus, "-o", small_corpus.parent / "o.txt", *args)
    assert result.exit_code == 2 and message in result.output


def test_train_with_phrases_trains_on_the_joined_text(tmp_path):
    rng = np.random.default_rng(2)
    filler = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    lines = [" ".join(rng.choice(filler, 8)) + (" new york" if i % 100 == 0 else "") for i in range(3000)]
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(lines) + "\n")
    out = tmp_path / "v.txt"
    result = cli_run("train", corpus, "--phrases", "1", "-o", out, "--dim", "8", "--epochs", "1", "--no-cache")
    assert result.exit_code == 0, result.output
    assert "phrases joined: pass 1: 30" in result.output
    words = [line.split()[0] for line in out.read_text().splitlines()[1:]]
    assert "new_york" in words and "new" not in words


@pytest.mark.parametrize("value", ["-1", "11", "two"])
def test_train_phrases_out_of_range_is_a_usage_error(small_corpus, tmp_path, value):
    with unchanged(tmp_path):
        result = cli_run("train", small_corpus, "--phrases", value, "-o", tmp_path / "v.bin")
    assert result.exit_code == 2 and "--phrases" in result.output and "Traceback" not in result.output
