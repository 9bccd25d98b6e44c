"""Training as a library call: one registry of trainers, one report shape, :func:`train`.

    prepared = prepare_corpus(["corpus.txt"])
    embeddings, report = embedkit.train(prepared, GloveConfig(dim=50))
    print(report.summary())

Every model family is a :class:`Trainer` in :data:`TRAINERS`, keyed by its ``--model`` name: its
config class, the function that trains it, its report type and — for the resumable ones — the
state a model directory saves. The CLI and :class:`embedkit.model.Model` look trainers up here;
nothing else dispatches on the kind of model. Trainer modules are imported on first use, so
importing this module does not load numba.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from types import MappingProxyType

import numpy as np

from .config import GloveConfig, LSAConfig, PPMIConfig, Word2VecConfig, applicable_fields, config_from_options
from .corpus import CorpusStats
from .encode import PreparedCorpus
from .errors import ConfigError
from .vectors import Embeddings


@dataclass(frozen=True)
class CorpusSummary:
    """The corpus a run trained on.

    Attributes
    ----------
    reading : CorpusStats
        What reading the text found (files, bytes, lines, tokens, split lines, bad UTF-8).
    words : int
        Vocabulary size.
    tokens, sentences : int
        Encoded (in-vocabulary) tokens and sentences.
    pruned_below : int
        Counts below this are lower bounds (the vocabulary was pruned while counting); 0: exact.
    """

    reading: CorpusStats
    words: int
    tokens: int
    sentences: int
    pruned_below: int = 0

    @classmethod
    def from_prepared(cls, prepared: PreparedCorpus) -> CorpusSummary:
        return cls.from_stats(prepared.stats, len(prepared.vocab), prepared.encoded.n_tokens)

    @classmethod
    def from_stats(cls, stats: Mapping, words: int, tokens: int) -> CorpusSummary:
        """From the stats dict of a prepared corpus (as cached: extra keys are ignored)."""
        known = {f.name for f in fields(CorpusStats)}
        reading = CorpusStats(**{k: v for k, v in stats.items() if k in known})
        sentences = stats.get("encoded_sentences", reading.sentences)
        return cls(reading, words, tokens, sentences, stats.get("pruned_below", 0) or 0)

    def warnings(self) -> list[str]:
        """Notes on what reading changed in the text, and on pruned counts."""
        notes = self.reading.warnings()
        if self.pruned_below:
            notes.append(
                f"vocabulary pruned while counting: counts of words below {self.pruned_below} are lower bounds"
            )
        return notes


@dataclass(kw_only=True)
class Report:
    """What a training run did; every trainer's report extends this.

    Attributes
    ----------
    model : str
        The config's name (``sgns``, ``cbow-hs``, ``glove``, ``ppmi``, ``lsa``...).
    seconds : float
        Wall time of training (all sessions of a resumed run).
    epoch_losses : list of float
        Loss after each epoch (word2vec: mean per example; GloVe: J / nnz); empty for the SVD models.
    n_vectors, dim : int
        Shape of the vectors produced.
    corpus : CorpusSummary or None
        The corpus trained on (None when trained from a co-occurrence matrix alone).
    """

    model: str
    seconds: float = 0.0
    epoch_losses: list[float] = field(default_factory=list)
    n_vectors: int = 0
    dim: int = 0
    corpus: CorpusSummary | None = None

    def summary(self) -> str:
        """The one-line summary printed at the end of training."""
        return f"{self.model}: {self.n_vectors:,} words x {self.dim} dims{self.details()}"

    def details(self) -> str:
        """The model-specific rest of :meth:`summary` (starts with its separator)."""
        return f" in {self.seconds:.1f} s"

    def as_dict(self) -> dict:
        """Every field (nested dataclasses as dicts) and the summary: JSON-serialisable."""
        return {**asdict(self), "summary": self.summary()}


def output_vectors(inputs: np.ndarray, outputs: np.ndarray | None, which: str) -> np.ndarray:
    """The vectors to write: ``input`` W (V, D), ``sum`` W + C (V, D) or ``concat`` [W, C] (V, 2D).

    ``outputs`` may be None when ``which`` is ``"input"``.
    """
    if which == "input":
        return inputs
    if which == "sum":
        return inputs + outputs
    return np.hstack([inputs, outputs])


def _load(reference: str):
    module, name = reference.split(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class Trainer:
    """One model family of the registry.

    Attributes
    ----------
    name : str
        The ``--model`` name.
    config : type
        Its config dataclass.
    function : str
        ``"module:function"`` of the trainer, called as ``function(prepared, config, *, progress,
        log, ...)`` with the keywords of :func:`train` it accepts.
    report : str
        ``"module:class"`` of the report it returns (a :class:`Report`).
    state : str or None
        ``"module:class"`` of the state a model directory saves; None: not resumable.
    kind : str
        The name a model directory records (``word2vec`` for sgns and cbow).
    selectors : mapping
        Config fields the name fixes (``{"architecture": "cbow"}``).
    defaults : mapping
        Config defaults of this name that differ from the config class's (fastText's
        ``{"maxn": 6, ...}``); given options override them.
    """

    name: str
    config: type
    function: str
    report: str
    state: str | None = None
    kind: str = ""
    selectors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    defaults: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def resumable(self) -> bool:
        """Whether runs can be saved as models, checkpointed, resumed and continued."""
        return self.state is not None

    def trainer(self) -> Callable:
        return _load(self.function)

    def report_class(self) -> type:
        return _load(self.report)

    def state_class(self) -> type:
        if self.state is None:
            raise ConfigError(f"{self.name} has no model state (it is not resumable)")
        return _load(self.state)

    def matches(self, config) -> bool:
        """Whether ``config`` is one of this trainer's."""
        return type(config) is self.config and all(getattr(config, k) == v for k, v in self.selectors.items())

    def selector_values(self, options: Mapping) -> dict[str, str]:
        """The value of every selector field of the config (fixed by the name, given, or default)."""
        names = {key for f in fields(self.config) for key in f.metadata.get("only", {})}
        defaults = {f.name: f.default for f in fields(self.config)}
        return {k: self.selectors.get(k) or options.get(k) or defaults[k] for k in names}

    def applicable(self, options: Mapping) -> set[str]:
        """The config fields that apply with ``options`` (see :func:`embedkit.config.applicable_fields`)."""
        return applicable_fields(self.config, **self.selector_values(options))

    def make_config(self, options: Mapping):
        """The config from ``options`` (None values ignored) and the selectors of the name.

        Raises
        ------
        ConfigError
            On an invalid value.
        """
        given = {k: v for k, v in options.items() if v is not None}
        return config_from_options(self.config, {**self.defaults, **given, **self.selectors})


