"""Convolution and max-pooling layers with explicit backward passes, for the digits CNN.

Images are NHWC: (B, H, W, C), channels last, so that a convolution is one matrix product.
`Conv2d` lays every K x K patch of the (zero-padded) input out as a row, im2col: (B*H*W, K*K*C)
rows times the (K*K*C, O) weights give (B*H*W, O), which is already the NHWC output. The patches
come from NumPy's sliding_window_view (a view: no loop over pixels) copied once into a buffer;
backward scatters the patch gradients back with one add of a whole shifted array per kernel
offset (K*K adds, col2im). Each layer derives from models.core.layers.Layer: its
gradients land in `grads[name]` and its scratch arrays are reused from step to step.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from models.core.layers import Layer


class Conv2d(Layer):
    """y[b, i, j, o] = bias[o] + sum over (dy, dx, c) of x_pad[b, i + dy, j + dx, c] * weight[dy, dx, c, o]:
    stride 1, `pad` zeros around, so pad = K // 2 keeps H and W ("same")."""
    param_names = ("weight", "bias")

    def __init__(self, in_channels: int, out_channels: int, kernel: int = 5, pad: int | None = None,
                 rng=None, dtype=np.float32):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng()
        self.k, self.pad = kernel, kernel // 2 if pad is None else pad
        fan_in = kernel * kernel * in_channels
        # He et al.: variance 2 / fan_in for a ReLU net
        self.weight = (rng.standard_normal((kernel, kernel, in_channels, out_channels))
                       * np.sqrt(2.0 / fan_in)).astype(dtype)  # (K, K, C, O)
        self.bias = np.zeros(out_channels, dtype)  # (O,)
        self.need_dx = True  # False for a first layer in training: nobody needs d loss / d image
        self._init_grads()

    def forward(self, x):
        B, H, W, C = x.shape
        K, p = self.k, self.pad
        O = self.weight.shape[-1]
        Ho, Wo = H + 2 * p - K + 1, W + 2 * p - K + 1
        xp = self._buffer("xp", (B, H + 2 * p, W + 2 * p, C), x.dtype)  # (B, Hp, Wp, C)
        if p:
            xp[:, :p], xp[:, -p:], xp[:, :, :p], xp[:, :, -p:] = 0, 0, 0, 0  # the zero border
        xp[:, p:p + H, p:p + W] = x
        # im2col, stored transposed: row (dy, dx, c) holds pixel (i + dy, j + dx) of channel c for
        # every output position (b, i, j). Filling it is K*K copies of whole shifted images
        # (contiguous writes), and BLAS reads the transpose without a copy.
        cols = self._buffer("cols", (K, K, C, B, Ho, Wo), x.dtype)
        windows = sliding_window_view(xp, (Ho, Wo), axis=(1, 2))  # (B, K, K, C, Ho, Wo) a view
        cols[...] = windows.transpose(1, 2, 3, 0, 4, 5)
        self.cols = cols.reshape(K * K * C, B * Ho * Wo)  # (K*K*C, N)
        self.in_shape = x.shape
        out = self._buffer("out", (B * Ho * Wo, O), x.dtype)
        np.matmul(self.cols.T, self.weight.reshape(K * K * C, O), out=out)  # (N, O)
        out += self.bias
        return out.reshape(B, Ho, Wo, O)

    def backward(self, dout):
        B, H, W, C = self.in_shape
        K, p = self.k, self.pad
        O = self.weight.shape[-1]
        _, Ho, Wo, _ = dout.shape
        d2 = dout.reshape(-1, O)  # (N, O)
        np.matmul(self.cols, d2, out=self.grads["weight"].reshape(K * K * C, O))  # (K*K*C, O)
        np.sum(d2, axis=0, out=self.grads["bias"])  # (O,)
        if not self.need_dx:
            return None
        # the patch gradients, one (N, C) block per kernel offset: (K*K, N, O) @ (K*K, O, C)
        dcols = self._buffer("dcols", (K * K, B * Ho * Wo, C), dout.dtype)
        w = self.weight.reshape(K * K, C, O)
        for k in range(K * K):
            np.matmul(d2, w[k].T, out=dcols[k])  # (N, C)
        dcols = dcols.reshape(K, K, B, Ho, Wo, C)
        dxp = self._buffer("dxp", (B, H + 2 * p, W + 2 * p, C), dout.dtype)
        dxp[...] = 0
        for dy in range(K):  # col2im: each kernel offset adds its shifted image of gradients back
            for dx in range(K):
                dxp[:, dy:dy + Ho, dx:dx + Wo] += dcols[dy, dx]
        return dxp[:, p:p + H, p:p + W]  # (B, H, W, C)


class MaxPool2(Layer):
    """2x2 max pooling, stride 2, on (B, H, W, C) with H and W even. Backward sends each
    gradient to the one input that was the maximum (the first of them on a tie: blank paper
    gives four equal values, and a gradient split four ways would be wrong)."""

    def forward(self, x):
        B, H, W, C = x.shape
        x6 = x.reshape(B, H // 2, 2, W // 2, 2, C)
        corners = [x6[:, :, i, :, j] for i in (0, 1) for j in (0, 1)]  # 4 x (B, H/2, W/2, C)
        out = self._buffer("out", corners[0].shape, x.dtype)
        np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3]), out=out)
        which = self._buffer("which", out.shape, np.uint8)  # 0..3: the corner that was the max
        which[...] = 3
        for k in (2, 1, 0):  # from the last corner to the first: the first maximum wins a tie
            which[corners[k] == out] = k
        self.which, self.in_shape = which, x.shape
        return out

    def backward(self, dout):
        B, H, W, C = self.in_shape
        dx = self._buffer("dx", (B, H // 2, 2, W // 2, 2, C), dout.dtype)
        for k in range(4):
            np.multiply(dout, self.which == k, out=dx[:, :, k // 2, :, k % 2])
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
