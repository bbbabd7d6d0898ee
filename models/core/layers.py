"""Layers with explicit forward and backward passes, in the style of the makemore lectures.

Each layer keeps what its backward needs from forward, and `backward(dout) -> dx` fills its own
parameter gradients (in `grads`, same names as `param_names`). Forward outputs and backward
results live in scratch buffers the layer reuses while the batch shape stays the same, so a
training step allocates (almost) nothing: a result is valid until that layer's next call.
"""
from __future__ import annotations

import copy
import math

import numpy as np


class Layer:
    """The one layer base of every NumPy model (names MLP, transformer, ...).

    Parameters are attributes named in `param_names`; after backward their gradients are in
    `self.grads[name]` (same shapes). `training` switches batch norm / dropout. Scratch arrays
    come from `_buffer` / `buffer` and are reused from call to call."""
    param_names: tuple[str, ...] = ()  # learned arrays, attributes of the layer
    buffer_names: tuple[str, ...] = ()  # saved but not learned (BatchNorm's running statistics)

    def __init__(self):
        self.training = True
        self.grads: dict[str, np.ndarray] = {}
        self._scratch: dict[str, np.ndarray] = {}

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def parameters(self) -> list[np.ndarray]:
        return [getattr(self, n) for n in self.param_names]

    def gradients(self) -> list[np.ndarray]:
        return [self.grads[n] for n in self.param_names]

    def _init_grads(self):
        self.grads = {n: np.zeros_like(getattr(self, n)) for n in self.param_names}

    def _buffer(self, key: str, shape: tuple, dtype) -> np.ndarray:
        """A scratch array kept between calls; re-made only when the shape or dtype changes."""
        buf = self._scratch.get(key)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._scratch[key] = np.empty(shape, dtype)
        return buf

    def _ones(self, n: int, dtype) -> np.ndarray:
        """A (1, n) row of ones: ones @ A sums A's rows in one BLAS call."""
        buf = self._scratch.get("ones")
        if buf is None or buf.shape[1] != n or buf.dtype != dtype:
            buf = self._scratch["ones"] = np.ones((1, n), dtype)
        return buf

    def buffer(self, key: str, shape: tuple, dtype) -> np.ndarray:
        """A scratch array of this shape: a view of storage kept from call to call and grown when
        a larger shape asks for it (shorter batches reuse the memory of the long ones). The view
        of each shape is kept too: a training step asks for the same ones ~170 times."""
        view = self._scratch.get((key, shape, dtype))
        if view is not None:
            return view
        size = math.prod(shape)  # (np.prod of a tuple costs more than the rest of this call)
        store = self._scratch.get(key)
        if store is None or store.size < size or store.dtype != np.dtype(dtype):
            store = self._scratch[key] = np.empty(size, dtype)
            for old in [k for k in self._scratch if isinstance(k, tuple) and k[0] == key]:
                del self._scratch[old]  # views of the storage just replaced
        view = self._scratch[(key, shape, dtype)] = store[:size].reshape(shape)
        return view

    def named_leaves(self, prefix: str = ""):
        """(dotted name, layer) of every layer at or below this one that owns parameters."""
        if self.param_names:
            yield prefix.rstrip("."), self
        for name, child in list(vars(self).items()):
            if isinstance(child, Layer):
                yield from child.named_leaves(f"{prefix}{name}.")
            elif isinstance(child, (list, tuple)):
                for i, c in enumerate(child):
                    if isinstance(c, Layer):
                        yield from c.named_leaves(f"{prefix}{name}.{i}.")

    def twin(self) -> "Layer":
        """A second layer object over the same parameter and statistics arrays, with its own
        scratch buffers and mode: evaluation through it never disturbs a training step."""
        other = copy.copy(self)
        other._scratch = {}
        return other

    def __repr__(self):
        shapes = ", ".join(f"{n}{tuple(getattr(self, n).shape)}" for n in self.param_names)
        return f"{type(self).__name__}({shapes})"


