"""The layers of the character transformer, each with a hand-written backward.

They derive from the one `Layer` of models.core.layers: parameters named in `param_names`,
gradients in `grads[name]`, filled in place by backward, so the model can lay every parameter
and gradient in one flat buffer and the optimiser updates all of them in a handful of NumPy calls.

Speed: activations go into buffers reused from step to step (`Layer.buffer`). Fresh arrays of
this size (128 KB and more) are handed out by the C allocator as new pages that must be faulted
in each time, which costs more than the arithmetic. Arrays a layer returns are therefore only
valid until its next forward/backward; copy them to keep them. The storage stays as large as the
largest batch seen, so measure in modest batches (evaluate_loss uses 64 rows).
"""
from __future__ import annotations

import math

import numpy as np

from models.core.layers import Layer

DTYPE = np.float32  # the model's float type (tests of the backward switch it to float64)


class Linear(Layer):
    """y = x W + b on rows: x (N, n_in) -> (N, n_out). W is stored (n_in, n_out)."""

    def __init__(self, n_in: int, n_out: int, rng, std: float = 0.02, bias: bool = True):
        super().__init__()
        self.W = (rng.standard_normal((n_in, n_out)) * std).astype(DTYPE)
        self.param_names = ("W", "b") if bias else ("W",)
        if bias:
            self.b = np.zeros(n_out, DTYPE)
        self._init_grads()

    def forward(self, x):
        self.x = x  # (N, n_in)
        out = np.matmul(x, self.W, out=self.buffer("out", (x.shape[0], self.W.shape[1]), x.dtype))  # (N, n_out)
        if "b" in self.param_names:
            out += self.b
        self.out = out  # (the walkthrough reads what each layer gave)
        return out

    def backward(self, dout):
        N, n_out = dout.shape
        np.matmul(self.x.T, dout, out=self.grads["W"])  # (n_in, n_out)
        if "b" in self.param_names:  # column sums as one (1, N) @ (N, n_out) product: faster than sum()
            np.matmul(self._ones(N, dout.dtype), dout, out=self.grads["b"].reshape(1, n_out))
        return np.matmul(dout, self.W.T, out=self.buffer("dx", self.x.shape, dout.dtype))  # (N, n_in)


class LayerNorm(Layer):
    """Normalise each row to mean 0 and variance 1, then scale by g and shift by b. Keeps `mean`
    and `rstd` = 1 / sqrt(var + eps) of each row (the walkthrough shows them)."""

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.g = np.ones(dim, DTYPE)
        self.b = np.zeros(dim, DTYPE)
        self.eps = eps
        self.param_names = ("g", "b")
        self._init_grads()
        self._mean_vec = np.full(dim, 1.0 / dim, DTYPE)  # row means as one matrix-vector product

    def forward(self, x):
        N, C = x.shape
        mv = self._mean_vec.astype(x.dtype, copy=False)
        self.mean = np.matmul(x, mv, out=self.buffer("mean", (N,), x.dtype))  # (N,)
        xhat = np.subtract(x, self.mean[:, None], out=self.buffer("xhat", (N, C), x.dtype))
        sq = np.square(xhat, out=self.buffer("tmp", (N, C), x.dtype))  # (N, C)
        rstd = np.matmul(sq, mv, out=self.buffer("rstd", (N,), x.dtype))  # (N,) the variance ...
        rstd += self.eps
        np.sqrt(rstd, out=rstd)
        np.divide(1.0, rstd, out=rstd)  # ... made 1 / sqrt(var + eps) in place
        self.rstd = rstd
        xhat *= rstd[:, None]
        self.xhat = xhat  # (N, C)
        out = np.multiply(xhat, self.g, out=self.buffer("out", (N, C), x.dtype))
        out += self.b
        self.out = out
        return out

    def backward(self, dout):
        N, C = dout.shape
        ones = self._ones(N, dout.dtype)  # (1, N): column sums by matmul
        tmp = np.multiply(dout, self.xhat, out=self.buffer("tmp", (N, C), dout.dtype))
        np.matmul(ones, tmp, out=self.grads["g"].reshape(1, C))  # (C,) sum of dout * xhat
        np.matmul(ones, dout, out=self.grads["b"].reshape(1, C))  # (C,) sum of dout
        # the row means of dxhat = dout * g and of dxhat * xhat, as products with g / C (so dxhat
        # itself is never made), then scaled by rstd: (N,) vectors, cheap
        gm = np.multiply(self.g, 1.0 / C, out=self.buffer("g_mean", (C,), dout.dtype))
        mean_d = np.matmul(dout, gm, out=self.buffer("mean_d", (N,), dout.dtype))  # (N,)
        mean_dx = np.matmul(tmp, gm, out=self.buffer("mean_dx", (N,), dout.dtype))  # (N,)
        mean_d *= self.rstd
        mean_dx *= self.rstd
        # dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
        dx = np.multiply(dout, self.g, out=self.buffer("dx", (N, C), dout.dtype))
        dx *= self.rstd[:, None]
        dx -= np.multiply(self.xhat, mean_dx[:, None], out=tmp)
        dx -= mean_d[:, None]
        return dx


