"""The training step of the plain tanh MLP written out by hand, as in makemore part 4 ("becoming a
backprop ninja"): one function for the forward pass and the loss, one for the whole backward pass.

At the lecture's sizes (batch 32, hidden 200) a step is a few microseconds of arithmetic per
matrix product and the rest is Python: going through the layer objects, their buffer lookups and
a general cross-entropy costs more than the products. Here every intermediate lives in a buffer
made once per batch size, products go through np.dot (no ufunc machinery around the BLAS call)
and the layers are only read for their parameter and gradient arrays (views of the model's flat
arrays) and written for what the diagnostics read (each Tanh's `out` and `dout`).

The layer objects remain the reference: models with batch norm or the WaveNet tree train through
them, the eval graph always does, and the tests check this step against finite differences.
"""
from __future__ import annotations

import math

import numpy as np

from models.core.layers import Embedding, Flatten, Linear, Tanh

TINY = 1e-30  # an example whose exps sum below this lost precision to underflow: redo it shifted


class Hidden:
    """One Linear -> Tanh block of a FusedMLP: its arrays and views, looked up once, not per step.
    With `joined`, the input x carries a last column of ones and the weights their bias as a last
    row ([W; b], as the model's flat arrays hold them anyway): the bias costs no pass of its own,
    forward (x @ [W; b] = x @ W + b) or backward (x.T @ d gives dW and db at once)."""

    def __init__(self, lin: Linear, tanh: Tanh, x: np.ndarray, dx: np.ndarray, joined: bool = False):
        B, H = x.shape[0], lin.weight.shape[1]
        self.tanh = tanh
        self.WT = lin.weight.T
        if joined:
            self.W, self.b = _with_bias(lin.weight, lin.bias), None
            self.dW, self.db = _with_bias(lin.grads["weight"], lin.grads["bias"]), None
        else:
            self.W, self.b = lin.weight, lin.bias
            self.dW, self.db = lin.grads["weight"], lin.grads["bias"].reshape(1, H)
        self.xT, self.dx = x.T, dx  # the block's input (transposed) and the gradient there
        self.h = np.empty((B, H), x.dtype)  # pre-activation, then tanh (in place)
        self.dh = np.empty_like(self.h)  # gradient at the tanh's output ...
        self.dpre = np.empty_like(self.h)  # ... and at its input


def _with_bias(weight: np.ndarray, bias: np.ndarray) -> np.ndarray | None:
    """[weight; bias] (I + 1, O) as one view, when bias sits right after weight in memory (as
    pack_parameters puts them), else None."""
    flat = weight.base
    if (flat is None or bias.base is not flat or flat.ndim != 1 or not weight.flags.c_contiguous
            or bias.ctypes.data != weight.ctypes.data + weight.nbytes):
        return None
    start = (weight.ctypes.data - flat.ctypes.data) // flat.itemsize
    return flat[start:start + weight.size + bias.size].reshape(-1, weight.shape[1])