class Embedding(Layer):
    """A lookup table: row i of `weight` is the vector of token i (the matrix C of Bengio 2003)."""
    param_names = ("weight",)

    def __init__(self, num_embeddings: int, embedding_dim: int, rng=None, dtype=np.float32):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng()
        self.weight = rng.standard_normal((num_embeddings, embedding_dim)).astype(dtype)  # (V, D)
        self._init_grads()

    def forward(self, idx):
        self.idx = idx  # (B, T) integer ids
        out = self._buffer("out", idx.shape + (self.weight.shape[1],), self.weight.dtype)
        self.weight.take(idx, axis=0, out=out)  # (B, T, D)
        return out

    def backward(self, dout):
        # dW[v] sums the rows of dout whose id is v. np.add.at does that but is slow; a one-hot
        # matrix (V, n) times dout (n, D) is one small matmul.
        V, D = self.weight.shape
        ids = self.idx.reshape(-1)  # (n,)
        eye = self._scratch.get("eye")
        if eye is None or eye.shape[0] != V or eye.dtype != self.weight.dtype:
            eye = self._scratch["eye"] = np.eye(V, dtype=self.weight.dtype)
        onehot = self._buffer("onehot", (ids.size, V), self.weight.dtype)
        eye.take(ids, axis=0, out=onehot)  # (n, V): row i is the one-hot of ids[i]
        np.matmul(onehot.T, dout.reshape(ids.size, D), out=self.grads["weight"])  # (V, D)
        return None  # integer ids have no gradient


class Linear(Layer):
    """y = x @ W + b over the last axis (any leading axes). Kaiming-style init: N(0, 1) * gain / sqrt(fan_in)."""

    def __init__(self, fan_in: int, fan_out: int, bias: bool = True, gain: float = 1.0, rng=None,
                 dtype=np.float32):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng()
        self.param_names = ("weight", "bias") if bias else ("weight",)
        self.weight = (rng.standard_normal((fan_in, fan_out)) * (gain / fan_in ** 0.5)).astype(dtype)  # (I, O)
        self.bias = np.zeros(fan_out, dtype) if bias else None  # (O,)
        self._init_grads()

    def forward(self, x):
        self.x = x  # (..., I)
        I, O = self.weight.shape
        x2 = x if x.ndim == 2 else x.reshape(-1, I)  # (N, I): one BLAS call whatever the leading axes
        out = self._buffer("out", (x2.shape[0], O), self.weight.dtype)
        np.matmul(x2, self.weight, out=out)  # (N, O)
        if self.bias is not None:
            out += self.bias
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (O,))

    def backward(self, dout):
        I, O = self.weight.shape
        flat = self.x.ndim == 2
        x2 = self.x if flat else self.x.reshape(-1, I)  # (N, I)
        d2 = dout if flat else dout.reshape(-1, O)  # (N, O)
        np.matmul(x2.T, d2, out=self.grads["weight"])  # (I, O)
        if self.bias is not None:  # column sums as a (1, N) @ (N, O) product: faster than sum()
            np.matmul(self._ones(d2.shape[0], d2.dtype), d2, out=self.grads["bias"].reshape(1, O))  # (1, O)
        dx = self._buffer("dx", x2.shape, self.weight.dtype)
        np.matmul(d2, self.weight.T, out=dx)  # (N, I)
        return dx if flat else dx.reshape(self.x.shape)


class Tanh(Layer):
    """Elementwise tanh; keeps its output, since tanh' = 1 - tanh^2."""

    def forward(self, x):
        self.out = self._buffer("out", x.shape, x.dtype)
        return np.tanh(x, out=self.out)

    def backward(self, dout):
        self.dout = dout  # kept for the gradient histograms of the diagnostics
        dx = self._buffer("dx", dout.shape, dout.dtype)
        np.multiply(self.out, self.out, out=dx)
        np.subtract(1, dx, out=dx)
        np.multiply(dx, dout, out=dx)  # dout * (1 - out^2)
        return dx


