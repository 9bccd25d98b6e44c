"""Models: everything needed to continue a training run, saved as a directory.

A *model* is distinct from a *vectors* file: vectors are what other tools read; a model is ours
and holds the config, the vocabulary with its counts, every trained array (word2vec's W and C;
GloVe's W and C with their biases and AdaGrad squared-gradient sums), the schedule position
(epoch, chunk or block, the random-generator state where one is kept), the per-chunk statistics
of the current epoch, and the options and shape of the corpus it was trained on.

Layout of ``DIR``::

    DIR/CURRENT              the name of the complete snapshot, e.g. "snapshot-000003"
    DIR/snapshot-000003/     model.json (written last), vocab.txt, one NAME.npy per array

A save writes a new snapshot beside the old one (under a temporary name, renamed when complete),
then replaces ``CURRENT`` atomically, then removes the old snapshot; the first save publishes the
whole directory at once. A kill at any moment leaves ``DIR`` absent or pointing at a complete
snapshot. ``model.json`` records each array's shape, dtype and CRC-32, checked on load.

Resuming (:meth:`Model.resume`) continues the schedule exactly where the snapshot left it: the
word2vec random streams are seeded per (seed, epoch, chunk) and GloVe's block order comes from
the saved generator state, so with ``threads=1`` resume + finish is bit-identical to an
uninterrupted run.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from . import __version__
from .config import config_from_options
from .corpus import CorpusOptions
from .encode import PreparedCorpus
from .errors import ConfigError, ModelError, StorageError, storage_error
from .files import atomic_directory, atomic_writer
from .training import resumable_kind, train, trainer_for
from .vectors import Embeddings
from .vocab import VocabOptions, Vocabulary

#: Version of the model directory layout; a model of another version is refused.
MODEL_FORMAT = 1
CURRENT = "CURRENT"
_META = "model.json"
_VOCAB = "vocab.txt"
#: Config fields renamed since format 1 was introduced: kind -> {old name: new name}.
_RENAMED_FIELDS = {"glove": {"alpha": "eta"}}


def is_model_directory(path: str | os.PathLike) -> bool:
    """Whether ``path`` looks like a model directory (holds a ``CURRENT`` file)."""
    return (Path(path) / CURRENT).is_file()


def _crc(array: np.ndarray) -> int:
    return zlib.crc32(memoryview(np.ascontiguousarray(array)).cast("B"))


@dataclass
class Model:
    """A resumable training run.

    Attributes
    ----------
    config : Word2VecConfig or GloveConfig
        The config of a resumable trainer (:attr:`embedkit.training.Trainer.resumable`).
    vocab : Vocabulary
        Words and counts, most frequent first (row ``i`` of every array is word ``i``).
    state : Word2VecState or GloveState
        Arrays and schedule position (the trainer's state class).
    corpus : dict
        ``tokens`` and ``sentences`` of the encoded corpus, ``corpus_options`` and
        ``vocab_options`` (so a resume prepares the text exactly as the first run did).
    text_rows : ndarray, int64 (V_text,), or None
        After continued training (:mod:`embedkit.continued`): the row in ``vocab`` of each word
        of the text's own vocabulary; None when the text's vocabulary is ``vocab`` itself.
    """

    config: object
    vocab: Vocabulary
    state: object
    corpus: dict
    text_rows: np.ndarray | None = None

    @property
    def kind(self) -> str:
        """What the model directory records: ``word2vec`` or ``glove``."""
        return trainer_for(self.config).kind

    @property
    def finished(self) -> bool:
        """True when every epoch of the config has been trained."""
        return self.state.epoch >= self.config.epochs

    @classmethod
    def start(
        cls, prepared: PreparedCorpus, config, corpus_options: CorpusOptions, vocab_options: VocabOptions
    ) -> Model:
        """A model before its first update (initial parameters from ``config.seed``).

        Raises
        ------
        ConfigError
            If ``config``'s trainer is not resumable; and the trainer's checks before allocating.
        """
        state = trainer_for(config).state_class().initial(prepared, config)
        corpus = {
            "tokens": prepared.encoded.n_tokens,
            "sentences": prepared.encoded.n_sentences,
            "corpus_options": asdict(corpus_options),
            "vocab_options": asdict(vocab_options),
        }
        return cls(config, prepared.vocab, state, corpus)

    # ------------------------------------------------------------------ training

    def train(
        self,
        prepared: PreparedCorpus,
        progress: bool = True,
        log: Callable[[str], None] | None = None,
        checkpoint: Callable[[object, bool], None] | None = None,
        use_cache: bool = True,
        **on_cluster,
    ):
        """Train from the current state to the end of the schedule.

        Parameters
        ----------
        prepared : PreparedCorpus
            The corpus the model was started on (checked: same vocabulary and token count).
        progress, log
            As the trainers take them.
        checkpoint : callable, optional
            ``checkpoint(state, epoch_end)`` after each kernel call (see :class:`Checkpointer`).
        use_cache : bool
            GloVe: keep the co-occurrence matrix in the cache.
        on_cluster
            ``cluster`` and ``sync_words``, as :func:`embedkit.training.train` takes them.

        Returns
        -------
        embeddings : Embeddings
            As ``config.vectors_out`` says.
        report
            The trainer's report (over all sessions of the run).

        Raises
        ------
        ModelError
            If ``prepared`` is not the corpus of the model.
        """
        self.check_corpus(prepared)
        if self.text_rows is not None:
            from .continued import remapped

            with remapped(prepared, self.vocab, self.text_rows) as merged:
                return self._train(merged, progress, log, checkpoint, use_cache, on_cluster)
        return self._train(prepared, progress, log, checkpoint, use_cache, on_cluster)

    def _train(self, prepared: PreparedCorpus, progress, log, checkpoint, use_cache, on_cluster):
        return train(
            prepared,
            self.config,
            progress=progress,
            log=log,
            use_cache=use_cache,
            state=self.state,
            checkpoint=checkpoint,
            **on_cluster,
        )

    def train_more(
        self,
        prepared: PreparedCorpus,
        *,
        progress: bool = True,
        log: Callable[[str], None] | None = None,
        checkpoint_factory: Callable | None = None,
        use_cache: bool = True,
        **changes,
    ):
        """Continue training on new text (vocabulary merged, learning rate restarted); see
        :func:`embedkit.continued.continue_training`. ``changes``: config fields to change
        (``epochs``, the learning rate, ``threads``; None values ignored)."""
        from .continued import continue_training

        return continue_training(self, prepared, changes, progress, log, checkpoint_factory, use_cache)

    def check_corpus(self, prepared: PreparedCorpus) -> None:
        """Refuse a corpus other than the one the model is trained on.

        Raises
        ------
        ModelError
            If the vocabulary (words or counts) or the number of encoded tokens differ.
        """
        if self.text_rows is None:
            same_words = prepared.vocab.words == self.vocab.words and np.array_equal(
                prepared.vocab.counts, self.vocab.counts
            )
        else:
            same_words = (
                len(prepared.vocab) == len(self.text_rows)
                and [self.vocab.words[r] for r in self.text_rows.tolist()] == prepared.vocab.words
            )
        same = prepared.encoded.n_tokens == self.corpus["tokens"] and same_words
        if not same:
            raise ModelError(
                f"this corpus is not the one the model was trained on ({len(prepared.vocab):,} words and "
                f"{prepared.encoded.n_tokens:,} tokens, the model has {len(self.vocab):,} words and "
                f"{self.corpus['tokens']:,} tokens); resume with the same corpus and options"
            )

    def embeddings(self, which: str | None = None) -> Embeddings:
        """The vectors: ``"input"`` (W), ``"sum"`` (W + C) or ``"concat"`` ([W, C]); default
        ``config.vectors_out``. float32 (V, dim) or (V, 2 dim).

        Raises
        ------
        ConfigError
            If the model has no output vectors for ``which`` (hierarchical softmax).
        """
        which = which or self.config.vectors_out
        return self.state.embeddings(self.vocab.words, self.config, which)

    # ------------------------------------------------------------------ files

    def save(self, directory: str | os.PathLike) -> float:
        """Write a snapshot into ``directory`` (see the module docstring); returns the seconds taken.

        Raises
        ------
        StorageError
            If the directory cannot be written (disk full, permission); the previous snapshot
            stays current.
        """
        try:
            return self._save(Path(directory))
        except OSError as exc:
            raise storage_error(exc, "save the model in", directory) from None

    def _save(self, directory: Path) -> float:
        started = time.perf_counter()
        if directory.exists() and not is_model_directory(directory):
            raise StorageError(f"cannot save the model in {directory}: it exists and is not a model directory")
        if not directory.exists():
            with atomic_directory(directory) as work:
                self._write_snapshot(work / "snapshot-000001")
                (work / CURRENT).write_text("snapshot-000001\n")
            return time.perf_counter() - started
        current = _current_snapshot(directory)
        name = (
            f"snapshot-{int(current.split('-')[-1]) + 1:06d}" if current.startswith("snapshot-") else "snapshot-000001"
        )
        with atomic_directory(directory / name, replace=True) as work:
            self._write_snapshot(work)
        with atomic_writer(directory / CURRENT, "w") as fh:
            fh.write(name + "\n")
        for old in directory.glob("snapshot-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        return time.perf_counter() - started

    def _write_snapshot(self, work: Path) -> None:
        work.mkdir(exist_ok=True)
        arrays, scalars = {}, {}
        for f in fields(self.state):
            value = getattr(self.state, f.name)
            if isinstance(value, np.ndarray):
                np.save(work / f"{f.name}.npy", value)
                arrays[f.name] = {"shape": list(value.shape), "dtype": value.dtype.str, "crc32": _crc(value)}
            else:
                scalars[f.name] = value
        if self.text_rows is not None:
            np.save(work / "text_rows.npy", self.text_rows)
            arrays["text_rows"] = {
                "shape": list(self.text_rows.shape),
                "dtype": self.text_rows.dtype.str,
                "crc32": _crc(self.text_rows),
            }
        self.vocab.save(work / _VOCAB)
        meta = {
            "format": MODEL_FORMAT,
            "embedkit": __version__,
            "kind": self.kind,
            "config": asdict(self.config),
            "state": scalars,
            "arrays": arrays,
            "corpus": self.corpus,
            "vocab": {"words": len(self.vocab), "crc32": zlib.crc32((work / _VOCAB).read_bytes())},
        }
        (work / _META).write_text(json.dumps(meta, indent=1))

    @classmethod
    def load(cls, directory: str | os.PathLike) -> Model:
        """Read the current snapshot of a model directory, checking every array's CRC-32.

        Raises
        ------
        ModelError
            If ``directory`` is not a model directory, is of another format version, or a file
            is missing, truncated or changed.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise ModelError(f"model directory not found: {directory}")
        if not is_model_directory(directory):
            raise ModelError(
                f"{directory} is not a model directory (no {CURRENT} file); save one with "
                "embedkit train --save-model DIR"
            )
        snapshot = directory / _current_snapshot(directory)
        for entry in snapshot.iterdir():
            if not entry.is_file() or entry.is_symlink():
                raise ModelError(f"{directory}: {entry.name} is not a regular file; the model is damaged")
        try:
            meta = json.loads((snapshot / _META).read_text())
            if meta.get("format") != MODEL_FORMAT:
                raise ModelError(
                    f"{directory}: a model of format {meta.get('format')!r}; this embedkit reads format {MODEL_FORMAT}"
                )
            entry = resumable_kind(meta["kind"])
            renamed = _RENAMED_FIELDS.get(meta["kind"], {})
            config = config_from_options(entry.config, {renamed.get(k, k): v for k, v in meta["config"].items()})
            vocab_bytes = (snapshot / _VOCAB).read_bytes()
            if zlib.crc32(vocab_bytes) != meta["vocab"]["crc32"]:
                raise ModelError(f"{directory}: {_VOCAB} was changed or damaged (checksum mismatch)")
            vocab = Vocabulary.load(snapshot / _VOCAB)
            values = dict(meta["state"])
            for name, record in meta["arrays"].items():
                array = np.load(snapshot / f"{name}.npy", allow_pickle=False)
                if (
                    list(array.shape) != record["shape"]
                    or array.dtype.str != record["dtype"]
                    or _crc(array) != record["crc32"]
                ):
                    raise ModelError(f"{directory}: {name}.npy was changed or damaged (shape, type or checksum)")
                values[name] = array
            text_rows = values.pop("text_rows", None)
            state = entry.state_class()(**values)
        except ModelError:
            raise
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"{directory}: damaged or incomplete model ({type(exc).__name__}: {exc})") from None
        except ConfigError as exc:
            raise ModelError(f"{directory}: the saved config is invalid ({exc})") from None
        model = cls(config, vocab, state, meta["corpus"], text_rows)
        if len(vocab) != meta["vocab"]["words"]:
            raise ModelError(f"{directory}: {_VOCAB} holds {len(vocab)} words, the model {meta['vocab']['words']}")
        problem = model._inconsistency()
        if problem:
            raise ModelError(f"{directory}: the saved state is inconsistent ({problem}); the model is damaged")
        return model

    def _inconsistency(self) -> str | None:
        """What does not fit together in a loaded model (position, counters, array shapes), or None."""
        state, n_words = self.state, len(self.vocab)
        integers = {
            "epoch": (0, self.config.epochs),
            "next_chunk": (0, 1 << 40),
            "next_block": (0, 1 << 40),
            "kept_words": (0, 1 << 62),
            "examples": (0, 1 << 62),
        }
        for name, (low, high) in integers.items():
            value = getattr(state, name, 0)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                return f"{name} = {value!r}"
        if not (isinstance(state.seconds, (int, float)) and np.isfinite(state.seconds) and state.seconds >= 0):
            return f"seconds = {state.seconds!r}"
        losses = state.losses
        if len(losses) != state.epoch or not all(isinstance(x, (int, float)) for x in losses):
            return f"{len(losses)} epoch losses for {state.epoch} epochs"
        for name, shape in state.shapes(n_words, self.config).items():
            if getattr(state, name).shape != shape:
                return f"{name} has shape {getattr(state, name).shape}, expected {shape}"
        if self.text_rows is not None and (
            self.text_rows.ndim != 1
            or self.text_rows.size == 0
            or self.text_rows.min() < 0
            or self.text_rows.max() >= n_words
        ):
            return "text_rows out of range"
        return None

    def describe(self) -> list[str]:
        """Lines for ``embedkit info``: kind, size, position in the schedule, corpus."""
        position = f"epoch {self.state.epoch} of {self.config.epochs}"
        if self.state.position:
            position += f" (+{self.state.position} {self.state.parts})"
        losses = self.state.losses
        return [
            f"model       {self.config.name} ({self.kind}), format {MODEL_FORMAT}",
            f"words       {len(self.vocab):,}",
            f"dimension   {self.config.dim}",
            f"trained     {position}{', finished' if self.finished else ''}; {self.state.seconds:.1f} s",
            f"last loss   {losses[-1]:.4f}" if losses else "last loss   (no epoch completed)",
            f"corpus      {self.corpus['tokens']:,} tokens in {self.corpus['sentences']:,} sentences",
        ]


