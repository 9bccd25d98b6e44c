"""embedkit.train and the trainer registry: one call for every model family, the same results as
the family's own function, one report shape, and clear errors for what a trainer cannot take."""

import numpy as np
import pytest

import embedkit
from conftest import synthetic_lines
from embedkit.cli import cli
from embedkit.config import GloveConfig, LSAConfig, PPMIConfig, Word2VecConfig
from embedkit.encode import prepare_corpus
from embedkit.errors import ConfigError
from embedkit.models.count import train_lsa, train_ppmi
from embedkit.models.glove import train_glove
from embedkit.models.word2vec import train_word2vec
from embedkit.training import TRAINERS, Report, trainer, trainer_for
from embedkit.vectors import Embeddings
from embedkit.vocab import VocabOptions

CASES = [
    ("sgns", Word2VecConfig(dim=8, epochs=1, threads=1), train_word2vec),
    ("cbow", Word2VecConfig(architecture="cbow", dim=8, epochs=1, threads=1), train_word2vec),
    ("sgns", Word2VecConfig(loss="hs", dim=8, epochs=1, threads=1), train_word2vec),
    ("glove", GloveConfig(dim=8, window=4, epochs=2, threads=1), train_glove),
    ("ppmi", PPMIConfig(dim=8), train_ppmi),
    ("lsa", LSAConfig(dim=8), train_lsa),
]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    path = tmp_path_factory.mktemp("library") / "corpus.txt"
    path.write_text("".join(synthetic_lines(300)), encoding="utf-8")
    return prepare_corpus([path], vocab_options=VocabOptions(min_count=2), use_cache=False)


@pytest.mark.parametrize("name,config,direct", CASES, ids=lambda c: getattr(c, "name", None))
def test_train_dispatches_to_the_family_and_reports_one_shape(prepared, name, config, direct):
    assert trainer_for(config).name == name
    vectors, report = embedkit.train(prepared, config, progress=False)
    expected, _ = direct(prepared, config, **({"progress": False} if direct is not train_lsa else {}))
    assert isinstance(vectors, Embeddings) and isinstance(report, Report)
    np.testing.assert_array_equal(vectors.vectors, expected.vectors)  # one thread: deterministic
    assert vectors.words == expected.words
    assert (report.n_vectors, report.dim) == vectors.vectors.shape
    assert report.summary().startswith(f"{config.name}: {len(vectors):,} words x 8 dims")
    assert report.as_dict()["summary"] == report.summary()
    assert report.corpus is not None and report.corpus.words == len(prepared.vocab)


def test_registry_names_are_the_cli_model_choices():
    model_option = next(p for p in cli.commands["train"].params if p.name == "model")
    assert list(model_option.type.choices) == list(TRAINERS)


def test_unknown_names_configs_and_state_are_config_errors(prepared):
    with pytest.raises(ConfigError, match="unknown model 'skipgram'; known: sgns, cbow, fasttext, glove, ppmi, lsa"):
        trainer("skipgram")
    with pytest.raises(ConfigError, match="no trainer takes a dict"):
        embedkit.train(prepared, {"dim": 8})
    with pytest.raises(ConfigError, match="ppmi is not resumable"):
        embedkit.train(prepared, PPMIConfig(dim=8), checkpoint=lambda state, end: None)
    assert trainer("sgns").resumable and not trainer("lsa").resumable
    with pytest.raises(ConfigError, match="lsa has no model state"):
        trainer("lsa").state_class()


def test_the_name_fixes_its_selectors():
    assert trainer("cbow").make_config({"dim": 8}).architecture == "cbow"
    assert trainer("sgns").make_config({"loss": "hs"}).architecture == "skipgram"
    assert "negative" not in trainer("sgns").applicable({"loss": "hs"})
    assert "cbow_mean" in trainer("cbow").applicable({}) and "cbow_mean" not in trainer("sgns").applicable({})