# erf(z) = 1 - (a1 t + ... + a5 t^5) exp(-z^2), t = 1 / (1 + p z), z >= 0: Abramowitz & Stegun
# 7.1.26, absolute error below 1.5e-7 — as exact as float32 allows, so this is the exact GELU.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def erf(x):
    """Vectorised error function (A&S 7.1.26), for any float array."""
    z = np.abs(x)
    t = 1.0 / (1.0 + _ERF_P * z)
    poly = t * (_ERF_A[0] + t * (_ERF_A[1] + t * (_ERF_A[2] + t * (_ERF_A[3] + t * _ERF_A[4]))))
    return np.copysign(1.0 - poly * np.exp(-z * z), x)


# GELU works with h = Phi(-|x|) = 0.5 erfc(|x| / sqrt 2) = e * P(t), e = exp(-x^2 / 2) (the normal
# density phi(x) times sqrt(2 pi)), P(t) = sum_k 0.5 a_k t^k. Writing t = s u with s chosen so that
# P's leading coefficient becomes 1 saves a Horner multiply: P = u (b1 + u (b2 + u (b3 + u (b4 + u)))).
_GELU_S = (0.5 * _ERF_A[4]) ** -0.2
_GELU_B = tuple(0.5 * a * _GELU_S ** k for k, a in enumerate(_ERF_A[:4], start=1))  # b1..b4
_GELU_U = _SQRT2 / (_ERF_P * _GELU_S)  # u = t / s = _GELU_U / (|x| + sqrt 2 / p)
_HALF_LOG2E = -0.5 / math.log(2.0)  # exp(-x^2 / 2) = exp2(x^2 * this): exp2 is the faster ufunc
_UINT = {np.dtype(f): u for f, u in ((np.float16, np.uint16), (np.float32, np.uint32),
                                     (np.float64, np.uint64))}  # same-width views of the bits


class GELU(Layer):
    """x * Phi(x) with Phi the standard normal CDF (PyTorch's default, exact erf form).

    In-place passes over preallocated buffers (this is the widest activation), with only ufuncs
    NumPy runs fast: Phi(x) = 0.5 + sign(x) (0.5 - h), the sign put on by flipping sign bits
    (np.copysign and x / |x| are several times slower). Keeps `grad` = Phi(x) + x phi(x) for
    backward."""

    def forward(self, x):
        shape, dt = x.shape, x.dtype
        u = np.abs(x, out=self.buffer("u", shape, dt))
        u += _SQRT2 / _ERF_P
        np.divide(_GELU_U, u, out=u)  # u = t / s, t = 1 / (1 + p |x| / sqrt 2)
        h = np.add(u, _GELU_B[3], out=self.buffer("h", shape, dt))
        h *= u
        for c in _GELU_B[2::-1]:  # Horner: ((u + b4) u + b3) u ...
            h += c
            h *= u
        e = np.square(x, out=u)  # u is used up: its buffer becomes e (square: twice x * x's speed)
        e *= _HALF_LOG2E
        np.exp2(e, out=e)  # e = exp(-x^2 / 2)
        h *= e  # h = Phi(-|x|)
        phi = np.subtract(0.5, h, out=h)  # Phi(|x|) - 0.5, >= 0
        uint, out = _UINT[dt], self.buffer("out", shape, dt)  # (out holds x's sign bits for a moment)
        sign = np.bitwise_and(x.view(uint), uint(1 << (8 * dt.itemsize - 1)), out=out.view(uint))
        bits = phi.view(uint)
        bits ^= sign  # phi is now Phi(x) - 0.5
        phi += 0.5  # Phi(x)
        e *= x
        e *= 1.0 / _SQRT_2PI
        e += phi  # d/dx [x Phi(x)] = Phi(x) + x phi(x), kept for backward
        self.grad = e
        self.out = np.multiply(x, phi, out=out)
        return self.out

    def backward(self, dout):
        return np.multiply(dout, self.grad, out=self.buffer("dx", dout.shape, dout.dtype))


