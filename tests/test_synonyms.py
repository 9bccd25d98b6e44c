"""TOEFL synonym questions and SCWS read from their published formats (tiny hand-made files):
answers and correlations equal hand computations; malformed files are one clean line."""

import json

import numpy as np
import pytest
from scipy import stats

from badinput import assert_clean_error, cli_run, unchanged
from embedkit.errors import DatasetError
from embedkit.evaluate import evaluate_scws, guess_kind
from embedkit.synonyms import evaluate_toefl, read_toefl
from embedkit.vectors import Embeddings

QST = (
    "1.\tenormously\n\ta.\tappropriately\n\tb.\tuniquely\n\tc.\ttremendously\n\td.\tdecidedly\n\n"
    "2.\tprovisions\n\ta.\tstipulations\n\tb.\tinterrelations\n\tc.\tjurisdictions\n\td.\tinterpretations\n\n"
    "3.\thaphazardly\n\ta.\tdangerously\n\tb.\tdensely\n\tc.\trandomly\n\td.\tlinearly\n\n"
    "4.\tzyzzyva\n\ta.\tappropriately\n\tb.\tuniquely\n\tc.\ttremendously\n\td.\tdecidedly\n"
)
ANS = "1\t(a,a,-)\t1\tc\n2\t(a,a,-)\t1\ta\n3\t(a,a,-)\t1\tc\n4\t(a,a,-)\t1\tb\n"
SCWS = [
    ("1", "Brazil", "n", "nut", "n", "gone to <b> Brazil </b> .", "eat a <b> nut </b> .", "1.1"),
    ("2", "king", "n", "queen", "n", "the <b> king </b> ruled", "the <b> queen </b> ruled", "8.5"),
    ("3", "cat", "n", "tiger", "n", "a <b> cat </b>", "a <b> tiger </b>", "7.35"),
    ("4", "king", "n", "nut", "n", "a <b> king </b>", "a <b> nut </b>", "0.9"),
    ("5", "cat", "n", "unseen", "n", "a <b> cat </b>", "an <b> unseen </b>", "3.0"),
]


def vectors():
    """Question 1 and 2 answered right (the answer is the probe's vector plus noise), 3 wrong."""
    rng = np.random.default_rng(2)
    words = sorted({w for line in QST.split("\n") for w in line.split("\t")[-1:] if w and w != "zyzzyva"})
    words += ["brazil", "nut", "king", "queen", "cat", "tiger"]
    table = {w: rng.normal(size=16) for w in words}
    table["tremendously"] = table["enormously"] + 0.1 * rng.normal(size=16)
    table["stipulations"] = table["provisions"] + 0.1 * rng.normal(size=16)
    table["densely"] = table["haphazardly"] + 0.1 * rng.normal(size=16)
    return Embeddings(list(table), np.array(list(table.values())))


@pytest.fixture
def files(tmp_path):
    (tmp_path / "toefl.qst").write_text(QST)
    (tmp_path / "toefl.ans").write_text(ANS)
    (tmp_path / "SCWS").mkdir()
    (tmp_path / "SCWS" / "ratings.txt").write_text("".join("\t".join(row + tuple(["5"] * 10)) + "\n" for row in SCWS))
    vectors().save(tmp_path / "vectors.txt")
    return tmp_path


def test_toefl_is_read_from_the_published_pair(files):
    questions = read_toefl(files / "toefl.qst")
    assert len(questions) == 4
    assert questions[0].probe == "enormously" and questions[0].choices[2] == "tremendously"
    assert [q.answer for q in questions] == [2, 0, 2, 1]


def test_toefl_accuracy_counts_right_answers_and_skips_oov(files):
    result = evaluate_toefl(vectors(), files / "toefl.qst")
    assert (result.correct, result.questions, result.oov_questions) == (2, 3, 1)
    assert result.accuracy == pytest.approx(2 / 3)


