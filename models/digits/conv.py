"""Convolution and max-pooling layers with explicit backward passes, for the digits CNN.

Images are NHWC: (B, H, W, C), channels last, so that a convolution is one matrix product.
`Conv2d` lays every K x K patch of the (zero-padded) input out as a row, im2col: (B*H*W, K*K*C)
rows times the (K*K*C, O) weights give (B*H*W, O), which is already the NHWC output. The patches
are K*K copies of the whole (channel-major) input shifted by each kernel offset, no loop over
pixels; backward scatters the patch gradients back with one add of a whole shifted array per
kernel offset (K*K adds, col2im). Each layer derives from models.core.layers.Layer: its
gradients land in `grads[name]` and its scratch arrays are reused from step to step.
"""
from __future__ import annotations

import numpy as np

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
        self.need_dw = True  # False for saliency: only d logit / d image is wanted
        self._init_grads()

    def forward(self, x):
        B, H, W, C = x.shape
        K, p = self.k, self.pad
        O = self.weight.shape[-1]
        Ho, Wo = H + 2 * p - K + 1, W + 2 * p - K + 1
        # the padded input channel-major, (C, B, Hp, Wp): every shifted window below is then a
        # copy of whole image rows, not a gather of single floats C apart
        xp = self._buffer("xp", (C, B, H + 2 * p, W + 2 * p), x.dtype)
        if p:
            xp[:, :, :p], xp[:, :, -p:], xp[:, :, :, :p], xp[:, :, :, -p:] = 0, 0, 0, 0  # the zero border
        xp[:, :, p:p + H, p:p + W] = x.transpose(3, 0, 1, 2)
        # im2col, stored transposed: row (dy, dx, c) holds pixel (i + dy, j + dx) of channel c for
        # every output position (b, i, j); K*K copies of shifted images, and BLAS reads the
        # transpose without a copy
        cols = self._buffer("cols", (K, K, C, B, Ho, Wo), x.dtype)
        for dy in range(K):
            for dx in range(K):
                cols[dy, dx] = xp[:, :, dy:dy + Ho, dx:dx + Wo]
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
        if self.need_dw:
            np.matmul(self.cols, d2, out=self.grads["weight"].reshape(K * K * C, O))  # (K*K*C, O)
            np.sum(d2, axis=0, out=self.grads["bias"])  # (O,)
        if not self.need_dx:
            return None
        dcols = self._buffer("dcols", (K * K * C, B * Ho * Wo), dout.dtype)
        np.matmul(self.weight.reshape(K * K * C, O), d2.T, out=dcols)  # (K*K*C, N) the patches' gradients
        dcols = dcols.reshape(K, K, C, B, Ho, Wo)
        dxp = self._buffer("dxp", (C, B, H + 2 * p, W + 2 * p), dout.dtype)
        dxp[...] = 0
        for dy in range(K):  # col2im: each kernel offset adds its shifted image of gradients back
            for dx in range(K):
                dxp[:, :, dy:dy + Ho, dx:dx + Wo] += dcols[dy, dx]
        dx = self._buffer("dx", (B, H, W, C), dout.dtype)
        dx[...] = dxp[:, :, p:p + H, p:p + W].transpose(1, 2, 3, 0)
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
