"""Hard debiasing (Bolukbasi et al. 2016): a planted direction is found with the largest share of
variance, neutral words end with zero projection on it, equalized pairs are equidistant from
every neutral word, gendered words are kept; bad lists and outputs are one clean line."""

import json

import numpy as np
import pytest

from badinput import assert_clean_error, cli_run, unchanged
from embedkit.debias import bias_direction, hard_debias, load_word_lists, project
from embedkit.errors import ConfigError, EmbedkitError
from embedkit.vectors import Embeddings

DIM = 32
LISTS = load_word_lists()
NEUTRAL = ["nurse", "engineer", "doctor", "teacher", "table", "river", "music", "code", "soldier", "baby"]


@pytest.fixture(scope="module")
def planted():
    """Every pair word of the shipped lists: a shared base +- 0.6 g (female end +); neutral
    words random with a component along g; two gendered words; one zero row."""
    rng = np.random.default_rng(11)
    g = rng.normal(size=DIM)
    g /= np.linalg.norm(g)
    words, rows = [], []
    for first, second in dict.fromkeys((*LISTS.definitional, *LISTS.equalize)):
        base = rng.normal(size=DIM)
        base -= (base @ g) * g
        base /= np.linalg.norm(base)
        for word, sign in ((first, 1), (second, -1)):
            if word not in words:
                words.append(word)
                rows.append(base + sign * 0.6 * g + rng.normal(scale=0.02, size=DIM))
    for i, word in enumerate(NEUTRAL):
        words.append(word)
        rows.append(rng.normal(size=DIM) + (i - 4.5) * 0.4 * g)
    words += ["pregnancy", "beard", "empty"]
    rows += [rng.normal(size=DIM) + 2 * g, rng.normal(size=DIM) - 2 * g, np.zeros(DIM)]
    return Embeddings(words, np.array(rows)), g


def test_the_planted_direction_is_found_and_signed(planted):
    embeddings, g = planted
    found = bias_direction(embeddings, LISTS.definitional)
    assert found.direction @ g > 0.99  # signed towards the first word of the pairs
    assert found.explained[0] > 0.9 and found.explained[0] == found.explained.max()
    assert np.all(np.diff(found.explained) <= 1e-12) and found.explained.sum() <= 1 + 1e-9
    assert len(found.pairs) == 10 and not found.missing


def test_project_orders_words_by_their_component(planted):
    embeddings, g = planted
    found = bias_direction(embeddings, LISTS.definitional)
    positive, negative = project(embeddings, found.direction, topn=3)
    scores = embeddings.unit.astype(np.float64) @ found.direction
    assert [w for w, _ in positive] == [embeddings.words[i] for i in np.argsort(-scores)[:3]]
    assert [w for w, _ in negative] == [embeddings.words[i] for i in np.argsort(scores)[:3]]
    assert "empty" not in {w for w, _ in positive + negative}


def test_hard_debias_neutralizes_and_equalizes(planted):
    embeddings, _ = planted
    g = bias_direction(embeddings, LISTS.definitional).direction
    debiased, neutralized, equalized = hard_debias(embeddings, LISTS, g)
    assert neutralized == len(NEUTRAL)
    neutral = debiased.vectors[[debiased.index[w] for w in NEUTRAL]].astype(np.float64)
    assert np.abs(neutral @ g).max() < 1e-6
    assert np.abs(neutral @ g).max() < 1e-3 * np.abs(embeddings.unit[[embeddings.index[w] for w in NEUTRAL]] @ g).max()
    usable = debiased.usable
    np.testing.assert_allclose(np.linalg.norm(debiased.vectors[usable], axis=1), 1, atol=1e-6)
    pairs = [(a, b) for a, b in LISTS.equalize if a in debiased and b in debiased]
    assert equalized == len(set(pairs))
    for a, b in pairs:
        np.testing.assert_allclose(neutral @ debiased[a], neutral @ debiased[b], atol=1e-6)
        assert (debiased[a] - debiased[b]) @ g > 0  # the pair keeps its side
    for word in ("pregnancy", "beard"):  # gender-specific: only normalised
        np.testing.assert_allclose(debiased[word], embeddings.unit[embeddings.index[word]], atol=1e-7)
    assert not debiased["empty"].any()


def test_too_few_pairs_is_an_error():
    embeddings = Embeddings(["she", "he", "table"], np.eye(3))
    with pytest.raises(EmbedkitError, match="only 1 definitional pair"):
        bias_direction(embeddings, LISTS.definitional)


@pytest.mark.parametrize(
    "text, message",
    [
        ("definitional = [['a', 'b']]\n", "'equalize' must be"),
        ("definitional = [['a']]\nequalize = [['a', 'b']]\n", "'definitional' must be"),
        ("definitional = [['a', 'b']]\nequalize = [['a', 'b']]\nspecific = 'x'\n", "'specific' must be"),
        ("definitional = [", "not valid TOML"),
    ],
)
def test_bad_word_lists_are_a_config_error(tmp_path, text, message):
    path = tmp_path / "lists.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_word_lists(path)


@pytest.fixture
def files(tmp_path, planted):
    embeddings, _ = planted
    embeddings.save(tmp_path / "vectors.txt")
    Embeddings(["table", "chair"], np.eye(2)).save(tmp_path / "genderless.txt")
    (tmp_path / "bad.toml").write_text("definitional = 3\n")
    return tmp_path


def test_commands_direction_project_debias(files):
    vectors = ["--vectors", files / "vectors.txt"]
    shown = cli_run("bias", "direction", "--json", *vectors)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["explained"][0] > 0.9
    table = cli_run("bias", "project", "-n", 2, *vectors)
    assert table.exit_code == 0 and "woman end" in table.output
    done = cli_run("bias", "debias", "-o", files / "out.bin", *vectors)
    assert done.exit_code == 0, done.output
    assert f"neutralized {len(NEUTRAL)} words" in done.output
    out = Embeddings.load(files / "out.bin")
    g = bias_direction(Embeddings.load(files / "vectors.txt"), LISTS.definitional).direction
    assert np.abs(out.vectors[[out.index[w] for w in NEUTRAL]] @ g).max() < 1e-5


@pytest.mark.parametrize(
    "args, message",
    [
        (["bias", "direction", "--vectors", "missing.txt"], "not found"),
        (["bias", "direction", "--vectors", "genderless.txt"], "only 0 definitional"),
        (["bias", "project", "--vectors", "vectors.txt", "--lists", "bad.toml"], "'definitional' must be"),
        (["bias", "project", "--vectors", "vectors.txt", "--lists", "missing.toml"], "missing.toml"),
        (["bias", "debias", "--vectors", "vectors.txt", "-o", "no/dir/out.bin"], "directory"),
        (["bias", "debias", "--vectors", "vectors.txt", "-o", "vectors.txt"], "input"),
        (["bias", "debias", "--vectors", "genderless.txt", "-o", "out.bin"], "only 0 definitional"),
    ],
)
def test_bad_input_is_one_clean_line(files, monkeypatch, args, message):
    monkeypatch.chdir(files)
    with unchanged(files):
        result = cli_run(*args)
    assert_clean_error(result, contains=message)


def test_title_case_vocabularies_find_the_pairs():
    rng = np.random.default_rng(0)
    words = [w.title() for pair in LISTS.definitional for w in pair]
    found = bias_direction(Embeddings(words, rng.normal(size=(len(words), 8))), LISTS.definitional)
    assert len(found.pairs) == 10
