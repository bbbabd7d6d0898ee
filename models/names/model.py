"""A character-level MLP language model for names: Bengio et al. 2003, as built in the makemore
lectures (parts 2-5): embed the previous `block_size` characters, one or more tanh hidden
layers (optionally with batch norm), and a softmax over the next character.

Three presets: the classic MLP, the same with batch norm, and the WaveNet-style tree that fuses
the context two characters at a time (van den Oord et al. 2016; makemore part 5).
Training lives in names_train.py, the diagnostics the tab shows in names_diagnostics.py.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from models.core import checkpoint
from models.core.data import Vocab, context_windows, standard_split
from models.core.layers import (BatchNorm1d, CrossEntropy, Embedding, Flatten, FlattenConsecutive, Linear,
                           Sequential, Tanh, log_softmax, pack_parameters, softmax)
from models.core.blas import blas_threads

KIND = "names-mlp"
TANH_GAIN = 5 / 3  # Kaiming gain for tanh (as torch.nn.init.calculate_gain("tanh"))
LAST_LAYER_SCALE = 0.1  # a shy output layer: initial loss near ln(vocab), not confidently wrong


@dataclass
class NamesConfig:
    vocab_size: int = 27  # characters, including the start/end token '.'
    block_size: int = 3  # context length: how many previous characters the model sees
    n_embd: int = 10  # size of each character's embedding vector
    n_hidden: int = 200  # neurons per hidden layer
    batchnorm: bool = False  # BatchNorm1d between each hidden Linear and its tanh
    wavenet: bool = False  # fuse the context two at a time (log2(block_size) hidden layers)

    def validate(self) -> None:
        """Raise ValueError with a message for the user when the sizes make no model."""
        for name in ("vocab_size", "block_size", "n_embd", "n_hidden"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, not {value!r}.")
        if self.vocab_size < 2:
            raise ValueError("The vocabulary needs at least one character besides '.'.")
        if self.block_size > 64 or self.n_embd > 512 or self.n_hidden > 4096:
            raise ValueError("Those sizes are too large for this tab (context <= 64, embedding <= 512, "
                             "hidden <= 4096).")
        if self.wavenet and (self.block_size < 2 or self.block_size & (self.block_size - 1)):
            raise ValueError(f"The WaveNet model fuses characters in pairs, so its context length must be a "
                             f"power of two (2, 4, 8, 16, ...), not {self.block_size}.")

    @classmethod
    def from_dict(cls, d: dict) -> "NamesConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# The three lecture models; the training recipe that goes with each lives in names_train.PRESETS.
PRESETS = {
    "mlp": NamesConfig(block_size=3, n_embd=10, n_hidden=200),
    "batchnorm": NamesConfig(block_size=3, n_embd=10, n_hidden=200, batchnorm=True),
    "wavenet": NamesConfig(block_size=8, n_embd=24, n_hidden=128, batchnorm=True, wavenet=True),
}


def build_layers(config: NamesConfig, rng, dtype=np.float32) -> list:
    """The layer stack for a config: Kaiming init (gain 5/3 for tanh), a small last layer."""
    V, T, E, H, bn = config.vocab_size, config.block_size, config.n_embd, config.n_hidden, config.batchnorm

    def hidden(fan_in):
        block = [Linear(fan_in, H, bias=not bn, gain=TANH_GAIN, rng=rng, dtype=dtype)]  # BN has its own shift
        return block + ([BatchNorm1d(H, dtype=dtype)] if bn else []) + [Tanh()]

    layers = [Embedding(V, E, rng=rng, dtype=dtype)]
    if config.wavenet:
        layers += [FlattenConsecutive(2)] + hidden(2 * E)
        for _ in range(int(np.log2(T)) - 1):
            layers += [FlattenConsecutive(2)] + hidden(2 * H)
    else:
        layers += [Flatten()] + hidden(T * E)
    out = Linear(H, V, rng=rng, dtype=dtype)
    out.weight *= LAST_LAYER_SCALE
    return layers + [out]


class NamesModel:
    """The network, its vocabulary and its loss. makemore contract: forward(idx, targets) -> (logits, loss).

    Parameters sit in one flat float32 array (`params`, gradients in `grads`) that each layer
    views, so the optimiser updates everything in one call. Two graphs share those arrays:
    `net` in training mode (batch statistics; what steps run) and `infer` in eval mode (running
    statistics; losses, sampling), so evaluating between steps never disturbs what the training
    graph keeps for its backward pass and for the diagnostics."""

    def __init__(self, config: NamesConfig, vocab: Vocab | None = None, seed: int = 0, dtype=np.float32):
        config.validate()
        if vocab is not None and vocab.size != config.vocab_size:
            raise ValueError(f"vocab has {vocab.size} characters but the config says {config.vocab_size}")
        self.config = config
        self.vocab = vocab or Vocab(tuple(".abcdefghijklmnopqrstuvwxyz"[: config.vocab_size]))
        self.seed = seed
        self.net = Sequential(build_layers(config, np.random.default_rng(seed), dtype))
        self.params, self.grads = pack_parameters(self.net.layers, dtype)
        self.infer = self.net.twin()
        self.infer.train(False)
        self.criterion = CrossEntropy()
        self.eval_criterion = CrossEntropy()
        self.training = True

    @property
    def block_size(self) -> int:
        return self.config.block_size

    @property
    def layers(self) -> list:
        """The training graph's layers (their arrays are shared with the eval graph)."""
        return self.net.layers

    @property
    def dtype(self):
        return self.params.dtype

    def train(self, mode: bool = True) -> "NamesModel":
        """Choose the graph forward() uses: batch statistics (True) or running statistics."""
        self.training = mode
        return self

    def eval(self) -> "NamesModel":
        return self.train(False)

    # -- the math --------------------------------------------------------------------------
    def forward(self, idx, targets=None):
        """idx (B, block_size) ids -> (logits (B, V) (a fresh array), mean loss or None)."""
        net, criterion = (self.net, self.criterion) if self.training else (self.infer, self.eval_criterion)
        logits = net.forward(np.asarray(idx))  # (B, V)
        loss = criterion.forward(logits, np.asarray(targets)) if targets is not None else None
        return logits.copy(), loss

    __call__ = forward

    def loss_and_backward(self, idx, targets) -> float:
        """One training-mode forward and backward pass: returns the loss, leaves gradients in self.grads."""
        logits = self.net.forward(idx)  # (B, V), a layer buffer
        loss = self.criterion.forward(logits, targets)
        self.net.backward(self.criterion.backward())
        return loss

    def eval_loss(self, X, Y, chunk: int = 8192) -> float:
        """Eval-mode mean cross-entropy over a whole split, in chunks (no gradients)."""
        if len(Y) == 0:
            return float("nan")
        total = 0.0
        with blas_threads(1):
            for i in range(0, len(Y), chunk):
                logits = self.infer.forward(X[i:i + chunk])  # (b, V)
                total += self.eval_criterion.forward(logits, Y[i:i + chunk]) * len(Y[i:i + chunk])
        return total / len(Y)

    def next_char_probs(self, idx, temperature: float = 1.0) -> np.ndarray:
        """Eval-mode distribution over the next character for each context row: (B, V) float64."""
        with blas_threads(1):
            logits = self.infer.forward(np.asarray(idx)).astype(np.float64)  # (B, V)
        return softmax(logits / temperature, axis=1)

    # -- parameters, copies, files ---------------------------------------------------------
    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(name, param, grad) for every learned array, e.g. ("2.weight", W, dW)."""
        return [(f"{i}.{n}", getattr(layer, n), layer.grads[n])
                for i, layer in enumerate(self.layers) for n in layer.param_names]

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Everything a checkpoint holds: parameters and BatchNorm running statistics."""
        return {f"layers.{i}.{n}": getattr(layer, n)
                for i, layer in enumerate(self.layers) for n in (*layer.param_names, *layer.buffer_names)}

    def shapes(self) -> dict[str, tuple]:
        return {k: a.shape for k, a in self.state_arrays().items()}

    def set_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy arrays (already checked by checkpoint.check_shapes) into the model, in place."""
        for key, target in self.state_arrays().items():
            target[...] = arrays[key]

    def num_params(self) -> int:
        return int(self.params.size)

    def clone(self, dtype=None) -> "NamesModel":
        """An independent copy (optionally in another dtype, e.g. float64 for gradient checks)."""
        twin = NamesModel(NamesConfig(**asdict(self.config)), self.vocab, self.seed, dtype or self.dtype)
        twin.set_state_arrays(self.state_arrays())
        twin.train(self.training)
        return twin

    def save(self, path, meta: dict | None = None) -> Path:
        config = {**asdict(self.config), "itos": "".join(self.vocab.itos), "seed": self.seed}
        arrays = {k: a.astype(np.float32) for k, a in self.state_arrays().items()}
        return checkpoint.save(path, KIND, arrays, config, meta)

    @classmethod
    def load(cls, path) -> tuple["NamesModel", dict]:
        """A model rebuilt from a checkpoint -> (model, meta). Raises checkpoint.CheckpointError
        (a ValueError with a message for the user) for foreign files, other models, bad shapes."""
        name = Path(path).name
        arrays, config, meta = checkpoint.load(path, KIND)
        try:
            itos = str(config["itos"])
            cfg = NamesConfig.from_dict(config)
            cfg.validate()
            if len(itos) != cfg.vocab_size or len(set(itos)) != len(itos) or itos[0] != ".":
                raise ValueError("its vocabulary does not match its configuration")
        except (KeyError, TypeError, ValueError) as e:
            raise checkpoint.CheckpointError(f"{name} has a damaged names-MLP configuration ({e}).") from e
        model = cls(cfg, Vocab(tuple(itos)), int(config.get("seed", 0)))
        checkpoint.check_shapes(name, arrays, model.shapes())
        if not all(np.all(np.isfinite(a)) for a in arrays.values()):
            raise checkpoint.CheckpointError(f"{name} holds weights that are not finite numbers (NaN or inf).")
        model.set_state_arrays(arrays)
        return model, meta

    def describe(self) -> str:
        c = self.config
        kind = "WaveNet" if c.wavenet else "MLP"
        return (f"{kind}: context {c.block_size}, embedding {c.n_embd}, hidden {c.n_hidden}"
                f"{', batch norm' if c.batchnorm else ''} ({self.num_params():,} parameters)")


@dataclass
class NamesData:
    """A word list cut the standard way (80/10/10) into (context, next char) examples."""
    vocab: Vocab
    block_size: int
    Xtr: np.ndarray  # (N, block_size) context ids
    Ytr: np.ndarray  # (N,) next-character ids
    Xval: np.ndarray
    Yval: np.ndarray
    Xtest: np.ndarray
    Ytest: np.ndarray

    @classmethod
    def from_words(cls, words, block_size: int, vocab: Vocab | None = None) -> "NamesData":
        """Examples for `block_size`; with a given `vocab` (a loaded model's), characters it lacks
        are an error the user can read."""
        vocab = vocab or Vocab.from_words(words)
        unknown = sorted(set("".join(words)) - set(vocab.itos))
        if unknown:
            raise ValueError(f"The word list has characters this model never saw: {' '.join(unknown[:20])}")
        split = standard_split(words)
        parts = [context_windows(ws, vocab, block_size) if ws else (np.zeros((0, block_size)), np.zeros(0))
                 for ws in (split.train, split.val, split.test)]
        parts = [(X.astype(np.intp), Y.astype(np.intp)) for X, Y in parts]
        return cls(vocab, block_size, *parts[0], *parts[1], *parts[2])

    def split_losses(self, model: NamesModel, splits=("train", "val", "test")) -> dict[str, float]:
        """Eval-mode mean loss per split, e.g. {"train": 2.07, "val": 2.10}."""
        sets = {"train": (self.Xtr, self.Ytr), "val": (self.Xval, self.Yval), "test": (self.Xtest, self.Ytest)}
        return {s: model.eval_loss(*sets[s]) for s in splits}


def sample(model: NamesModel, n: int = 20, temperature: float = 1.0, seed: int = 0, max_len: int = 40) -> list[str]:
    """n names drawn one character at a time (all n in parallel) until each emits '.'."""
    if not temperature > 0:
        raise ValueError("The temperature must be above 0.")
    rng = np.random.default_rng(seed)
    T = model.block_size
    context = np.zeros((n, T), dtype=np.intp)  # (n, T) all '.' to start
    out = np.zeros((n, max_len), dtype=np.intp)
    alive = np.ones(n, dtype=bool)
    length = np.full(n, max_len)
    for t in range(max_len):
        probs = model.next_char_probs(context, temperature)  # (n, V)
        u = rng.random((n, 1))
        ix = np.minimum((np.cumsum(probs, axis=1) < u).sum(axis=1), probs.shape[1] - 1)  # (n,) inverse CDF
        ended = alive & (ix == 0)
        length[ended] = t
        alive &= ~ended
        out[:, t] = np.where(alive, ix, 0)
        context = np.concatenate([context[:, 1:], ix[:, None]], axis=1)
        if not alive.any():
            break
    return [model.vocab.decode(row[:k]) for row, k in zip(out, length)]


def char_probs(model: NamesModel, word: str) -> np.ndarray:
    """For each position of word + '.', the model's distribution over what comes next: (len+1, V).
    Row i was predicted from the characters before position i."""
    unknown = set(word) - set(model.vocab.itos[1:])
    if unknown:
        raise ValueError(f"This model does not know the characters {' '.join(sorted(unknown))}.")
    X, _ = context_windows([word], model.vocab, model.block_size)  # (len+1, T)
    return model.next_char_probs(X.astype(np.intp))


def word_loss(model: NamesModel, word: str) -> float:
    """Mean negative log-likelihood per character of a word (including its end)."""
    X, Y = context_windows([word], model.vocab, model.block_size)
    logp = log_softmax(model.infer.forward(X.astype(np.intp)).astype(np.float64), axis=1)  # (len+1, V)
    return float(-logp[np.arange(len(Y)), Y].mean())
