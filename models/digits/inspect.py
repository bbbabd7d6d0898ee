"""Looking inside the digits CNN: where a unit looks in the input, and its value written out as
the weighted sum it is (the Digits tab's "Inside the CNN" page shows these)."""
from __future__ import annotations

import numpy as np

# the CNN's `maps` after a forward, in order
STAGES = ("conv1 (5×5 filters on the pixels)", "pool 2×2, ReLU", "conv2 (5×5 filters on those maps)",
          "pool 2×2, ReLU")


def receptive_field(stage: int, i: int, j: int, k: int = 5) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the input pixels that unit (i, j) of map stage `stage`
    depends on, bottom/right exclusive, clipped to the 28x28 field (kernel k, pad k // 2)."""
    p = k // 2

    def span(a):
        if stage == 0:  # conv1 output pixel a reads input a - p .. a + p
            lo, hi = a - p, a + p + 1
        elif stage == 1:  # pool of conv1 2a, 2a + 1
            lo, hi = 2 * a - p, 2 * a + 1 + p + 1
        elif stage == 2:  # conv2 reads pooled a - p .. a + p, i.e. conv1 2(a - p) .. 2(a + p) + 1
            lo, hi = 2 * (a - p) - p, 2 * (a + p) + 1 + p + 1
        else:  # pool of conv2 2a, 2a + 1
            lo, hi = 2 * (2 * a - p) - p, 2 * (2 * a + 1 + p) + 1 + p + 1
        return max(0, lo), min(28, hi)

    top, bottom = span(i)
    left, right = span(j)
    return top, bottom, left, right


def _num(v: float) -> str:
    return f"{v:+.2f}".replace("-", "−")


def _grid(values: np.ndarray, blank_zero: bool = False) -> str:
    """A small HTML table of numbers (rows of a 2-D array)."""
    rows = []
    for r in values:
        cells = "".join(f"<td align='right'>{'·' if blank_zero and abs(v) < 5e-3 else f'{v:.2f}'}</td>" for v in r)
        rows.append(f"<tr>{cells}</tr>")
    return "<table cellspacing='0' cellpadding='2'>" + "".join(rows) + "</table>"


def unit_story(net, x: np.ndarray, maps: list[np.ndarray], stage: int, c: int, i: int, j: int) -> str:
    """HTML: how unit (i, j) of map c at `stage` got its value for input x (28, 28)."""
    value = float(maps[stage][i, j, c])
    k = net.config.kernel
    p = k // 2
    if stage in (1, 3):  # max of a 2x2 block of the stage before, then ReLU
        block = maps[stage - 1][2 * i:2 * i + 2, 2 * j:2 * j + 2, c]  # (2, 2)
        m = float(block.max())
        return (f"<b>{STAGES[stage].split(',')[0]}, map {c}, row {i}, column {j} = {value:.2f}</b><br>"
                f"the largest of the 2×2 block below it in the map before:{_grid(block)}"
                f"max = {m:.2f}, and ReLU keeps {'it' if m > 0 else 'nothing below zero: 0'}.")
    if stage == 0:
        xp = np.pad(x, p)
        patch = xp[i:i + k, j:j + k]  # (k, k) the pixels under the filter
        w = net.conv1.weight[:, :, 0, c]  # (k, k)
        total = float((patch * w).sum())
        bias = float(net.conv1.bias[c])
        return (f"<b>conv1, map {c}, row {i}, column {j} = {value:.2f}</b><br>"
                f"the {k}×{k} pixels under the filter (ink = 1):{_grid(patch, blank_zero=True)}"
                f"times the filter's weights:{_grid(w)}"
                f"Σ pixel × weight = {_num(total)}, plus the bias {_num(bias)} = <b>{total + bias:.2f}</b>")
    pooled = np.pad(maps[1], ((p, p), (p, p), (0, 0)))  # (14 + 2p, 14 + 2p, c1)
    patch = pooled[i:i + k, j:j + k, :]  # (k, k, c1)
    w = net.conv2.weight[:, :, :, c]  # (k, k, c1)
    parts = (patch * w).sum(axis=(0, 1))  # (c1,) one weighted sum per input map
    bias = float(net.conv2.bias[c])
    terms = " ".join(f"{_num(v)}<sub>{m}</sub>" for m, v in enumerate(parts))
    top = int(np.argmax(np.abs(parts)))
    return (f"<b>conv2, map {c}, row {i}, column {j} = {value:.2f}</b><br>"
            f"a {k}×{k} window on each of the {len(parts)} maps of the layer before, each with its own "
            f"kernel (shown above). The weighted sum of each window (map number below it):<br>{terms}<br>"
            f"Σ = {_num(float(parts.sum()))}, plus the bias {_num(bias)} = <b>{float(parts.sum()) + bias:.2f}</b>. "
            f"Map {top} contributes most; its window:{_grid(patch[:, :, top], blank_zero=True)}")