class CausalSelfAttention(Layer):
    """Multi-head self-attention: each position mixes the values of the positions it may see.

    `temperature` divides the scores before the softmax (1 = the trained model); `causal=False`
    removes the mask so every position also sees the future (the cheating experiment)."""

    def __init__(self, n_embd: int, n_head: int, rng, proj_std: float):
        assert n_embd % n_head == 0, "n_embd must be a multiple of n_head"
        super().__init__()
        self.n_head, self.head_size = n_head, n_embd // n_head
        self.qkv = Linear(n_embd, 3 * n_embd, rng)  # fused query, key, value projections
        self.proj = Linear(n_embd, n_embd, rng, std=proj_std)
        self.temperature = 1.0
        self.causal = True

    @property
    def scale(self) -> float:
        return 1.0 / (math.sqrt(self.head_size) * self.temperature)

    def _mask(self, shape: tuple, dtype) -> np.ndarray:
        """-inf where the key comes after the query, in the key-major scores' whole shape
        (T_key, B, nh, T_query): a same-shape add runs several times faster than a broadcast one.
        Made when the shape changes."""
        mask = self._scratch.get("mask")
        if mask is None or mask.shape != shape or mask.dtype != dtype:
            T = shape[0]
            tri = np.triu(np.full((T, T), -np.inf, dtype), 1).T[:, None, None, :]
            mask = self._scratch["mask"] = np.ascontiguousarray(np.broadcast_to(tri, shape))
        return mask

    def split_heads(self, qkv, B, T):
        """(B*T, 3C) -> q, k, v views, each (B, nh, T, hs)."""
        return qkv.reshape(B, T, 3, self.n_head, self.head_size).transpose(2, 0, 3, 1, 4)

    # The scores live key-major, in a (T_key, B, nh, T_query) buffer: the softmax reductions then
    # run over the leading axis, which NumPy does in fast whole-row passes, where a reduction over
    # a last axis of 16 would crawl. Views give the usual (B, nh, T_query, T_key) picture.
    def forward(self, x, B, T):
        N, C = x.shape
        nh, hs = self.n_head, self.head_size
        qkv = self.qkv.forward(x)  # (B*T, 3C)
        self.q, self.k, self.v = self.split_heads(qkv, B, T)  # (B, nh, T, hs) each
        s = self.buffer("scores", (T, B, nh, T), x.dtype)  # s[j, b, h, i] = score of query i for key j
        np.matmul(self.k, self.q.transpose(0, 1, 3, 2), out=s.transpose(1, 2, 0, 3))
        s *= self.scale
        if self.causal:  # query i sees keys 0..i only
            s += self._mask(s.shape, x.dtype)
        s -= s.max(axis=0)  # max-subtracted: no overflow at any temperature
        np.exp(s, out=s)  # (not exp2: NumPy's exp2 is slow on the masked -inf)
        s *= 1.0 / s.sum(axis=0)  # (one division per row, then multiplies)
        self.att = s.transpose(1, 2, 3, 0)  # (B, nh, T, T) attention weights, rows sum to 1
        self.y = y = self.buffer("y", (B, T, nh, hs), x.dtype)
        np.matmul(self.att, self.v, out=y.transpose(0, 2, 1, 3))  # heads side by side: (B, T, nh, hs)
        return self.proj.forward(y.reshape(N, C))

    def backward(self, dout):
        B, nh, T, hs = self.q.shape
        dy = self.proj.backward(dout).reshape(B, T, nh, hs).transpose(0, 2, 1, 3)  # (B, nh, T, hs)
        dqkv = self.buffer("dqkv", (B * T, 3 * nh * hs), dout.dtype)
        dq, dk, dv = self.split_heads(dqkv, B, T)  # views into dqkv, (B, nh, T, hs)
        att_t = self.att.transpose(0, 1, 3, 2)  # (B, nh, T_key, T_query)
        np.matmul(att_t, dy, out=dv)
        ds = self.buffer("dscores", (T, B, nh, T), dout.dtype)  # key-major like the scores
        np.matmul(self.v, dy.transpose(0, 1, 3, 2), out=ds.transpose(1, 2, 0, 3))  # dL/d att
        # softmax backward: ds = att * (datt - sum_j datt * att); masked entries have att = 0
        s = self.att.transpose(3, 0, 1, 2)  # the (T_key, B, nh, T_query) buffer
        tmp = np.multiply(ds, s, out=self.buffer("tmp", ds.shape, ds.dtype))
        ds -= tmp.sum(axis=0)
        ds *= s
        ds *= self.scale  # now dL/d(q k^T), key-major
        np.matmul(ds.transpose(1, 2, 3, 0), self.k, out=dq)
        np.matmul(ds.transpose(1, 2, 0, 3), self.q, out=dk)
        return self.qkv.backward(dqkv)


