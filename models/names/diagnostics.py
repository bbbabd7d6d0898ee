"""What the Names tab shows about a network's health (makemore part 3): activation and gradient
histograms per tanh layer with their saturation, weight-gradient histograms with the
grad:data ratio, update-to-data ratios, the embedding in 2-D, and a numerical gradient check.

None of this runs in the training loop: train.snapshot(report) calls measure() only for the
reports the GUI shows (at most ~25 a second), on the worker thread between two steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.core.blas import blas_threads
from models.core.gradcheck import max_relative_error, numerical_grad
from models.core.layers import Linear, Tanh
from models.core.optim import Adam

SATURATED = 0.97  # |tanh| above this: the gradient through it is nearly gone (1 - 0.97^2 = 0.06)
HIST_BINS = 40
HIST_VALUES = 4096  # statistics and histograms use at most ~this many values of an array (an even stride)
MAP_ROWS = 256  # rows (examples) of the saturation map sent to the view


@dataclass
class TanhStats:
    """One tanh layer on the last batch."""
    name: str  # e.g. "tanh 2": the second tanh layer from the input
    act_mean: float
    act_std: float
    saturated: float  # share of outputs with |tanh| > SATURATED
    act_hist: np.ndarray  # (HIST_BINS,) counts over [-1, 1]
    act_edges: np.ndarray  # (HIST_BINS + 1,)
    saturation_map: np.ndarray  # (rows, H) 1.0 where saturated; rows = examples (x positions)
    grad_mean: float = float("nan")  # the gradient arriving at the tanh output (nan before backward)
    grad_std: float = float("nan")
    grad_hist: np.ndarray | None = None  # (HIST_BINS,) over [-max|g|, max|g|]
    grad_edges: np.ndarray | None = None


@dataclass
class WeightStats:
    """One weight matrix's gradient on the last batch (the lecture's grad:data ratio)."""
    name: str  # e.g. "W1 30×200" (see weight_names)
    key: str  # the parameter's name in model.named_parameters(), e.g. "2.weight"
    grad_mean: float
    grad_std: float
    data_std: float
    ratio: float  # grad std / data std
    hist: np.ndarray  # (HIST_BINS,)
    edges: np.ndarray  # (HIST_BINS + 1,)


@dataclass
class Health:
    """A training report's payload after snapshot(): everything the Names views read (copies)."""
    tanh: list[TanhStats] = field(default_factory=list)  # per tanh layer, input side first
    weight_grads: list[WeightStats] = field(default_factory=list)  # per 2-D weight
    update_ratio: dict[str, float] = field(default_factory=dict)  # "2.weight" -> log10(update std / weight std)
    embedding: np.ndarray | None = None  # (V, 2) the characters in 2-D
    batch: tuple | None = None  # (xb (B, T), yb (B,)) the batch the step used
    weights: dict | None = None  # a copy of state_dict(), when asked for (sampling during a run)
    detail: bool = True  # False: no histograms (tanh, weight_grads empty): no view that shows them was open


def layer_label(i: int, layer) -> str:
    return f"{i} {type(layer).__name__}"


def weight_names(model) -> dict[str, str]:
    """The lecture's names of the weight matrices: "0.weight" -> "C" (the embedding), then
    "W1", "W2", ... for the Linear layers in order (the last is the output layer)."""
    names = {"0.weight": "C"}
    linears = [i for i, layer in enumerate(model.layers) if isinstance(layer, Linear)]
    names.update({f"{i}.weight": f"W{k}" for k, i in enumerate(linears, start=1)})
    return names


