"""Optimisers over lists of (param, grad) NumPy arrays, updated in place."""
from __future__ import annotations

import math

import numpy as np


class SGD:
    """Plain SGD with optional momentum and L2 weight decay.

    `in_place=True` is the fused variant for large layers and many steps (the MNIST nets): the
    same update, v = momentum v + g; p -= lr v, written into scratch arrays made once, so a step
    allocates nothing. `step(lr)` may pass this step's rate (a schedule); with lr 1 and no
    momentum or decay it is one subtraction per parameter (a model that folded the rate into its
    backward pass, as the MNIST MLP does for plain SGD)."""

    def __init__(self, params, grads, lr=0.1, momentum=0.0, weight_decay=0.0, in_place=False):
        self.params, self.grads = list(params), list(grads)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity = [np.zeros_like(p) for p in self.params] if momentum else None
        self.scratch = [np.empty_like(p) for p in self.params] if in_place else None

    def step(self, lr: float | None = None):
        if lr is not None:
            self.lr = lr
        if self.scratch is not None:
            return self._step_in_place()
        for i, (p, g) in enumerate(zip(self.params, self.grads)):
            if self.weight_decay:
                g = g + self.weight_decay * p
            if self.velocity is not None:
                v = self.velocity[i]
                v *= self.momentum
                v += g
                g = v
            p -= self.lr * g

    def _step_in_place(self):
        if self.velocity is None and not self.weight_decay and self.lr == 1.0:
            for p, g in zip(self.params, self.grads):  # the rate is already in g (folded into backward)
                p -= g
            return
        for i, (p, g, s) in enumerate(zip(self.params, self.grads, self.scratch)):
            if self.weight_decay:
                np.multiply(p, self.weight_decay, out=s)
                s += g
                g = s
            if self.velocity is not None:
                v = self.velocity[i]
                v *= self.momentum
                v += g
                g = v
            np.multiply(g, self.lr, out=s)
            p -= s


class Adam:
    """Adam (Kingma & Ba), or AdamW when `decoupled=True`: weight decay applied to the weights
    directly rather than through the gradient. `decay_mask[i]` False exempts a parameter (biases,
    norms, as nanoGPT does).

    `in_place=True` is the fused variant for a model kept in a few large flat buffers (the
    transformer): the same arithmetic written into one scratch array per parameter made once, so
    a step allocates nothing (no L2 decay through the gradient then: use decoupled). It keeps
    `m` and `v` divided by (1 - b1) and (1 - b2) (see _step_in_place)."""

    def __init__(self, params, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled=False, decay_mask=None, in_place=False):
        self.params, self.grads = list(params), list(grads)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.decoupled = weight_decay, decoupled
        self.decay_mask = list(decay_mask) if decay_mask is not None else [True] * len(self.params)
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0
        if in_place and weight_decay and not decoupled:
            raise ValueError("the in-place Adam decays decoupled (AdamW) only")
        self.scratch = [np.empty_like(p) for p in self.params] if in_place else None

    def step(self):
        self.t += 1
        if self.scratch is not None:
            return self._step_in_place()
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, g, m, v, decay in zip(self.params, self.grads, self.m, self.v, self.decay_mask):
            if self.weight_decay and decay:
                if self.decoupled:
                    p *= 1 - self.lr * self.weight_decay
                else:
                    g = g + self.weight_decay * p
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)

    def _step_in_place(self):
        # The in-place variant keeps its moments scaled: m = (plain m) / (1 - b1) and
        # v = (plain v) / (1 - b2), so each update is m = b1 m + g, v = b2 v + g^2 (two passes
        # less), and the step lr m_hat / (sqrt(v_hat) + eps) becomes k m / (sqrt(v) + eps / r)
        # with r = sqrt((1 - b2) / c2), k = lr (1 - b1) / (c1 r): the constants fold into scalars.
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        r = math.sqrt((1 - b2) / c2)
        k, eps = self.lr * (1 - b1) / (c1 * r), self.eps / r
        for p, g, m, v, decay, tmp in zip(self.params, self.grads, self.m, self.v, self.decay_mask,
                                          self.scratch):
            if self.weight_decay and decay:
                p *= 1 - self.lr * self.weight_decay
            m *= b1
            m += g
            v *= b2
            v += np.square(g, out=tmp)
            np.sqrt(v, out=tmp)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= k
            p -= tmp


def AdamW(params, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01, decay_mask=None,
          in_place=False):
    """Adam with decoupled weight decay (Loshchilov & Hutter)."""
    return Adam(params, grads, lr, betas, eps, weight_decay, decoupled=True, decay_mask=decay_mask,
                in_place=in_place)