_W2V = "embedkit.models.word2vec"
#: ``--model fasttext``: skip-gram with subwords and fastText's defaults (``fasttext skipgram``:
#: -minn 3 -maxn 6 -bucket 2000000 -lr 0.05 -t 1e-4; dim, window, negative, epochs and min_count
#: are word2vec's already).
FASTTEXT_DEFAULTS = {"minn": 3, "maxn": 6, "buckets": 2_000_000, "alpha": 0.05, "sample": 1e-4}
_GLOVE = "embedkit.models.glove"
_COUNT = "embedkit.models.count"
#: The registry: ``--model`` name -> trainer.
TRAINERS: Mapping[str, Trainer] = MappingProxyType(
    {
        t.name: t
        for t in (
            Trainer(
                "sgns",
                Word2VecConfig,
                f"{_W2V}:train_word2vec",
                f"{_W2V}:TrainReport",
                f"{_W2V}:Word2VecState",
                "word2vec",
                MappingProxyType({"architecture": "skipgram"}),
            ),
            Trainer(
                "cbow",
                Word2VecConfig,
                f"{_W2V}:train_word2vec",
                f"{_W2V}:TrainReport",
                f"{_W2V}:Word2VecState",
                "word2vec",
                MappingProxyType({"architecture": "cbow"}),
            ),
            Trainer(
                "fasttext",
                Word2VecConfig,
                f"{_W2V}:train_word2vec",
                f"{_W2V}:TrainReport",
                f"{_W2V}:Word2VecState",
                "word2vec",
                MappingProxyType({"architecture": "skipgram"}),
                MappingProxyType(FASTTEXT_DEFAULTS),
            ),
            Trainer(
                "glove", GloveConfig, f"{_GLOVE}:train_glove", f"{_GLOVE}:GloveReport", f"{_GLOVE}:GloveState", "glove"
            ),
            Trainer("ppmi", PPMIConfig, f"{_COUNT}:train_ppmi", f"{_COUNT}:CountReport", kind="ppmi"),
            Trainer("lsa", LSAConfig, f"{_COUNT}:train_lsa", f"{_COUNT}:CountReport", kind="lsa"),
        )
    }
)


