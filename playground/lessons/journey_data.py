"""The Journey's numbers: every names model the app knows, scored on the same validation split
(models.core.data.standard_split of the names list: the 10% `playground eval` calls "val").

Each shipped figure is computed the way `playground eval` computes it, from the shipped weights:

    uniform guessing   ln(27): every character equally likely
    counted bigram     `playground eval bigram --smoothing 1`: counts of train + 1, NLL on val
    neural bigram      assets/lessons/neural_bigram.npz (build_shipped.py trains it on the train
                       split: the lecture's recipe, full batch, lr 50), NLL on val
    MLP, MLP + batch norm, WaveNet   `playground eval names --weights assets/weights/names_*.npz`
    transformer        `playground eval attention --task names`

Functions here run in a worker: plain NumPy, no Qt.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from models.core.assets import asset_path
from models.core.data import default_names_path, load_words, standard_split

COUNT_SMOOTHING = 1.0  # add-one: with 0, a pair never seen in train makes the val loss infinite


@dataclass(frozen=True)
class Rung:
    key: str
    label: str  # as the ladder shows it
    tab: str  # the tab a click opens
    how: str  # where the shipped figure comes from (the rung's tooltip)


RUNGS = (
    Rung("uniform", "Uniform guessing", "bigram", "Every one of the 27 characters equally likely: ln 27."),
    Rung("counts", "Counted bigram", "bigram",
         "Bigram counts of the train split plus one (add-one smoothing): playground eval bigram --smoothing 1."),
    Rung("neural_bigram", "Neural bigram", "bigram",
         "softmax(one-hot · W) learned by gradient descent on the train split (assets/lessons/neural_bigram.npz)."),
    Rung("mlp", "MLP", "names", "Bengio 2003: 3 characters of context, tanh (assets/weights/names_mlp.npz)."),
    Rung("batchnorm", "MLP + batch norm", "names", "The same MLP with batch norm (assets/weights/names_batchnorm.npz)."),
    Rung("wavenet", "WaveNet", "names", "8 characters fused in pairs, 3 levels (assets/weights/names_wavenet.npz)."),
    Rung("transformer", "Transformer", "attention",
         "A small character transformer (assets/weights/attention_names.npz)."),
)
NAMES_WEIGHTS = {"mlp": "names_mlp.npz", "batchnorm": "names_batchnorm.npz", "wavenet": "names_wavenet.npz"}


def rung(key: str) -> Rung:
    return next(r for r in RUNGS if r.key == key)


@dataclass
class Figure:
    key: str  # the rung
    val_loss: float
    params: int  # parameters (for counts: the table's cells)
    seconds: float | None = None  # training time, when known
    steps: int | None = None
    note: str = ""


def names_words(path=None) -> list[str]:
    return load_words(path or default_names_path())


def shipped_figure(key: str, words: list[str] | None = None) -> Figure:
    """The shipped model of rung `key` on the val split of `words` (default: the names list)."""
    words = words if words is not None else names_words()
    if key == "uniform":
        V = len(set("".join(words))) + 1  # the letters and '.'
        return Figure(key, math.log(V), 0)
    if key == "counts":
        return counts_figure(words, COUNT_SMOOTHING)
    if key == "neural_bigram":
        from models.bigram.neural import NeuralBigram
        from models.core.checkpoint import load_model

        loaded = load_model(asset_path("lessons", "neural_bigram.npz"), NeuralBigram)
        return bigram_figure(loaded.model, words, steps=loaded.meta.get("steps"))
    if key in NAMES_WEIGHTS:
        from models.core.checkpoint import load_model
        from models.names.model import NamesModel

        loaded = load_model(asset_path("weights", NAMES_WEIGHTS[key]), NamesModel)
        return names_figure(loaded.model, words, key, steps=loaded.meta.get("steps"))
    if key == "transformer":
        from models.attention.saving import load

        loaded = load(asset_path("weights", "attention_names.npz"))
        model = loaded.model
        model.causal = bool(loaded.meta.get("causal", True))
        return transformer_figure(model, words, steps=loaded.meta.get("steps"))
    raise KeyError(key)


def counts_figure(words, smoothing: float) -> Figure:
    from models.bigram.counts import split_nll

    V = len(set("".join(words))) + 1
    return Figure("counts", split_nll(words, smoothing)["val"], V * V, note=f"k = {smoothing:g}")


def bigram_figure(model, words, steps=None, seconds=None) -> Figure:
    from models.bigram.counts import bigram_pairs
    from models.core.data import Vocab

    vocab = Vocab(tuple(model.itos)) if model.itos else Vocab.from_words(words)
    xs, ys = bigram_pairs(standard_split(words).val, vocab)
    _, loss = model.forward(xs, ys)
    return Figure("neural_bigram", float(loss), int(model.W.size), seconds, steps)


def names_rung(model) -> str:
    c = model.config
    return "wavenet" if c.wavenet else "batchnorm" if c.batchnorm else "mlp"


def names_figure(model, words, key=None, steps=None, seconds=None) -> Figure:
    from models.names.data import NamesData

    data = NamesData.from_words(words, model.block_size, vocab=model.vocab)
    val = data.split_losses(model, ("val",))["val"]
    return Figure(key or names_rung(model), val, model.num_params(), seconds, steps)


def transformer_figure(model, words, steps=None, seconds=None) -> Figure:
    from models.attention.data import names_data
    from models.attention.train import evaluate_loss

    data = names_data(words, model.itos, model.block_size)
    return Figure("transformer", evaluate_loss(model, *data.val), model.num_params(), seconds, steps)


def live_figure(key: str, model, words=None, steps=None, seconds=None) -> Figure:
    """A model from a tab (a copy the worker owns) on the same split."""
    words = words if words is not None else names_words()
    if key == "counts":
        return counts_figure(words, float(model))  # `model` is the tab's smoothing k
    if key == "neural_bigram":
        return bigram_figure(model, words, steps, seconds)
    if key in NAMES_WEIGHTS:
        return names_figure(model, words, key, steps, seconds)
    if key == "transformer":
        return transformer_figure(model, words, steps, seconds)
    raise KeyError(key)
