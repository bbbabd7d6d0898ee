"""A character-level MLP language model for names: Bengio et al. 2003, as built in the makemore
lectures (parts 2-5): embed the previous `block_size` characters, one or more tanh hidden
layers (optionally with batch norm), and a softmax over the next character.

Three presets: the classic MLP, the same with batch norm, and the WaveNet-style tree that fuses
the context two characters at a time (van den Oord et al. 2016; makemore part 5). The flat model
can also be a deep stack of N Linear(-BatchNorm)-Tanh blocks, and its initialisation is a set of
knobs (hidden gain, output scale, bias scale), for the experiments of makemore part 3.
Training lives in train.py, the diagnostics the tab shows in diagnostics.py.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np

from models.core import checkpoint
from models.core.blas import blas_threads
from models.core.data import Vocab, context_windows
from models.core.layers import (BatchNorm1d, CrossEntropy, Embedding, Flatten, FlattenConsecutive, Linear,
                                Sequential, Tanh, pack_parameters)
from models.core.sampling import evaluating, next_token_probs
from models.names.fused import FusedMLP

KIND = "names-mlp"
TANH_GAIN = 5 / 3  # Kaiming gain for tanh (as torch.nn.init.calculate_gain("tanh"))
LAST_LAYER_SCALE = 0.1  # the default shy output layer: initial loss near ln(vocab), not confidently wrong
MAX_LAYERS = 6  # hidden blocks of the deep stack
MAX_PARAMS = 4_000_000  # more would not train at a useful speed here (and a damaged file could ask for GBs)


@dataclass
class NamesConfig:
    vocab_size: int = 27  # characters, including the start/end token '.'
    block_size: int = 3  # context length: how many previous characters the model sees
    n_embd: int = 10  # size of each character's embedding vector
    n_hidden: int = 200  # neurons per hidden layer
    batchnorm: bool = False  # BatchNorm1d between each hidden Linear and its tanh
    wavenet: bool = False  # fuse the context two at a time (log2(block_size) hidden layers)
    n_layers: int = 1  # hidden Linear(-BatchNorm)-Tanh blocks of the flat model (the lecture's deep stack: 5)
    gain: float = TANH_GAIN  # hidden weights ~ N(0, 1) * gain / sqrt(fan_in); 5/3 is Kaiming's for tanh
    out_scale: float | None = None  # output weights ~ N(0, 1) * this; None: 0.1 / sqrt(n_hidden)
    bias_init: float = 0.0  # biases ~ N(0, 1) * this; 0: zeros (the lecture's bad start has 1)

    def validate(self) -> None:
        """Raise ValueError with a message for the user when the sizes make no model."""
        for name in ("vocab_size", "block_size", "n_embd", "n_hidden", "n_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, not {value!r}.")
        if self.vocab_size < 2:
            raise ValueError("The vocabulary needs at least one character besides '.'.")
        if self.block_size > 64 or self.n_embd > 512 or self.n_hidden > 4096:
            raise ValueError("Those sizes are too large for this tab (context <= 64, embedding <= 512, "
                             "hidden <= 4096).")
        if self.n_layers > MAX_LAYERS:
            raise ValueError(f"The deep stack has at most {MAX_LAYERS} hidden layers, not {self.n_layers}.")
        if self.wavenet and (self.block_size < 2 or self.block_size & (self.block_size - 1)):
            raise ValueError(f"The WaveNet model fuses characters in pairs, so its context length must be a "
                             f"power of two (2, 4, 8, 16, ...), not {self.block_size}.")
        if self.num_params() > MAX_PARAMS:
            raise ValueError(f"That model would have {self.num_params():,} parameters; this tab trains models "
                             f"of up to {MAX_PARAMS:,}. Make it smaller.")
        scales = [self.gain, self.bias_init] + ([] if self.out_scale is None else [self.out_scale])
        if not all(isinstance(s, (int, float)) and math.isfinite(s) and 0 <= s <= 100 for s in scales):
            raise ValueError("The gain, output scale and bias scale must be numbers from 0 to 100.")

    def num_params(self) -> int:
        """Learned numbers of the model this config builds (as build_layers makes it)."""
        V, T, E, H, bn = self.vocab_size, self.block_size, self.n_embd, self.n_hidden, self.batchnorm
        fan_ins = ([2 * E] + [2 * H] * (int(math.log2(T)) - 1)) if self.wavenet else [T * E] + [H] * (self.n_layers - 1)
        per_layer = sum(f * H for f in fan_ins) + len(fan_ins) * (2 * H if bn else H)  # weights + shift (and scale)
        return V * E + per_layer + H * V + V

    @property
    def depth(self) -> int:
        """Hidden tanh layers."""
        return int(math.log2(self.block_size)) if self.wavenet else self.n_layers

    @classmethod
    def from_dict(cls, d: dict) -> "NamesConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


# The three lecture models; the training recipe that goes with each lives in train.RECIPES.
PRESETS = {
    "mlp": NamesConfig(block_size=3, n_embd=10, n_hidden=200),
    "batchnorm": NamesConfig(block_size=3, n_embd=10, n_hidden=200, batchnorm=True),
    "wavenet": NamesConfig(block_size=8, n_embd=24, n_hidden=128, batchnorm=True, wavenet=True),
}


def build_layers(config: NamesConfig, rng, dtype=np.float32, bias_rng=None) -> list:
    """The layer stack for a config. Biases (when bias_init > 0) come from `bias_rng`, so the
    weights of a seed are the same whatever the bias scale."""
    V, T, E, H, bn = config.vocab_size, config.block_size, config.n_embd, config.n_hidden, config.batchnorm

    def hidden(fan_in):
        block = [Linear(fan_in, H, bias=not bn, gain=config.gain, rng=rng, dtype=dtype)]  # BN has its own shift
        return block + ([BatchNorm1d(H, dtype=dtype)] if bn else []) + [Tanh()]

    layers = [Embedding(V, E, rng=rng, dtype=dtype)]
    if config.wavenet:
        layers += [FlattenConsecutive(2)] + hidden(2 * E)
        for _ in range(int(np.log2(T)) - 1):
            layers += [FlattenConsecutive(2)] + hidden(2 * H)
    else:
        layers += [Flatten()] + hidden(T * E)
        for _ in range(config.n_layers - 1):
            layers += hidden(H)
    out = Linear(H, V, rng=rng, dtype=dtype)  # N(0, 1) / sqrt(H)
    if config.out_scale is None:
        out.weight *= LAST_LAYER_SCALE
    else:
        out.weight *= np.asarray(config.out_scale * math.sqrt(H), dtype)  # N(0, 1) * out_scale
    layers.append(out)
    if config.bias_init:
        bias_rng = bias_rng if bias_rng is not None else np.random.default_rng()
        for layer in layers:
            if isinstance(layer, Linear) and layer.bias is not None:
                layer.bias[...] = bias_rng.standard_normal(layer.bias.shape) * config.bias_init
    return layers


@checkpoint.register
class NamesModel:
    """The network, its vocabulary and its loss. makemore contract: forward(idx, targets) ->
    (logits, loss), then backward() fills the gradients.

    Parameters sit in one flat array (`params`, gradients in `grads`) that each layer views, so
    the optimiser updates everything in one call. Two graphs share those arrays: `net` in
    training mode (batch statistics; what steps run) and `infer` in eval mode (running
    statistics; losses, sampling), so evaluating between steps never disturbs what the training
    graph keeps for its backward pass and for the diagnostics."""
    kind = KIND
    fixed_context = True  # the context is a window of block_size characters, '.'-padded

    def __init__(self, config: NamesConfig, vocab: Vocab | None = None, seed: int = 0, dtype=np.float32):
        config.validate()
        if vocab is not None and vocab.size != config.vocab_size:
            raise ValueError(f"vocab has {vocab.size} characters but the config says {config.vocab_size}")
        self.config = config
        self.vocab = vocab or Vocab(tuple(".abcdefghijklmnopqrstuvwxyz"[: config.vocab_size]))
        self.seed = seed
        layers = build_layers(config, np.random.default_rng(seed), dtype, bias_rng=np.random.default_rng((seed, 1)))
        self.net = Sequential(layers)
        self.params, self.grads = pack_parameters(self.net.layers, dtype)
        self.infer = self.net.twin()
        self.infer.train(False)
        self.criterion = CrossEntropy()
        self.eval_criterion = CrossEntropy()
        # the plain MLP trains through a hand-written step (fused.py): the same math, less Python
        self.fused = FusedMLP(self.net.layers) if FusedMLP.fits(self.net.layers) else None
        self.training = True
        self._backward_ready = False

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
        if self.training and targets is not None:
            idx, targets = np.asarray(idx), np.asarray(targets)
            V = self.config.vocab_size
            if idx.size and not (0 <= idx.min() and idx.max() < V and 0 <= targets.min() and targets.max() < V):
                raise IndexError(f"character ids must be in [0, {V})")
            with np.errstate(over="ignore"):  # an overflowing exp is redone (FusedMLP._cross_entropy)
                loss = self.train_loss(idx, targets)
            return self._logits.copy(), loss
        logits = (self.net if self.training else self.infer).forward(np.asarray(idx))  # (B, V)
        loss = None if targets is None else self.eval_criterion.forward(logits, np.asarray(targets))
        self._backward_ready = False
        return logits.copy(), loss

    def train_loss(self, xb: np.ndarray, yb: np.ndarray) -> float:
        """The training step's forward: the loss of (xb, yb) in training mode, ready for
        backward(); forward(xb, yb) without the copy of the logits. NumPy's overflow warnings
        are the caller's to silence (the training loop does)."""
        if self.fused:
            loss = self.fused.forward(xb, yb)
            self._logits = self.fused.logits.T  # (B, V)
        else:
            self._logits = self.net.forward(xb)
            loss = self.criterion.forward(self._logits, yb)
        self._backward_ready = True
        return loss

    __call__ = forward

    def backward(self) -> None:
        """Gradients of the last training-mode forward(idx, targets)'s loss, into self.grads."""
        if not self._backward_ready:
            raise RuntimeError("backward() needs a training-mode forward(idx, targets) just before it.")
        self._backward_ready = False  # the loss's backward consumes its softmax buffer
        if self.fused:
            self.fused.backward()
        else:
            self.net.backward(self.criterion.backward())

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

    # -- parameters and state ----------------------------------------------------------------
    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(name, param, grad) for every learned array, e.g. ("2.weight", W, dW)."""
        return [(f"{i}.{n}", getattr(layer, n), layer.grads[n])
                for i, layer in enumerate(self.layers) for n in layer.param_names]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything a checkpoint holds: parameters and BatchNorm running statistics (live views)."""
        return {f"layers.{i}.{n}": getattr(layer, n)
                for i, layer in enumerate(self.layers) for n in (*layer.param_names, *layer.buffer_names)}

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy arrays (names and shapes as state_dict's) into the model, in place."""
        for key, target in self.state_dict().items():
            target[...] = arrays[key]

    def get_config(self) -> dict:
        """The JSON header that rebuilds this model (the layout every names file has had)."""
        return {**asdict(self.config), "itos": "".join(self.vocab.itos), "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict) -> "NamesModel":
        """An untrained model from get_config()'s dict; files from before the init knobs and the
        deep stack lack those keys and get the defaults they were made with."""
        itos = str(config["itos"])
        cfg = NamesConfig.from_dict(config)
        cfg.validate()
        if len(itos) != cfg.vocab_size or len(set(itos)) != len(itos) or itos[0] != ".":
            raise ValueError("its vocabulary does not match its configuration")
        return cls(cfg, Vocab(tuple(itos)), int(config.get("seed", 0)))

    @classmethod
    def tiny(cls) -> "NamesModel":
        return cls(NamesConfig(vocab_size=6, block_size=2, n_embd=3, n_hidden=5, batchnorm=True), seed=0)

    def num_params(self) -> int:
        return int(self.params.size)

    def clone(self, dtype=None) -> "NamesModel":
        """An independent copy (optionally in another dtype, e.g. float64 for gradient checks)."""
        twin = NamesModel(NamesConfig(**asdict(self.config)), self.vocab, self.seed, dtype or self.dtype)
        twin.load_state_dict(self.state_dict())
        twin.train(self.training)
        return twin

    def describe(self) -> str:
        c = self.config
        if c.wavenet:
            kind = "WaveNet"
        else:
            kind = f"deep MLP ({c.n_layers} hidden layers)" if c.n_layers > 1 else "MLP"
        return (f"{kind}: context {c.block_size}, embedding {c.n_embd}, hidden {c.n_hidden}"
                f"{', batch norm' if c.batchnorm else ''} ({self.num_params():,} parameters)")


def char_probs(model: NamesModel, word: str) -> np.ndarray:
    """For each position of word + '.', the model's distribution over what comes next: (len+1, V).
    Row i was predicted from the characters before position i."""
    unknown = set(word) - set(model.vocab.itos[1:])
    if unknown:
        raise ValueError(f"This model does not know the characters {' '.join(sorted(unknown))}.")
    X, _ = context_windows([word], model.vocab, model.block_size)  # (len+1, T)
    with evaluating(model), blas_threads(1):
        return next_token_probs(model, X)


def word_loss(model: NamesModel, word: str) -> float:
    """Mean negative log-likelihood per character of a word (including its end)."""
    probs = char_probs(model, word)  # (len+1, V)
    targets = model.vocab.encode(word) + [0]
    return float(-np.log(probs[np.arange(len(targets)), targets]).mean())