class BatchNorm1d(Layer):
    """Batch normalisation (Ioffe & Szegedy 2015) over the batch (and time) axes of (B, C) or (B, T, C).

    Training: normalise with the batch's mean and (biased) variance and update running estimates
    (unbiased variance, as PyTorch does). Eval: normalise with the running estimates, so one
    example's output does not depend on the rest of its batch."""
    param_names = ("gamma", "beta")
    buffer_names = ("running_mean", "running_var")

    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.01, dtype=np.float32):
        # momentum 0.01: the running estimates average ~100 batches (PyTorch's 0.1 averages ~10,
        # which is noisy at batch 32 and shows up in the eval loss)
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.gamma = np.ones(dim, dtype)  # (C,)
        self.beta = np.zeros(dim, dtype)  # (C,)
        self.running_mean = np.zeros(dim, dtype)  # (C,)
        self.running_var = np.ones(dim, dtype)  # (C,)
        self._init_grads()

    def _column_means(self, a, key):
        """Mean of each column of a (N, C) as (C,): a (1, N) @ (N, C) product, faster than mean(axis=0)."""
        out = self._buffer(key, (1, a.shape[1]), a.dtype)
        np.matmul(self._ones(a.shape[0], a.dtype), a, out=out)
        out *= 1.0 / a.shape[0]
        return out[0]

    def forward(self, x):
        C = x.shape[-1]
        x2 = x.reshape(-1, C)  # (N, C)
        n = x2.shape[0]
        xhat = self._buffer("xhat", x2.shape, x2.dtype)
        if self.training:
            mean = self._column_means(x2, "mean")  # (C,)
            np.subtract(x2, mean, out=xhat)  # centred
            sq = self._buffer("sq", x2.shape, x2.dtype)
            np.multiply(xhat, xhat, out=sq)
            var = self._column_means(sq, "var")  # (C,) biased
            if n > 1:  # running estimates, unbiased variance
                m = self.momentum
                self.running_mean *= 1 - m
                self.running_mean += m * mean
                self.running_var *= 1 - m
                self.running_var += (m * n / (n - 1)) * var
        else:
            mean, var = self.running_mean, self.running_var
            np.subtract(x2, mean, out=xhat)
        self.invstd = (1.0 / np.sqrt(var + self.eps)).astype(x2.dtype)  # (C,)
        xhat *= self.invstd  # (N, C) normalised
        self.xhat = xhat
        out = self._buffer("out", x2.shape, x2.dtype)
        np.multiply(xhat, self.gamma, out=out)
        out += self.beta
        return out.reshape(x.shape)

    def backward(self, dout):
        C = dout.shape[-1]
        d2 = dout.reshape(-1, C)  # (N, C)
        n = d2.shape[0]
        ones = self._ones(n, d2.dtype)  # (1, N): column sums by matmul
        dgamma, dbeta = self.grads["gamma"], self.grads["beta"]
        dx = self._buffer("dx", d2.shape, d2.dtype)
        np.multiply(d2, self.xhat, out=dx)
        np.matmul(ones, dx, out=dgamma.reshape(1, C))  # (C,) sum of dout * xhat
        np.matmul(ones, d2, out=dbeta.reshape(1, C))  # (C,) sum of dout
        if self.training:
            # Mean and variance depend on every example, hence the two correction terms.
            np.multiply(self.xhat, dgamma / n, out=dx)
            np.subtract(d2, dx, out=dx)
            dx -= dbeta / n
            dx *= self.gamma * self.invstd  # (N, C)
        else:
            np.multiply(d2, self.gamma * self.invstd, out=dx)
        return dx.reshape(dout.shape)