def thin(x: np.ndarray) -> np.ndarray:
    """At most ~HIST_VALUES of x's values, by an even stride (a view, no copy): every statistic
    here is taken on it, so a snapshot's cost is bounded however wide the layers are."""
    flat = x.reshape(-1)
    return flat[::max(1, flat.size // HIST_VALUES)]


def histogram(x: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """(counts (HIST_BINS,), edges) of x (already thinned) over [lo, hi]; values outside fall in
    the end bins."""
    idx = ((x - lo) * (HIST_BINS / (hi - lo))).astype(np.intp)  # the bin of each value
    np.clip(idx, 0, HIST_BINS - 1, out=idx)
    return np.bincount(idx, minlength=HIST_BINS).astype(np.float64), np.linspace(lo, hi, HIST_BINS + 1)


def _spread(x: np.ndarray):
    """(mean, std, counts, edges) of thinned x, the histogram symmetric around 0."""
    lim = float(max(-x.min(), x.max())) if x.size else 0.0
    return (float(x.mean(dtype=np.float64)), float(x.std(dtype=np.float64)),
            *histogram(x, -(lim or 1e-12), lim or 1e-12))


def tanh_stats(model) -> list[TanhStats]:
    """Per tanh layer of the last training step: activation and gradient histograms and the
    saturation map (rows = examples (x positions), columns = neurons)."""
    out = []
    tanhs = [layer for layer in model.layers if isinstance(layer, Tanh)]
    for k, layer in enumerate(tanhs, start=1):
        if getattr(layer, "out", None) is None:
            continue
        h = layer.out.reshape(-1, layer.out.shape[-1])  # (N, H)
        rows = h[:MAP_ROWS]  # (<=MAP_ROWS, H)
        sample = thin(h)
        saturated = np.abs(sample) > SATURATED
        entry = TanhStats(f"tanh {k}", float(sample.mean(dtype=np.float64)), float(sample.std(dtype=np.float64)),
                          float(saturated.mean()), *histogram(sample, -1.0, 1.0),
                          (np.abs(rows) > SATURATED).astype(np.float32))
        dout = getattr(layer, "dout", None)
        if dout is not None and dout.shape == layer.out.shape:
            entry.grad_mean, entry.grad_std, entry.grad_hist, entry.grad_edges = _spread(thin(dout))
        out.append(entry)
    return out


def weight_grad_stats(model) -> list[WeightStats]:
    """Per 2-D weight (the embedding and every Linear): its gradient's histogram and the
    grad:data ratio std(dW) / std(W). A ratio far above the others' means that layer learns
    much faster than the rest (the lecture's ~1e-3 for a well-scaled net at lr 0.1 is in the
    *update* ratio, lr times this)."""
    out, names = [], weight_names(model)
    for name, p, g in model.named_parameters():
        if p.ndim != 2:
            continue
        data_std = float(thin(p).std(dtype=np.float64))
        mean, grad_std, hist, edges = _spread(thin(g))
        out.append(WeightStats(f"{names[name]} {p.shape[0]}×{p.shape[1]}", name, mean, grad_std, data_std,
                               grad_std / data_std if data_std > 0 else float("nan"), hist, edges))
    return out


def update_ratios(model, optimizer) -> dict[str, float]:
    """log10(std(update) / std(weights)) for every weight matrix (the lecture's ~ -3 rule of thumb),
    from the gradients and optimiser state of the last step (on thinned samples of each)."""
    base, item = model.params.ctypes.data, model.params.itemsize
    ratios = {}
    for name, p, _ in model.named_parameters():
        if p.ndim != 2:
            continue
        offset = (p.ctypes.data - base) // item  # where p sits in the flat parameter array
        part = slice(offset, offset + p.size, max(1, p.size // HIST_VALUES))
        upd = _last_update(model, optimizer, part)
        pstd, ustd = float(model.params[part].std(dtype=np.float64)), float(upd.std(dtype=np.float64))
        ratios[name] = float(np.log10(ustd / pstd)) if pstd > 0 and ustd > 0 else float("nan")
    return ratios


def _last_update(model, optimizer, part: slice) -> np.ndarray:
    """The step the optimiser just took (without its sign) on model.params[part]."""
    if isinstance(optimizer, Adam) and optimizer.t > 0:
        b1, b2 = optimizer.betas
        c1, c2 = 1 - b1 ** optimizer.t, 1 - b2 ** optimizer.t
        m, v = optimizer.m[0][part], optimizer.v[0][part]
        return (optimizer.lr / c1) * m / (np.sqrt(v / c2) + optimizer.eps)
    decay = getattr(optimizer, "weight_decay", 0.0)
    g = model.grads[part]
    return optimizer.lr * (g + decay * model.params[part] if decay else g)


def embedding_2d(C: np.ndarray) -> np.ndarray:
    """(V, D) embedding -> (V, 2): the two dimensions themselves when D <= 2, else the first two
    principal components (so similar characters stay close)."""
    C = np.asarray(C, dtype=np.float64)
    if C.shape[1] == 1:
        return np.concatenate([C, np.zeros_like(C)], axis=1)
    if C.shape[1] == 2:
        return C.copy()
    centred = C - C.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    # fix the sign of each axis so the picture does not flip from one frame to the next
    axes = vt[:2] * np.sign(vt[:2, np.argmax(np.abs(vt[:2]), axis=1)].diagonal())[:, None]
    return centred @ axes.T  # (V, 2)


def measure(model, optimizer, xb, yb, weights: bool = True, detail: bool = True) -> Health:
    """The Health of the step just taken on (xb, yb): copies only, safe to hand to another thread.
    Without `detail`, no histograms (three quarters of the cost): the update ratios (a history)
    and the embedding are still measured."""
    return Health(tanh_stats(model) if detail else [], weight_grad_stats(model) if detail else [],
                  update_ratios(model, optimizer), embedding_2d(model.layers[0].weight), (xb.copy(), yb.copy()),
                  {k: a.copy() for k, a in model.state_dict().items()} if weights else None, detail)


def check_gradients(model, xb, yb, per_param: int = 20, seed: int = 0) -> list[dict]:
    """Each parameter's hand-written gradient vs central differences on the batch (xb, yb), in a
    float64 copy of the model (training mode: batch statistics, like the step itself). At most
    `per_param` randomly chosen entries per array are probed.
    Rows: {"name", "max_abs_diff", "max_rel_error", "checked"}."""
    with blas_threads(1):
        return _check_gradients(model, xb, yb, per_param, seed)


def _check_gradients(model, xb, yb, per_param, seed):
    twin = model.clone(np.float64)
    twin.train()
    twin.forward(xb, yb)
    twin.backward()
    analytic = {name: g.copy() for name, _, g in twin.named_parameters()}
    rng = np.random.default_rng(seed)
    rows = []
    for name, p, _ in twin.named_parameters():
        # (each forward also nudges BatchNorm's running statistics, which the loss does not use)
        num = numerical_grad(lambda: twin.forward(xb, yb)[1], p, eps=1e-6, max_entries=per_param, rng=rng)
        mask = ~np.isnan(num)
        diff = np.abs(analytic[name][mask] - num[mask])
        i, what = name.split(".")
        rows.append({"name": f"{layer_label(int(i), twin.layers[int(i)])} {what}",
                     "max_abs_diff": float(diff.max()) if diff.size else 0.0,
                     "max_rel_error": max_relative_error(analytic[name], num),
                     "checked": int(mask.sum())})
    return rows
