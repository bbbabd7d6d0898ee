"""The bigram character model learned by gradient descent: one linear layer, softmax, NLL.

Multiplying a one-hot row by W just picks row x of W, so the forward pass is `W[x]`. Trained to
convergence with no regularisation it finds softmax(W) = the count probabilities: the same model
as models.bigram.counts, learned. Training: models.bigram.train.
"""
from __future__ import annotations

import numpy as np

from models.core import checkpoint
from models.core.layers import Layer

MAX_VOCAB = 1024  # rows (and columns) of W; word lists allow 128 characters + '.'


@checkpoint.register
class NeuralBigram(Layer):
    """logits = one-hot(x) @ W = W[x]; softmax; NLL. Hand-written backward into grads["W"].

    The makemore contract: block_size 1, forward(idx, targets=None) -> (logits, loss),
    backward() after a forward with targets, train(mode)."""
    kind = "bigram"  # checkpoint files of this model say so in their header
    param_names = ("W",)
    block_size = 1  # it reads one character
    fixed_context = True  # before the first character it reads '.'

    def __init__(self, vocab_size: int, seed: int = 2147483647, dtype=np.float32, itos: str = ""):
        super().__init__()
        if not 2 <= int(vocab_size) <= MAX_VOCAB:
            raise ValueError(f"A bigram model has 2 to {MAX_VOCAB} characters, not {vocab_size}.")
        if itos and len(itos) != vocab_size:
            raise ValueError(f"its alphabet has {len(itos)} characters, not {vocab_size}")
        self.seed = int(seed)
        self.itos = itos  # the characters of the rows, '.' first ("" when unknown)
        rng = np.random.default_rng(self.seed)
        self.W = rng.standard_normal((vocab_size, vocab_size)).astype(dtype)  # (V, V)
        self._init_grads()
        self._cache = None

    @property
    def vocab_size(self) -> int:
        return self.W.shape[0]

    def train(self, mode: bool = True) -> "NeuralBigram":
        self.training = bool(mode)  # nothing behaves differently: kept for the contract
        return self

    def forward(self, idx: np.ndarray, targets: np.ndarray | None = None):
        """idx (...,) of previous characters -> logits (..., V), and the mean NLL if targets."""
        logits = self.W[idx]  # (..., V): one-hot(idx) @ W without building the one-hot
        if targets is None:
            self._cache = None
            return logits, None
        # For a stable exp, subtract each row's max; row W[x] has max max(W[x]), so shift W once.
        z = (self.W - self.W.max(axis=1, keepdims=True))[idx]  # (..., V)
        probs = np.exp(z)  # (..., V)
        probs /= probs.sum(axis=-1, keepdims=True)
        flat_probs = probs.reshape(-1, self.W.shape[0])  # (N, V)
        flat_t = np.asarray(targets).reshape(-1)  # (N,)
        rows = np.arange(flat_t.size)
        loss = float(-np.log(flat_probs[rows, flat_t].astype(np.float64)).mean())
        self._cache = (np.asarray(idx).reshape(-1), flat_t, flat_probs)
        return logits, loss

    def backward(self, dout=None) -> np.ndarray:
        """Gradient of the last forward's loss into grads["W"] (also returned):
        dlogits = (softmax - one-hot(target)) / N, then dW[i] = the sum of dlogits over the
        examples whose previous character is i."""
        idx, targets, probs = self._cache
        N = targets.size
        dlogits = probs  # (N, V) reused in place: the forward's probs are not needed again
        dlogits[np.arange(N), targets] -= 1.0
        dlogits /= N
        self.grads["W"][...] = scatter_rows(dlogits, idx, self.W.shape[0])  # (V, V)
        self._cache = None
        return self.grads["W"]

    def probs(self) -> np.ndarray:
        """softmax(W) row by row: the learned P(next | previous), to set beside the counts."""
        return softmax_rows(self.W)

    # -- checkpoint protocol (models.core.checkpoint) --------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        return {"W": self.W}

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy W (of this model's shape, checked by the caller) in place."""
        self.W[...] = arrays["W"]

    def get_config(self) -> dict:
        return {"vocab_size": self.vocab_size, "seed": self.seed, "itos": self.itos}

    @classmethod
    def from_config(cls, config: dict) -> "NeuralBigram":
        for key, kind in (("vocab_size", int), ("seed", int), ("itos", str)):
            if key in config and (not isinstance(config[key], kind) or isinstance(config[key], bool)):
                raise TypeError(f"{key} is a {type(config[key]).__name__}, not a {kind.__name__}")
        return cls(config["vocab_size"], config.get("seed", 0), itos=config.get("itos", ""))

    @classmethod
    def upgrade_header(cls, header: dict, arrays: dict) -> dict:
        """Files from before the one-house contract kept the training settings as config
        ({lr, l2, steps, seed}) and the alphabet in meta.itos: rebuild the model config."""
        config = header.get("config", {})
        if "vocab_size" in config or "W" not in arrays or np.ndim(arrays["W"]) != 2:
            return config
        itos = header.get("meta", {}).get("itos", "")
        return {"vocab_size": int(arrays["W"].shape[0]), "seed": config.get("seed", 0),
                "itos": itos if isinstance(itos, str) else ""}

    @classmethod
    def tiny(cls) -> "NeuralBigram":
        return cls(4, seed=0, itos=".abc")


def softmax_rows(W: np.ndarray) -> np.ndarray:
    """softmax of each row of W (V, V), in float64."""
    z = W.astype(np.float64) - W.max(axis=1, keepdims=True)  # (V, V)
    P = np.exp(z)
    return P / P.sum(axis=1, keepdims=True)


def scatter_rows(values: np.ndarray, idx: np.ndarray, n_rows: int) -> np.ndarray:
    """out[i] = sum of values[k] where idx[k] == i: the backward of indexing `W[idx]`.
    Sorted idx (the trainer sorts the batch once) makes it a fast segment sum."""
    out = np.zeros((n_rows, values.shape[1]), dtype=values.dtype)  # (n_rows, V)
    if idx.size == 0:
        return out
    if np.all(idx[1:] >= idx[:-1]):
        starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])  # first row of each segment
        out[idx[starts]] = np.add.reduceat(values, starts, axis=0)
    else:
        np.add.at(out, idx, values)
    return out