def test_scws_is_the_spearman_of_the_word_cosines(files):
    e = vectors()
    result = evaluate_scws(e, files / "SCWS" / "ratings.txt", "scws")
    used = SCWS[:4]
    cosines = [e.similarity(a.lower(), b.lower()) for _, a, _, b, *_ in used]
    expected = stats.spearmanr([float(r[-1]) for r in used], cosines).statistic
    assert result.spearman == pytest.approx(expected)
    assert (result.pairs, result.oov_pairs) == (4, 1)


def test_kinds_are_recognised(files):
    assert guess_kind(files / "toefl.qst") == "synonym"
    assert guess_kind(files / "SCWS" / "ratings.txt") == "contextual"


def test_evaluate_command_reads_both(files):
    vectors_option = ["--vectors", files / "vectors.txt"]
    toefl = cli_run("evaluate", "--dataset", files / "toefl.qst", "--json", *vectors_option)
    assert toefl.exit_code == 0, toefl.output
    assert json.loads(toefl.output)["accuracy"] == pytest.approx(2 / 3)
    named = cli_run("evaluate", "toefl", "--data-dir", files, *vectors_option)
    assert named.exit_code == 0 and "accuracy 0.6667 (2/3)" in named.output
    table = cli_run("evaluate", "all", "--data-dir", files, *vectors_option)
    assert table.exit_code == 0, table.output
    assert "toefl" in table.output and "scws" in table.output


@pytest.mark.parametrize(
    "qst, ans, message",
    [
        (QST.replace("\tb.\tuniquely", "\tc.\tuniquely", 1), ANS, "expected 'N. probe' or the next choice"),
        (QST.replace("\td.\tdecidedly\n\n2.", "\n2.", 1), ANS, "item 1 ('enormously') has 3 choices"),
        (QST, ANS.replace("4\t(a,a,-)\t1\tb\n", ""), "answers for 3 item(s)"),
        (QST, ANS.replace("\tc\n", "\tq\n", 1), "expected 'N ... letter'"),
        (QST, None, "toefl.ans"),
        (QST.replace("\td.\tdecidedly\n\n2.", "\td.\tdecidedly\n\ta.\tagain\n\n2.", 1), ANS, "next choice"),
        (QST.replace("2.\tprovisions", "1.\tprovisions"), ANS, "item number(s) 1 appear more than once"),
        ("4.\tzyzzyva\n\ta.\tx\n\tb.\ty\n\tc.\tz\n\td.\tw\n", "4 b\n", "no question has its probe"),
    ],
)
def test_malformed_toefl_is_a_clean_error(tmp_path, qst, ans, message):
    (tmp_path / "toefl.qst").write_text(qst)
    if ans is not None:
        (tmp_path / "toefl.ans").write_text(ans)
    vectors().save(tmp_path / "vectors.txt")
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate_toefl(vectors(), tmp_path / "toefl.qst")
    with unchanged(tmp_path):
        result = cli_run("evaluate", "--dataset", tmp_path / "toefl.qst", "--vectors", tmp_path / "vectors.txt")
    assert_clean_error(result)


def test_scws_with_too_few_fields_is_a_clean_error(tmp_path):
    (tmp_path / "ratings.txt").write_text("1\tking\tn\tqueen\tn\tctx\tctx\t8.5\n2\tking\tn\tqueen\n")
    vectors().save(tmp_path / "vectors.txt")
    with pytest.raises(DatasetError, match=":2: expected SCWS's"):
        evaluate_scws(vectors(), tmp_path / "ratings.txt")


def test_a_similarity_file_with_many_columns_is_not_scws(tmp_path):
    path = tmp_path / "SimLex-999.txt"
    path.write_text("word1\tword2\tPOS\tSimLex999\tconc(w1)\tconc(w2)\tconcQ\tAssoc(USF)\tSimAssoc333\tSD\n")
    assert guess_kind(path) == "similarity"