def trainer(name: str) -> Trainer:
    """The trainer of ``--model`` ``name``.

    Raises
    ------
    ConfigError
        For an unknown name (the message lists the known ones).
    """
    try:
        return TRAINERS[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; known: {', '.join(TRAINERS)}") from None


def trainer_for(config) -> Trainer:
    """The trainer of a config object.

    Raises
    ------
    ConfigError
        If ``config`` is not a config of any registered trainer.
    """
    for entry in TRAINERS.values():
        if entry.matches(config):
            return entry
    raise ConfigError(f"no trainer takes a {type(config).__name__}")


def resumable_kind(kind: str) -> Trainer:
    """The (first) resumable trainer whose model directories record ``kind``.

    Raises
    ------
    ConfigError
        For a kind no resumable trainer records.
    """
    for entry in TRAINERS.values():
        if entry.resumable and entry.kind == kind:
            return entry
    raise ConfigError(f"unknown model kind {kind!r}")


def train(
    prepared: PreparedCorpus,
    config,
    *,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    use_cache: bool = True,
    state=None,
    checkpoint: Callable[[object, bool], None] | None = None,
    cluster=None,
    sync_words: int | None = None,
) -> tuple[Embeddings, Report]:
    """Train the model ``config`` describes on a prepared corpus.

    Parameters
    ----------
    prepared : PreparedCorpus
        From :func:`embedkit.encode.prepare_corpus`.
    config : Word2VecConfig, GloveConfig, PPMIConfig or LSAConfig
        Picks the trainer (:func:`trainer_for`) and its hyper-parameters.
    progress : bool
        Show progress bars (where the trainer has them).
    log : callable, optional
        Receives one-line notes (epoch ends, stage times).
    use_cache : bool
        Keep derived data (co-occurrence counts) in the corpus's cache entry.
    state : optional
        Resumable trainers only: continue from this state (updated in place).
    checkpoint : callable, optional
        Resumable trainers only: ``checkpoint(state, epoch_end)`` after every kernel call.
    cluster : distributed.Client, optional
        word2vec: train data-parallel on this Dask cluster, ``sync_words`` words per worker per
        round (:mod:`embedkit.models.word2vec_cluster`). The other trainers run in this process
        (GloVe and PPMI read co-occurrences the cluster counted into the cache).

    Returns
    -------
    embeddings : Embeddings
        float32 (V, dim) — (V, 2 dim) with ``vectors_out="concat"``.
    report : Report
        The trainer's report; ``report.summary()`` is one line.

    Raises
    ------
    ConfigError
        For a config no trainer takes, or ``state``/``checkpoint`` given to a trainer that is not
        resumable; and whatever the trainer raises (:class:`embedkit.errors.EmbedkitError` subclasses).
    """
    entry = trainer_for(config)
    if (state is not None or checkpoint is not None) and not entry.resumable:
        raise ConfigError(f"{config.name} is not resumable: it takes no state or checkpoint")
    function = entry.trainer()
    offered = {"progress": progress, "log": log, "use_cache": use_cache, "state": state, "checkpoint": checkpoint}
    offered |= {"cluster": cluster, "sync_words": sync_words} if cluster is not None else {}
    accepted = inspect.signature(function).parameters
    return function(prepared, config, **{k: v for k, v in offered.items() if k in accepted})
