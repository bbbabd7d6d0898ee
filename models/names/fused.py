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

TINY = 1e-30  # a row whose exps sum below this lost its precision to underflow: redo it shifted


class FusedMLP:
    """Embedding -> Flatten -> (Linear -> Tanh) x n -> Linear, with the mean cross-entropy."""

    @staticmethod
    def fits(layers) -> bool:
        """Whether `layers` are exactly the plain MLP this step knows (no batch norm, no tree)."""
        kinds = [type(layer) for layer in layers]
        n = (len(kinds) - 3) // 2
        return (len(kinds) >= 5 and kinds[:2] == [Embedding, Flatten] and kinds[-1] is Linear
                and kinds[2:-1] == [Linear, Tanh] * n and all(layer.bias is not None for layer in layers[2::2]))

    def __init__(self, layers):
        self.emb = layers[0]
        self.linears = layers[2::2]  # the hidden ones and the output layer
        self.tanhs = layers[3::2]
        self.batch = 0  # the batch size the buffers are made for

    def _buffers(self, B: int, T: int) -> None:
        """Every array a step writes, for batches of B examples of T characters."""
        V, E = self.emb.weight.shape
        dt = self.emb.weight.dtype
        self.batch, self.T = B, T
        self.x = np.empty((B, T, E), dt)  # the embedded context (B, T, E)
        self.hs = [np.empty((B, lin.weight.shape[1]), dt) for lin in self.linears]  # each layer's output
        self.dhs = [np.empty_like(h) for h in self.hs[:-1]]  # gradient at each tanh's output
        self.dpre = [np.empty_like(h) for h in self.hs[:-1]]  # ... and at its input
        self.dx = np.empty((B, T * E), dt)  # gradient at the embedded context
        self.total = np.empty((B, 1), dt)  # each row's sum of exp(logits)
        self.terms = np.empty(2 * B, dt)  # log(total) of each row, then the logit of each target
        self.signs = np.concatenate([np.full(B, 1.0 / B, dt), np.full(B, -1.0 / B, dt)])  # mean(first - second)
        self.rows = np.arange(B) * V  # flat offset of each row of the logits
        self.targets = np.empty(B, np.intp)  # flat index of each target logit
        self.ones_B = np.ones((1, B), dt)  # ones @ A sums A's rows (a BLAS call: faster than sum(axis=0))
        self.ones_V = np.ones((V, 1), dt)  # A @ ones sums A's columns
        self.eye = np.eye(V, dtype=dt)
        self.onehot = np.empty((B * T, V), dt)
        self.probs = np.empty((B, V), dt)

    # -- forward ---------------------------------------------------------------------------
    def forward(self, idx: np.ndarray, targets: np.ndarray) -> float:
        """idx (B, T) ids, targets (B,) -> mean cross-entropy. The caller silences overflow
        warnings: an overflowing exp shows up as a non-finite loss, which is then redone."""
        B, T = idx.shape
        if B != self.batch or T != self.T:
            self._buffers(B, T)
        self.idx = idx
        self.emb.weight.take(idx, axis=0, out=self.x, mode="clip")  # (B, T, E) ids are valid: no check
        h = self.x.reshape(B, -1)  # (B, T*E)
        for lin, tanh, out in zip(self.linears, self.tanhs, self.hs):
            np.dot(h, lin.weight, out=out)
            out += lin.bias
            h = tanh.out = np.tanh(out, out=out)  # kept for backward (tanh' = 1 - tanh^2) and the diagnostics
        self.h_last = h
        logits = self.logits = self.hs[-1]
        np.dot(h, self.linears[-1].weight, out=logits)
        logits += self.linears[-1].bias  # (B, V)
        return self._cross_entropy(logits, targets)

    def _cross_entropy(self, logits, targets) -> float:
        # exp of the logits themselves: at sane logits nothing over- or underflows, so the usual
        # max subtraction (two passes) is left to the rare batch that needs it (_shifted)
        np.add(self.rows, targets, out=self.targets)
        np.exp(logits, out=self.probs)
        np.dot(self.probs, self.ones_V, out=self.total)  # (B, 1) row sums
        if self.total.min() < TINY:
            return self._shifted(logits)
        np.log(self.total[:, 0], out=self.terms[:self.batch])
        logits.reshape(-1).take(self.targets, out=self.terms[self.batch:], mode="clip")
        loss = float(np.dot(self.terms, self.signs))  # mean(log(sum exp) - target logit), one call
        return loss if math.isfinite(loss) else self._shifted(logits)

    def _shifted(self, logits) -> float:
        """The same loss with each row's max subtracted first: no exp over- or underflows."""
        shifted = logits - logits.max(axis=1, keepdims=True)
        np.exp(shifted, out=self.probs)
        np.dot(self.probs, self.ones_V, out=self.total)
        picked = shifted.reshape(-1)[self.targets]
        return float(np.log(self.total).sum() - picked.sum()) / self.batch

    # -- backward --------------------------------------------------------------------------
    def backward(self) -> None:
        """Fill every layer's gradients for the last forward (its softmax buffer becomes dlogits)."""
        B = self.batch
        d = self.probs  # (B, V): dlogits = (softmax - onehot) / B
        self.total *= B
        np.divide(d, self.total, out=d)
        d.reshape(-1)[self.targets] -= 1.0 / B
        hs = [self.x.reshape(B, -1)] + self.hs[:-1]  # each Linear's input
        for k in range(len(self.linears) - 1, -1, -1):
            lin, x = self.linears[k], hs[k]
            np.dot(x.T, d, out=lin.grads["weight"])
            np.dot(self.ones_B, d, out=lin.grads["bias"].reshape(1, -1))
            if k == 0:
                np.dot(d, lin.weight.T, out=self.dx)
                break
            dh = self.tanhs[k - 1].dout = np.dot(d, lin.weight.T, out=self.dhs[k - 1])  # kept for the diagnostics
            d = tanh_backward(x, dh, self.dpre[k - 1])
        # dC[v] sums the rows of dx whose id is v: a one-hot (B*T, V) matrix times dx (B*T, E)
        V, E = self.emb.weight.shape
        self.eye.take(self.idx.reshape(-1), axis=0, out=self.onehot, mode="clip")
        np.dot(self.onehot.T, self.dx.reshape(-1, E), out=self.emb.grads["weight"])


def tanh_backward(h, dh, out):
    """dL/dpre = dL/dh * (1 - h^2) for h = tanh(pre), into out."""
    np.multiply(h, h, out=out)
    np.subtract(1, out, out=out)
    return np.multiply(out, dh, out=out)