class FusedMLP:
    """Embedding -> Flatten -> (Linear -> Tanh) x n -> Linear, with the mean cross-entropy."""

    @staticmethod
    def fits(layers) -> bool:
        """Whether `layers` are exactly the plain MLP this step knows (no batch norm, no tree)."""
        kinds = [type(layer) for layer in layers]
        n = (len(kinds) - 3) // 2
        return (len(kinds) >= 5 and kinds[:2] == [Embedding, Flatten] and kinds[-1] is Linear
                and kinds[2:-1] == [Linear, Tanh] * n and all(layer.bias is not None for layer in layers[2::2])
                and _with_bias(layers[2].weight, layers[2].bias) is not None
                and _with_bias(layers[2].grads["weight"], layers[2].grads["bias"]) is not None)

    def __init__(self, layers):
        # the layers' parameter and gradient arrays are views of the model's flat arrays, which
        # are updated in place and never rebound: the views taken here stay valid
        self.layers = layers
        self.batch = self.T = 0  # the batch shape the buffers are made for

    def _buffers(self, B: int, T: int) -> None:
        """Every array a step writes, for batches of B examples of T characters."""
        emb, out = self.layers[0], self.layers[-1]
        V, E = emb.weight.shape
        dt = emb.weight.dtype
        self.batch, self.T = B, T
        self.C, self.dC = emb.weight, emb.grads["weight"]
        self.x1 = np.ones((B, T * E + 1), dt)  # the embedded context and a column of ones (Hidden)
        self.x = self.x1[:, :-1].reshape(B, T, E)  # the embedded context
        self.dx = np.empty((B * T, E), dt)  # gradient there, a row per character
        x, dx = self.x1, self.dx.reshape(B, T * E)
        self.blocks = []
        for lin, tanh in zip(self.layers[2:-1:2], self.layers[3:-1:2]):
            block = Hidden(lin, tanh, x, dx, joined=not self.blocks)
            self.blocks.append(block)
            x, dx = block.h, block.dh
        self.hT = x.T  # the output layer's input, transposed
        self.WoT, self.bo = out.weight.T, out.bias[:, None]  # (V, H), (V, 1)
        self.dWo, self.dbo = out.grads["weight"], out.grads["bias"].reshape(-1, 1)
        self.logits = np.empty((V, B), dt)  # transposed (see forward)
        self.probs = np.empty((V, B), dt)  # exp(logits), then dlogits
        self.total = np.empty((1, B), dt)  # each example's sum of exp(logits)
        self.onehot = np.empty((V, B), dt)  # column b: the one-hot of target b, divided by B
        self.eye_B = np.eye(V, dtype=dt) / B
        self.flat = (self.onehot.reshape(-1), self.logits.reshape(-1))  # dot(*flat) = mean target logit
        self.total_row = self.total[0]
        self.mean_B = np.full(B, 1.0 / B, dt)  # dot(a, mean_B) = mean(a)
        self.ones_B = np.ones((1, B), dt)  # ones @ A sums A's rows (a BLAS call: faster than sum(axis=0))
        self.ones_Bcol = np.ones((B, 1), dt)
        self.ones_V = np.ones((1, V), dt)
        self.eye = np.eye(V, dtype=dt)
        self.ids = np.empty((B * T, V), dt)  # row i: the one-hot of the batch's i-th id

    # -- forward ---------------------------------------------------------------------------
    def forward(self, idx: np.ndarray, targets: np.ndarray) -> float:
        """idx (B, T) ids, targets (B,) -> mean cross-entropy. The caller checks that the ids and
        targets are in range (a training set is, by construction) and silences overflow warnings:
        an overflowing exp shows up as a non-finite loss, which is then redone."""
        B, T = idx.shape
        if B != self.batch or T != self.T:
            self._buffers(B, T)
        self.idx = idx
        # (B, T, E); mode "clip": no bounds check (which would buffer the output), the ids are in range
        self.C.take(idx, axis=0, out=self.x, mode="clip")
        h = self.x1  # (B, T*E + 1)
        for block in self.blocks:
            np.dot(h, block.W, out=block.h)
            if block.b is not None:
                block.h += block.b
            # kept for backward (tanh' = 1 - tanh^2) and for the diagnostics
            h = block.tanh.out = np.tanh(block.h, out=block.h)
        # The logits are kept transposed, (V, B): the backward's product dlogits @ W.T is then one
        # BLAS does 2 us faster at these shapes, and the softmax works as well down the columns.
        np.dot(self.WoT, self.hT, out=self.logits)
        self.logits += self.bo
        return self._cross_entropy(self.logits, targets)

    def _cross_entropy(self, logits, targets) -> float:
        """Mean over the columns b of log(sum exp(logits[:, b])) - logits[targets[b], b]."""
        self.eye_B.take(targets, axis=1, out=self.onehot, mode="clip")  # (V, B) one-hot / B
        picked = float(np.dot(*self.flat))  # the mean target logit
        # exp of the logits themselves: at sane logits nothing over- or underflows, so the usual
        # max subtraction (two passes) is left to the rare batch that needs it (_shifted)
        np.exp(logits, out=self.probs)
        np.dot(self.ones_V, self.probs, out=self.total)  # (1, B) column sums
        if self.total.min() < TINY:
            return self._shifted(logits)
        loss = float(np.dot(np.log(self.total_row), self.mean_B)) - picked
        return loss if math.isfinite(loss) else self._shifted(logits)

    def _shifted(self, logits) -> float:
        """The same loss with each column's max subtracted first: no exp over- or underflows."""
        shifted = logits - logits.max(axis=0, keepdims=True)
        np.exp(shifted, out=self.probs)
        np.dot(self.ones_V, self.probs, out=self.total)
        return float(np.log(self.total).mean() - np.dot(self.onehot.reshape(-1), shifted.reshape(-1)))

    # -- backward --------------------------------------------------------------------------
    def backward(self) -> None:
        """Fill every layer's gradients for the last forward (its softmax buffer becomes dlogits)."""
        d = self.probs  # (V, B) dlogits, transposed: softmax / B - onehot / B
        self.total *= self.batch
        np.divide(d, self.total, out=d)
        d -= self.onehot
        np.dot(self.hT, d.T, out=self.dWo)  # (H, V)
        np.dot(d, self.ones_Bcol, out=self.dbo)  # (V, 1) row sums of d
        dh = np.dot(d.T, self.WoT, out=self.blocks[-1].dh)  # (B, H)
        for block in reversed(self.blocks):
            block.tanh.dout = dh  # kept for the diagnostics
            d = tanh_backward(block.h, dh, block.dpre)  # (B, H)
            np.dot(block.xT, d, out=block.dW)
            if block.db is not None:
                np.dot(self.ones_B, d, out=block.db)
            dh = np.dot(d, block.WT, out=block.dx)
        # dC[v] sums the rows of dx whose id is v: a one-hot (B*T, V) matrix times dx (B*T, E)
        self.eye.take(self.idx.reshape(-1), axis=0, out=self.ids, mode="clip")
        np.dot(self.ids.T, self.dx, out=self.dC)


def tanh_backward(h, dh, out):
    """dL/dpre = dL/dh * (1 - h^2) for h = tanh(pre), into out."""
    np.multiply(h, h, out=out)
    np.subtract(1, out, out=out)
    return np.multiply(out, dh, out=out)