class Dropout(Layer):
    """While `training`, zero each activation with probability p and scale the rest by 1/(1-p)
    (so nothing changes on average); otherwise pass x through untouched."""

    def __init__(self, p: float, seed: int = 0):
        super().__init__()
        self.p, self.training, self.mask = p, False, None
        self.rng = np.random.default_rng(seed)

    def forward(self, x):
        if not self.training or self.p == 0:
            self.mask = None
            return x
        mask = self.rng.random(x.shape, dtype=np.float32, out=self.buffer("mask", x.shape, np.float32))
        keep = mask >= self.p  # (N, C) bool
        np.multiply(keep, 1.0 / (1.0 - self.p), out=mask)
        self.mask = mask
        return np.multiply(x, mask, out=self.buffer("out", x.shape, x.dtype))

    def backward(self, dout):
        if self.mask is None:
            return dout
        return np.multiply(dout, self.mask, out=self.buffer("dx", dout.shape, dout.dtype))


class Block(Layer):
    """Pre-LayerNorm transformer block: x + attn(ln1(x)), then + mlp(ln2(x)) with a 4x GELU MLP
    (each branch through dropout while training, when the model has dropout)."""

    def __init__(self, n_embd: int, n_head: int, rng, proj_std: float, dropout: float = 0.0):
        super().__init__()
        self.ln1 = LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, rng, proj_std)
        self.drop_attn = Dropout(dropout, int(rng.integers(2**31)))
        self.ln2 = LayerNorm(n_embd)
        self.fc = Linear(n_embd, 4 * n_embd, rng)
        self.gelu = GELU()
        self.fc_out = Linear(4 * n_embd, n_embd, rng, std=proj_std)
        self.drop_mlp = Dropout(dropout, int(rng.integers(2**31)))

    def forward(self, x, B, T):
        a = self.drop_attn.forward(self.attn.forward(self.ln1.forward(x), B, T))  # (B*T, C)
        self.x1 = x1 = np.add(x, a, out=self.buffer("x1", x.shape, x.dtype))
        m = self.fc_out.forward(self.gelu.forward(self.fc.forward(self.ln2.forward(x1))))
        self.x2 = np.add(x1, self.drop_mlp.forward(m), out=self.buffer("x2", x.shape, x.dtype))  # (B*T, C)
        return self.x2

    def backward(self, dout):
        dm = self.fc_out.backward(self.drop_mlp.backward(dout))
        dx1 = self.ln2.backward(self.fc.backward(self.gelu.backward(dm)))
        dx1 += dout  # the residual path
        dx = self.ln1.backward(self.attn.backward(self.drop_attn.backward(dx1)))
        dx += dx1
        return dx
