"""A character-level GPT in NumPy, after nanoGPT/makemore, with the backward written by hand.

    model = GPT(GPTConfig(vocab_size=27), itos)  # itos: the characters, '.' (start/end) first
    logits, loss = model.forward(idx, targets)   # idx, targets (B, T); targets -1 are ignored
    model.backward()                             # fills every grads[name] (overwrites, no zeroing)
    optimiser.step()                             # models.core.optim.AdamW over model.param_groups()

Token + learned position embeddings, `n_layer` pre-LayerNorm blocks (causal multi-head
self-attention, 4x GELU MLP), a final LayerNorm and a bias-free linear head. After a forward,
`model.attention()` holds every head's attention weights, for the viewer. Registered with
models.core.checkpoint (kind "char-transformer"): the file's config carries the shape, the
characters and the task (names, or the sort task's settings). Sampling: models.core.sampling.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from models.attention.limits import LIMITS, MAX_PARAMS
from models.attention.layers import DTYPE, Block, Dropout, Layer, LayerNorm, Linear
from models.attention.sort_task import SortTask
from models.core import checkpoint
from models.core.blas import blas_threads

TASKS = ("names", "sort")  # what a model was trained for: a language model of names, or sorting


@dataclass
class GPTConfig:
    vocab_size: int = 27  # characters, with the start/end token '.' at index 0
    block_size: int = 16  # longest context the model reads, in characters
    n_layer: int = 4  # transformer blocks
    n_head: int = 4  # attention heads per block
    n_embd: int = 64  # width of the residual stream (head size = n_embd / n_head)
    dropout: float = 0.0  # share of activations zeroed while training (regularisation; 0 = none)
    seed: int = 0  # initial weights (and dropout masks)

    def __post_init__(self):
        self.validate()

    def to_dict(self) -> dict:
        return asdict(self)

    def num_params(self) -> int:
        """Parameters of a model of this shape (embeddings, blocks, final LayerNorm, head)."""
        V, T, L, C = self.vocab_size, self.block_size, self.n_layer, self.n_embd
        return V * C + T * C + L * (12 * C * C + 13 * C) + 2 * C + C * V

    def validate(self) -> None:
        """Raise ValueError naming the limit for a shape this app cannot or should not build
        (checked before any array is made: a weights file or a command line may ask for any)."""
        for name, (lo, hi) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be a whole number, not {value!r}")
            if not lo <= value <= hi:
                raise ValueError(f"{name} must be between {lo:,} and {hi:,}, not {value:,}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd {self.n_embd} must be a multiple of n_head {self.n_head} "
                             "(each head gets n_embd / n_head dimensions)")
        if not (isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1):
            raise ValueError(f"dropout must be in [0, 1), not {self.dropout!r}")
        if self.num_params() > MAX_PARAMS:
            raise ValueError(f"a model of this shape has {self.num_params():,} parameters; the limit "
                             f"is {MAX_PARAMS:,}")


class Embeddings(Layer):
    """Token embedding plus learned position embedding: idx (B, T) -> x (B*T, C)."""
    param_names = ("wte", "wpe")

    def __init__(self, vocab_size, block_size, n_embd, rng):
        super().__init__()
        self.wte = (rng.standard_normal((vocab_size, n_embd)) * 0.02).astype(DTYPE)
        self.wpe = (rng.standard_normal((block_size, n_embd)) * 0.02).astype(DTYPE)
        self._init_grads()

    def forward(self, idx):
        B, T = idx.shape
        self.T, self.idx = T, idx.reshape(-1)  # (B*T,)
        x = np.take(self.wte, self.idx, axis=0, out=self.buffer("x", (B * T, self.wte.shape[1]), self.wte.dtype))
        x.reshape(B, T, -1)[...] += self.wpe[:T]
        self.out = x
        return x  # (B*T, C)

    def backward(self, dx):
        (V, C), N, T = self.wte.shape, len(self.idx), self.T
        dwte, dwpe = self.grads["wte"], self.grads["wpe"]
        onehot = self.buffer("onehot", (V, N), dx.dtype)  # (V, B*T)
        onehot[...] = 0.0
        onehot[self.idx, np.arange(N)] = 1.0
        np.matmul(onehot, dx, out=dwte)  # (V, C): rows summed per token
        dwpe[T:] = 0.0  # positions beyond this context got no gradient
        # (T, C) sums over the batch, as one (1, B) @ (B, T*C) product
        np.matmul(self._ones(N // T, dx.dtype), dx.reshape(N // T, T * C), out=dwpe[:T].reshape(1, T * C))


def cross_entropy(logits, targets):
    """Mean negative log-likelihood over the targets that are not -1, and its gradient.
    logits (N, V), targets (N,) -> (loss float, dlogits (N, V)). Softmax and loss fused.
    Row maxima and sums avoid NumPy's reductions over a short last axis (V), which crawl."""
    N, V = logits.shape
    valid = targets >= 0  # (N,)
    weight = valid / max(int(valid.sum()), 1)  # (N,) float64: each row's share of the mean
    picked = np.arange(0, N * V, V) + np.where(valid, targets, 0)  # each row's target in the flat (N * V)
    z = logits - np.ascontiguousarray(logits.T).max(axis=0)[:, None]  # (N, V); the max of (V, N) rows
    target_z = z.ravel()[picked]  # (N,)
    probs = np.exp(z, out=z)
    sums = probs @ np.ones(V, probs.dtype)  # (N,) row sums
    nll = np.log(sums) - target_z  # (N,)
    loss = float(nll @ weight)  # (in float64)
    probs *= (weight / sums).astype(probs.dtype)[:, None]  # softmax, times each row's weight
    probs.ravel()[picked] -= weight.astype(probs.dtype)
    return loss, probs  # probs is now dloss/dlogits


