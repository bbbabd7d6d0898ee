"""Convolution and max-pooling layers with explicit backward passes, for the digits CNN.

Images are NHWC: (B, H, W, C), channels last, so that a convolution is one matrix product.
`Conv2d` lays every K x K patch of the (zero-padded) input out as a row, im2col: (B*H*W, K*K*C)
rows times the (K*K*C, O) weights give (B*H*W, O), which is already the NHWC output. The patches
are one copy of a strided view of all windows (sliding_window_view), no loop over pixels.
Backward needs no scatter of patch gradients: the input's gradient is itself a convolution (of
the output's gradient with the flipped kernel), so it is one more im2col and product. Each layer
derives from models.core.layers.Layer: its gradients land in `grads[name]` and its scratch
arrays are reused from step to step.
"""
from __future__ import annotations

import numpy as np

from models.core.layers import Layer

CHUNK_BYTES = 1 << 20  # im2col matrices of about this size: a core's cache holds them


class Conv2d(Layer):
    """y[b, i, j, o] = bias[o] + sum over (dy, dx, c) of x_pad[b, i + dy, j + dx, c] * weight[dy, dx, c, o]:
    stride 1, `pad` zeros around, so pad = K // 2 keeps H and W ("same")."""
    param_names = ("weight", "bias")

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 5, pad: int | None = None,
                 rng=None, dtype=np.float32):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng()
        self.k, self.pad = kernel, kernel // 2 if pad is None else pad
        if not 0 <= self.pad < kernel:
            raise ValueError(f"pad must be 0 .. {kernel - 1}, not {self.pad}")
        fan_in = kernel * kernel * in_channels
        # He et al.: variance 2 / fan_in for a ReLU net
        self.weight = (rng.standard_normal((kernel, kernel, in_channels, out_channels))
                       * np.sqrt(2.0 / fan_in)).astype(dtype)  # (K, K, C, O)
        self.bias = np.zeros(out_channels, dtype)  # (O,)
        self.need_dx = True  # False for a first layer in training: nobody needs d loss / d image
        self.need_dw = True  # False for saliency: only d logit / d image is wanted
        self._init_grads()

    def _padded(self, key, x, pad):
        """x (B, H, W, C) with `pad` zeros around, (B, H + 2 pad, W + 2 pad, C), in a kept buffer."""
        B, H, W, C = x.shape
        xp = self._buffer(key, (B, H + 2 * pad, W + 2 * pad, C), x.dtype)
        if pad:
            xp[:, :pad], xp[:, -pad:], xp[:, :, :pad], xp[:, :, -pad:] = 0, 0, 0, 0  # the zero border
        xp[:, pad:pad + H, pad:pad + W] = x
        return xp

    def _chunks(self, xp):
        """Slices of a few images each, so that their im2col matrix (about CHUNK_BYTES) stays in
        the core's cache between being written and being multiplied: the matrix of a whole batch
        is 25x its input and would travel to main memory and back."""
        B, Hp, Wp, C = xp.shape
        K = self.k
        per_image = (Hp - K + 1) * (Wp - K + 1) * K * K * C * xp.itemsize
        step = max(1, CHUNK_BYTES // per_image)
        return [slice(b, min(b + step, B)) for b in range(0, B, step)]

    def _im2col_plan(self, key, xp):
        """im2col of the padded images xp (B, Hp, Wp, C), chunk by chunk: for each chunk,
        (rows, windows, cols, matrix): the slice of images, their K x K windows (a strided view
        of xp, no copy), the buffer that `np.copyto(cols, windows)` fills, and that buffer as the
        (n*Ho*Wo, K*K*C) matrix BLAS multiplies, whose row (n, i, j) holds the window at (i, j)
        of image n in (dy, dx, c) order. The views are made once and kept while xp is the same
        buffer (every step of a training run): making them costs about as much as a chunk's copy."""
        plan = self._scratch.get(("plan", key))
        if plan is not None and plan[0] is xp:
            return plan[1]
        K = self.k
        # every K x K window as a view: (B, Ho, Wo, K, K, C)
        windows = np.lib.stride_tricks.sliding_window_view(xp, (K, K), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)
        chunks = []
        for rows in self._chunks(xp):
            w = windows[rows]
            b, Ho, Wo, _, _, C = w.shape
            if K * C >= Wo:
                # many channels: copy row by row, (n, i, j, dy) each a run of K*C contiguous floats
                cols = self.buffer(key, w.shape, xp.dtype)
                chunks.append((rows, w, cols, cols.reshape(b * Ho * Wo, K * K * C)))
            else:
                # few channels (the image itself): copy plane by plane, each (dy, dx, c) a shifted
                # image whose rows are Wo contiguous floats, and hand BLAS the transpose (a view)
                cols = self.buffer(key, (K, K, C, b, Ho, Wo), xp.dtype)
                chunks.append((rows, w.transpose(3, 4, 5, 0, 1, 2), cols, cols.reshape(K * K * C, -1).T))
        self._scratch[("plan", key)] = (xp, chunks)
        return chunks

    def forward(self, x):
        B, H, W, C = x.shape
        K, p = self.k, self.pad
        O = self.weight.shape[3]
        Ho, Wo = H + 2 * p - K + 1, W + 2 * p - K + 1
        self.xp = self._padded("xp", x, p)  # kept: backward makes the patches again, chunk by chunk
        self.in_shape = x.shape
        out = self._buffer("out", (B, Ho, Wo, O), x.dtype)
        weight = self.weight.reshape(K * K * C, O)
        for rows, windows, cols, matrix in self._im2col_plan("cols", self.xp):
            np.copyto(cols, windows)
            np.matmul(matrix, weight, out=out[rows].reshape(-1, O))  # (n, O)
            out[rows] += self.bias  # while the chunk's outputs are still in cache
        return out

    def backward(self, dout):
        K, p = self.k, self.pad
        C, O = self.weight.shape[2:]
        d2 = dout.reshape(-1, O)  # (N, O)
        if self.need_dw:
            dw = self.grads["weight"].reshape(K * K * C, O)
            dw[...] = 0
            part = self._buffer("dw_part", dw.shape, dw.dtype)
            for rows, windows, cols, matrix in self._im2col_plan("cols", self.xp):
                np.copyto(cols, windows)  # the same patches as forward, made again in cache
                np.matmul(matrix.T, dout[rows].reshape(-1, O), out=part)
                dw += part  # (K*K*C, O)
            # column sums as a (1, N) @ (N, O) product: faster than sum(axis=0)
            np.matmul(self._ones(d2.shape[0], d2.dtype), d2, out=self.grads["bias"].reshape(1, O))
        if not self.need_dx:
            return None
        # x_pad[b, i + dy, j + dx, c] met weight[dy, dx, c, o] in output (b, i, j, o), so d x[b, u, v, c]
        # collects dout[b, u + p - dy, v + p - dx, o] * weight[dy, dx, c, o]: a convolution of dout,
        # padded by K - 1 - p, with the kernel flipped in space and its channel axes swapped. One
        # more im2col and product, and no scatter-add of overlapping patches (col2im).
        dp = self._padded("dout_pad", dout, K - 1 - p)
        flipped = self._buffer("flipped", (K, K, O, C), dout.dtype)
        np.copyto(flipped, self.weight[::-1, ::-1].transpose(0, 1, 3, 2))
        dx = self._buffer("dx", self.in_shape, dout.dtype)
        for rows, windows, cols, matrix in self._im2col_plan("dcols", dp):
            np.copyto(cols, windows)
            np.matmul(matrix, flipped.reshape(K * K * O, C), out=dx[rows].reshape(-1, C))  # (n, C)
        return dx  # (B, H, W, C)


class MaxPool2(Layer):
    """2x2 max pooling, stride 2, on (B, H, W, C) with H and W even. Backward sends each
    gradient to the one input that was the maximum (the first of them on a tie: blank paper
    gives four equal values, and a gradient split four ways would be wrong). The winner is kept
    as three comparisons: left or right in the top pair, in the bottom pair, and top or bottom."""

    def forward(self, x):
        B, H, W, C = x.shape
        x6 = x.reshape(B, H // 2, 2, W // 2, 2, C)
        c00, c01, c10, c11 = (x6[:, :, i, :, j] for i in (0, 1) for j in (0, 1))  # 4 x (B, H/2, W/2, C)
        shape = c00.shape
        top = self._buffer("top", shape, x.dtype)
        bottom = self._buffer("bottom", shape, x.dtype)
        np.maximum(c00, c01, out=top)
        np.maximum(c10, c11, out=bottom)
        self.left_top = np.greater_equal(c00, c01, out=self._buffer("lt", shape, bool))  # first wins a tie
        self.left_bottom = np.greater_equal(c10, c11, out=self._buffer("lb", shape, bool))
        self.upper = np.greater_equal(top, bottom, out=self._buffer("up", shape, bool))
        self.in_shape = x.shape
        return np.maximum(top, bottom, out=self._buffer("out", shape, x.dtype))

    def backward(self, dout):
        B, H, W, C = self.in_shape
        dx = self._buffer("dx", (B, H // 2, 2, W // 2, 2, C), dout.dtype)
        up = self._buffer("g_up", dout.shape, dout.dtype)
        np.multiply(dout, self.upper, out=up)  # the gradient of the top pair's winner
        np.multiply(up, self.left_top, out=dx[:, :, 0, :, 0])
        np.subtract(up, dx[:, :, 0, :, 0], out=dx[:, :, 0, :, 1])
        np.subtract(dout, up, out=up)  # the bottom pair's share
        np.multiply(up, self.left_bottom, out=dx[:, :, 1, :, 0])
        np.subtract(up, dx[:, :, 1, :, 0], out=dx[:, :, 1, :, 1])
        return dx.reshape(self.in_shape)


class ReLU(Layer):
    """max(0, x); keeps the mask for backward."""

    def forward(self, x):
        self.mask = self._buffer("mask", x.shape, x.dtype)
        np.greater(x, 0, out=self.mask)
        out = self._buffer("out", x.shape, x.dtype)
        return np.multiply(x, self.mask, out=out)

    def backward(self, dout):
        dx = self._buffer("dx", dout.shape, dout.dtype)
        return np.multiply(dout, self.mask, out=dx)