class FlattenConsecutive(Layer):
    """(B, T, C) -> (B, T/n, C*n): concatenate each n neighbouring vectors (WaveNet's dilated
    tree, makemore part 5). When T/n == 1 the time axis is dropped: (B, C*n)."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n

    def forward(self, x):
        B, T, C = x.shape
        if T % self.n:
            raise ValueError(f"FlattenConsecutive({self.n}) needs a context length divisible by {self.n}, got {T}")
        self.in_shape = x.shape
        out = x.reshape(B, T // self.n, C * self.n)  # a view: rows are contiguous
        return out[:, 0, :] if T // self.n == 1 else out

    def backward(self, dout):
        return dout.reshape(self.in_shape)


class Flatten(Layer):
    """(B, T, C) -> (B, T*C): the classic MLP concatenates the whole context."""

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.in_shape)


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse."""

    def __init__(self, layers):
        super().__init__()
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def gradients(self):
        return [g for layer in self.layers for g in layer.gradients()]

    def twin(self) -> "Sequential":
        other = Sequential([layer.twin() for layer in self.layers])
        other.train(self.training)
        return other

    def train(self, mode: bool = True):
        for layer in self.layers:
            layer.training = mode
        self.training = mode

    def __repr__(self):
        return "Sequential(\n" + "".join(f"  {layer!r}\n" for layer in self.layers) + ")"


class CrossEntropy(Layer):
    """Mean cross-entropy of integer targets under softmax(logits), with a stable log-softmax.

    forward(logits (N, V), targets (N,)) -> float loss; backward() -> dlogits (N, V), the fused
    gradient (softmax - onehot) / N, which never forms the log-probabilities' own gradient."""

    def forward(self, logits, targets) -> float:
        N, V = logits.shape
        rows = self._scratch.get("rows")
        if rows is None or rows.size != N:
            rows = self._scratch["rows"] = np.arange(N) * V  # flat offset of each row
        self.flat_targets = rows + targets  # (N,) flat index of each target logit
        # log-sum-exp with the batch's largest logit subtracted: no exp can overflow. (One global
        # max is a third of the cost of a max per row; rows that underflow fall back to that.)
        shifted = self._buffer("shifted", (N, V), logits.dtype)
        np.subtract(logits, logits.max(), out=shifted)  # (N, V) all <= 0
        self.probs = self._buffer("probs", (N, V), logits.dtype)
        np.exp(shifted, out=self.probs)  # unnormalised
        self.total = self._buffer("total", (N, 1), logits.dtype)
        ones = self._scratch.get("onesV")
        if ones is None or ones.shape[0] != V or ones.dtype != logits.dtype:
            ones = self._scratch["onesV"] = np.ones((V, 1), logits.dtype)
        np.matmul(self.probs, ones, out=self.total)  # (N, 1) row sums
        if self.total.min() < 1e-30:  # some row lies far below the batch max: shift per row
            np.subtract(logits, logits.max(axis=1, keepdims=True), out=shifted)
            np.exp(shifted, out=self.probs)
            np.matmul(self.probs, ones, out=self.total)
        # -log p[target] = log(sum exp) - shifted[target]
        picked = shifted.reshape(-1).take(self.flat_targets)  # (N,)
        return float(np.log(self.total).sum() - picked.sum()) / N

    def backward(self, dout=None):
        N = self.probs.shape[0]
        self.total *= N
        np.divide(self.probs, self.total, out=self.probs)  # softmax / N
        flat = self.probs.reshape(-1)
        flat[self.flat_targets] -= 1.0 / N
        return self.probs  # (N, V)


def softmax(logits, axis=-1):
    """Numerically stable softmax (allocates; not for the training hot loop)."""
    z = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(logits, axis=-1):
    """log softmax via log-sum-exp with the max subtracted, so large logits do not overflow."""
    z = logits - logits.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def pack_parameters(layers, dtype=None):
    """Move every parameter and gradient of `layers` into two flat arrays and rebind each layer's
    arrays as views of them, so an optimiser updates the whole model with one vectorised call.
    Returns (params_flat, grads_flat)."""
    arrays = [(layer, name) for layer in layers for name in layer.param_names]
    dtype = dtype or (getattr(arrays[0][0], arrays[0][1]).dtype if arrays else np.float32)
    total = sum(getattr(layer, name).size for layer, name in arrays)
    params, grads = np.empty(total, dtype), np.zeros(total, dtype)
    offset = 0
    for layer, name in arrays:
        old = getattr(layer, name)
        view = params[offset:offset + old.size].reshape(old.shape)
        view[...] = old
        setattr(layer, name, view)
        layer.grads[name] = grads[offset:offset + old.size].reshape(old.shape)
        offset += old.size
    return params, grads