@checkpoint.register
class GPT:
    """The character transformer. `forward` and `backward` follow the makemore contract; the
    model knows its characters `itos` and its `task` ("names", or "sort" with `sort` settings)."""
    kind = "char-transformer"  # the name of its weights files (models.core.checkpoint)

    def __init__(self, config: GPTConfig, itos=None, task: str = "names", sort: SortTask | None = None):
        self.config = c = config
        self.itos = tuple(itos) if itos is not None else tuple(chr(97 + i) if i else "." for i in range(c.vocab_size))
        self.task, self.sort = task, sort
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}: use {' or '.join(TASKS)}")
        if len(self.itos) != c.vocab_size:
            raise ValueError(f"{len(self.itos)} characters for a vocabulary of {c.vocab_size}")
        if (task == "sort") != (sort is not None):
            raise ValueError("a sort model needs the sort task's settings, and only a sort model has them")
        rng = np.random.default_rng(c.seed)
        proj_std = 0.02 / math.sqrt(2 * c.n_layer)  # GPT-2: residual projections scaled down
        self.embed = Embeddings(c.vocab_size, c.block_size, c.n_embd, rng)
        self.drop = Dropout(c.dropout, int(rng.integers(2**31)))
        self.blocks = [Block(c.n_embd, c.n_head, rng, proj_std, c.dropout) for _ in range(c.n_layer)]
        self.ln_f = LayerNorm(c.n_embd)
        self.head = Linear(c.n_embd, c.vocab_size, rng, bias=False)
        self._flatten()

    # -- the model contract of models.core.checkpoint -----------------------------------------
    def get_config(self) -> dict:
        """What rebuilds this model (empty) with from_config: the file header's "config"."""
        return {"model": self.config.to_dict(), "itos": list(self.itos), "task": self.task,
                "sort": self.sort.to_dict() if self.sort else None}

    @classmethod
    def from_config(cls, config: dict) -> "GPT":
        """The model a get_config() dict describes (also the header of files from before the one
        save/load, which had the same keys and a "snapshot_steps" list, see upgrade_header)."""
        sort = SortTask(**config["sort"]) if config.get("sort") else None
        return cls(GPTConfig(**config["model"]), [str(ch) for ch in config["itos"]], config["task"], sort)

    @classmethod
    def tiny(cls) -> "GPT":
        return cls(GPTConfig(vocab_size=7, block_size=6, n_layer=1, n_head=2, n_embd=8, seed=1), ".abcdef")

    @staticmethod
    def upgrade_header(header: dict, arrays: dict) -> dict:
        """Files written before the one save/load kept snapshots as "snapshot<i>.<name>" arrays and
        their steps in the config: move them where models.attention.saving reads them now."""
        config = dict(header.get("config", {}))
        steps = config.pop("snapshot_steps", None)
        if steps is not None:
            for key in [k for k in arrays if k.startswith("snapshot")]:
                arrays[checkpoint.EXTRA + key] = arrays.pop(key)
            arrays[checkpoint.EXTRA + "snapshot_steps"] = np.asarray(steps, dtype=np.int64)
        return config

    def clone(self) -> "GPT":
        """A copy with its own weights and buffers, the same experiments set (for a job to use
        while this one is shown or trained)."""
        twin = GPT.from_config(self.get_config())
        twin.load_state_dict(self.state_dict())
        twin.causal, twin.attention_temperature = self.causal, self.attention_temperature
        return twin

    def train(self, mode: bool = True) -> "GPT":
        """Dropout on (training) or off (losses, the viewer, sampling)."""
        self.training = mode
        return self

    def dropouts(self) -> list[Dropout]:
        return [self.drop] + [d for b in self.blocks for d in (b.drop_attn, b.drop_mlp)]

    @property
    def training(self) -> bool:
        """True while training: dropout is on (it is off for losses, the viewer, sampling)."""
        return self.drop.training

    @training.setter
    def training(self, value: bool) -> None:
        for d in self.dropouts():
            d.training = bool(value)

    def reseed_dropout(self, seed: int) -> None:
        """Fresh dropout streams (a replica must not repeat the masks of the model it helps)."""
        rng = np.random.default_rng(seed)
        for d in self.dropouts():
            d.rng = np.random.default_rng(int(rng.integers(2**31)))

    @property
    def block_size(self) -> int:
        return self.config.block_size

    # -- parameters ---------------------------------------------------------------------------
    def named_leaves(self):
        yield from self.embed.named_leaves("embed.")
        for i, block in enumerate(self.blocks):
            yield from block.named_leaves(f"blocks.{i}.")
        yield from self.ln_f.named_leaves("ln_f.")
        yield from self.head.named_leaves("head.")

    def _flatten(self):
        """Move every parameter and gradient into two flat float32 buffers (matrices, which get
        weight decay, and vectors, which do not) and make each layer's arrays views into them."""
        entries = [(f"{prefix}.{n}", layer, n) for prefix, layer in self.named_leaves()
                   for n in layer.param_names]
        groups = {True: [], False: []}  # decayed? -> entries
        for e in entries:
            groups[getattr(e[1], e[2]).ndim >= 2].append(e)
        self.flat_params, self.flat_grads, self._views = {}, {}, {}
        for decay, group in groups.items():
            total = sum(getattr(layer, n).size for _, layer, n in group)
            flat, gflat = np.zeros(total, DTYPE), np.zeros(total, DTYPE)
            offset = 0
            for name, layer, n in group:
                value = getattr(layer, n)
                view = flat[offset:offset + value.size].reshape(value.shape)
                view[...] = value
                setattr(layer, n, view)
                layer.grads[n] = gflat[offset:offset + value.size].reshape(value.shape)
                self._views[name] = (layer, n)
                offset += value.size
            self.flat_params[decay], self.flat_grads[decay] = flat, gflat

    def param_groups(self):
        """(params, grads, decay_mask) for models.core.optim.AdamW: decay on matrices only."""
        return ([self.flat_params[True], self.flat_params[False]],
                [self.flat_grads[True], self.flat_grads[False]], [True, False])

    def num_params(self) -> int:
        return sum(f.size for f in self.flat_params.values())

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter by dotted name."""
        return {name: getattr(layer, n).copy() for name, (layer, n) in self._views.items()}

    def live_params(self) -> dict[str, np.ndarray]:
        """Every parameter by dotted name: the live arrays (views of the flat buffers), not copies."""
        return {name: getattr(layer, n) for name, (layer, n) in self._views.items()}

    def shapes(self) -> dict[str, tuple]:
        return {name: getattr(layer, n).shape for name, (layer, n) in self._views.items()}

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        for name, (layer, n) in self._views.items():
            getattr(layer, n)[...] = arrays[name]

    def grad(self, name: str) -> np.ndarray:
        layer, n = self._views[name]
        return layer.grads[n]

    def param(self, name: str) -> np.ndarray:
        layer, n = self._views[name]
        return getattr(layer, n)

    # -- experiments --------------------------------------------------------------------------
    @property
    def attention_temperature(self) -> float:
        return self.blocks[0].attn.temperature

    @attention_temperature.setter
    def attention_temperature(self, value: float) -> None:
        """Divide every attention score by this before the softmax (1 = as trained)."""
        for block in self.blocks:
            block.attn.temperature = float(value)

    @property
    def causal(self) -> bool:
        return self.blocks[0].attn.causal

    @causal.setter
    def causal(self, value: bool) -> None:
        """False lifts the causal mask: every position also sees the characters after it."""
        for block in self.blocks:
            block.attn.causal = bool(value)

    # -- forward / backward -------------------------------------------------------------------
    def forward(self, idx, targets=None):
        """idx (B, T) ints -> logits (B, T, V) and, with targets (B, T), the mean loss over
        targets that are not -1 (else None)."""
        idx = np.asarray(idx)
        if idx.ndim == 1:
            idx = idx[None, :]
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"context of {T} tokens is longer than block_size {self.config.block_size}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.config.vocab_size):
            raise ValueError(f"token ids must be in 0..{self.config.vocab_size - 1}")
        with blas_threads(1):  # these matrices are small: a second BLAS thread only waits
            x = self.drop.forward(self.embed.forward(idx))  # (B*T, C)
            for block in self.blocks:
                x = block.forward(x, B, T)
            logits = self.head.forward(self.ln_f.forward(x))  # (B*T, V)
        loss = None
        if targets is not None:
            targets = np.asarray(targets).reshape(-1)
            loss, self._dlogits = cross_entropy(logits, targets)
        return logits.reshape(B, T, -1).copy(), loss

    def backward(self, scale: float = 1.0) -> None:
        """Gradients of the last forward's loss (times `scale`) with respect to every parameter."""
        if scale != 1.0:  # the gradients are linear in dlogits: scaling it scales them all
            self._dlogits *= scale
        with blas_threads(1):
            dx = self.ln_f.backward(self.head.backward(self._dlogits))  # (B*T, C)
            for block in reversed(self.blocks):
                dx = block.backward(dx)
            self.embed.backward(self.drop.backward(dx))

    def attention(self) -> list[np.ndarray]:
        """Per layer, the attention weights (B, n_head, T, T) of the last forward (live buffers:
        copy them to keep them past the next forward)."""
        return [block.attn.att for block in self.blocks]

    def head_details(self, layer: int, head: int, row: int = 0) -> dict:
        """One head's attention of the last forward, step by step, for the viewer (copies):
        q, k, v (T, hs); scores = q k^T (T, T); scale (1 / (sqrt(hs) * temperature)); masked
        scores (-inf above the diagonal when causal); weights (T, T); out = weights v (T, hs)."""
        attn = self.blocks[layer].attn
        q, k, v = (a[row, head].astype(np.float64) for a in (attn.q, attn.k, attn.v))  # (T, hs)
        scores = q @ k.T  # (T, T)
        masked = scores * attn.scale
        if attn.causal:
            masked[np.triu_indices(len(q), 1)] = -np.inf
        weights = attn.att[row, head].astype(np.float64)  # (T, T)
        return {"q": q, "k": k, "v": v, "scores": scores, "scale": attn.scale, "masked": masked,
                "weights": weights, "out": weights @ v, "head_size": attn.head_size,
                "temperature": attn.temperature, "causal": attn.causal}