def _current_snapshot(directory: Path) -> str:
    try:
        name = (directory / CURRENT).read_text().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"{directory}: cannot read {CURRENT} ({exc})") from None
    if not name.startswith("snapshot-") or "/" in name or not (directory / name).is_dir():
        raise ModelError(f"{directory}: {CURRENT} names {name!r}, which is not a snapshot of this model")
    return name


def parse_every(text: str) -> tuple[int | None, float | None]:
    """``--checkpoint-every``: ``"N"`` epochs or ``"Nm"`` minutes -> (epochs, seconds).

    Raises
    ------
    ConfigError
        For anything else, or a value that is not positive.
    """
    value = text.strip().lower()
    try:
        if value.endswith("m"):
            minutes = float(value[:-1])
            if not (minutes > 0 and np.isfinite(minutes)):
                raise ValueError
            return None, minutes * 60.0
        epochs = int(value)
        if epochs < 1:
            raise ValueError
        return epochs, None
    except ValueError:
        raise ConfigError(f"--checkpoint-every takes N (epochs) or Nm (minutes), N > 0; got {text!r}") from None


class Checkpointer:
    """Saves a model every ``epochs`` epochs (at epoch ends) or every ``seconds`` of training (at
    the next kernel-call boundary), as the trainers' ``checkpoint`` callback.

    Parameters
    ----------
    model : Model
        Its ``state`` is the object the trainer updates.
    directory : path
        The model directory.
    epochs, seconds : optional
        The interval (:func:`parse_every`); neither means: never (only the final save).
    log : callable, optional
        Receives one line per checkpoint (where, how long it took).
    """

    def __init__(
        self,
        model: Model,
        directory,
        epochs: int | None = None,
        seconds: float | None = None,
        log: Callable[[str], None] | None = None,
    ):
        self.model, self.directory, self.epochs, self.seconds, self.log = model, Path(directory), epochs, seconds, log
        self.last = time.monotonic()
        self.write_seconds: list[float] = []

    def __call__(self, state, epoch_end: bool) -> None:
        due = (
            self.epochs is not None
            and epoch_end
            and state.epoch % self.epochs == 0
            and state.epoch < self.model.config.epochs
        )
        due |= self.seconds is not None and time.monotonic() - self.last >= self.seconds
        if not due:
            return
        taken = self.model.save(self.directory)
        self.write_seconds.append(taken)
        self.last = time.monotonic()
        if self.log:
            self.log(
                f"checkpoint: {self.directory}, {self.model.describe()[3].split(maxsplit=1)[1]} "
                f"(written in {taken:.2f} s)"
            )
