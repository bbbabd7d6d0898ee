"""The Names tab's one-shot work, run off the GUI thread through `tab.jobs` (playground.jobs).

Each function gets everything it needs as arguments (copies or objects the GUI thread no longer
changes), touches no widget, and returns a plain result the tab applies on the GUI thread:
a `Shown` (a model with everything its views show), `Samples`, gradient-check rows, ...
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.core import checkpoint
from models.core.checkpoint import CheckpointError
from models.core.data import Vocab, load_words
from models.core.sampling import sample_words
from models.core.training import Report
from models.names.data import NamesData
from models.names.diagnostics import check_gradients
from models.names.model import NamesConfig, NamesModel
from models.names.train import diagnose

DIAGNOSE_BATCH = 32  # examples of the side-effect-free step whose health a loaded or new model shows


@dataclass(frozen=True)
class SampleSettings:
    n: int = 20  # names per model
    temperature: float = 1.0
    top_k: int = 0  # keep only the k likeliest characters at each step; 0: all
    seed: int = 42


@dataclass
class Samples:
    """Names from the untrained and the trained model, each tagged with where the word list has
    it: "train", "val", "test" or "new"."""
    untrained: list[str] = field(default_factory=list)
    trained: list[str] = field(default_factory=list)
    untrained_tags: list[str] = field(default_factory=list)
    trained_tags: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # the trained names' tags, counted


@dataclass
class Shown:
    """A model ready to show: what the tab applies in one go on the GUI thread."""
    model: NamesModel
    meta: dict
    data: NamesData
    untrained: NamesModel  # the same architecture with fresh weights (the "before" of sampling)
    health: Report  # diagnose(): a side-effect-free step's diagnostics; .loss is its loss
    val_loss: float
    samples: Samples
    note: str = ""  # for the status bar
    losses: dict = field(default_factory=dict)  # a trained model's {"train", "val", "test"} losses


def words_of(path) -> list[str]:
    """A word list (WordListError, a ValueError, with a message otherwise)."""
    return load_words(path)


def data_for(model: NamesModel, words: list[str], data: NamesData | None) -> NamesData:
    """`data` if it fits the model's context and alphabet, else new examples (ValueError if
    the words have characters the model lacks)."""
    if data is not None and data.block_size == model.block_size and data.vocab == model.vocab:
        return data
    return NamesData.from_words(words, model.block_size, vocab=model.vocab)


def sample(untrained: NamesModel, trained: NamesModel, data: NamesData | None, settings: SampleSettings) -> Samples:
    """Both models' names, drawn in step (models.core.sampling) and tagged. The models must be
    this job's own (sampling runs forward passes, which use the models' scratch buffers)."""
    top_k = settings.top_k or None
    out = Samples()
    for which, model in (("untrained", untrained), ("trained", trained)):
        names = sample_words(model, model.vocab.decode, settings.n, settings.temperature, top_k, settings.seed)
        tags, counts = data.tags(names) if data is not None else (["new"] * len(names), {})
        setattr(out, which, names)
        setattr(out, f"{which}_tags", tags)
        if which == "trained":
            out.counts = counts
    return out


def prepare(model: NamesModel, meta: dict, words: list[str], data: NamesData | None, untrained_seed: int,
            settings: SampleSettings, note: str = "") -> Shown:
    """Everything the tab shows about `model` (which this job may use freely)."""
    data = data_for(model, words, data)
    rng = np.random.default_rng(0)
    ix = rng.integers(0, len(data.Ytr), DIAGNOSE_BATCH) if len(data.Ytr) else np.zeros(0, np.intp)
    health = diagnose(model, data.Xtr[ix], data.Ytr[ix])
    untrained = NamesModel(model.config, model.vocab, seed=untrained_seed)
    samples = sample(untrained.clone(), model.clone(), data, settings)
    losses = data.split_losses(model) if meta.get("steps") else {"val": model.eval_loss(data.Xval, data.Yval)}
    return Shown(model, dict(meta), data, untrained, health, losses["val"], samples, note, losses)


def load(path, words, data, untrained_seed, settings) -> Shown:
    """A weights file, ready to show. Any problem is a ValueError saying the current model stays."""
    try:
        loaded = checkpoint.load_model(path, NamesModel)
        return prepare(loaded.model, loaded.meta, words, data, untrained_seed, settings,
                       f"Loaded {loaded.model.describe()}")
    except (CheckpointError, ValueError) as e:
        raise ValueError(f"Could not load those weights; the current model stays. {e}") from None


def shipped(preset: str, path, config: NamesConfig, vocab: Vocab, words, data, seed, settings) -> Shown:
    """A preset's shipped weights; when they are missing or do not fit the word list, fresh
    weights of the preset's config (`config`), with a note saying why."""
    try:
        loaded = checkpoint.load_model(path, NamesModel)
        return prepare(loaded.model, loaded.meta, words, data, seed, settings,
                       f"Loaded the trained {preset} preset ({loaded.model.describe()})")
    except (CheckpointError, ValueError) as e:
        return fresh(config, vocab, seed, words, data, settings,
                     f"Shipped weights for {preset} not used ({e}); starting untrained.")


def fresh(config: NamesConfig, vocab: Vocab, seed: int, words, data, settings, note: str = "") -> Shown:
    model = NamesModel(config, vocab, seed=seed)
    return prepare(model, {}, words, data, seed, settings, note or f"New untrained model: {model.describe()}")


def save(path, model: NamesModel, meta: dict) -> str:
    """Write `model` (this job's own copy) atomically; returns the path for the status bar."""
    try:
        return str(checkpoint.save_model(path, model, meta))
    except OSError as e:
        raise ValueError(f"Could not save {path}: {e.strerror or e}") from None


def after_run(model: NamesModel, untrained: NamesModel, data: NamesData, settings: SampleSettings):
    """(val loss, Samples) of a model a run just trained (copies)."""
    return model.eval_loss(data.Xval, data.Yval), sample(untrained, model, data, settings)


def check(model: NamesModel, xb, yb):
    """A gradient check of (this job's copy of) `model` on (xb, yb) -> (rows, batch size)."""
    return check_gradients(model, xb, yb), len(yb)
