"""What the Names tab shows about a network's health (makemore part 3): activation and gradient
histograms per tanh layer, the tanh saturation map, update-to-data ratios, the embedding in 2-D,
and a numerical gradient check.

None of this runs in the training loop: `snapshot(report)` is called by the GUI's runner only
for the reports it shows (at most ~25 a second), between two steps.
"""
from __future__ import annotations

import numpy as np

from models.core.gradcheck import max_relative_error, numerical_grad
from models.core.layers import Tanh
from models.core.blas import blas_threads
from models.core.optim import Adam

SATURATED = 0.97  # |tanh| above this: the gradient through it is nearly gone (1 - 0.97^2 = 0.06)
HIST_BINS = 40


def layer_label(i: int, layer) -> str:
    return f"{i} {type(layer).__name__}"


def tanh_stats(model) -> list[dict]:
    """Per tanh layer of the last training step: activation and gradient histograms and the
    saturation map (rows = examples (x positions), columns = neurons)."""
    out = []
    for i, layer in enumerate(model.layers):
        if not isinstance(layer, Tanh) or getattr(layer, "out", None) is None:
            continue
        h = layer.out.reshape(-1, layer.out.shape[-1])  # (N, H)
        counts, edges = np.histogram(h, bins=HIST_BINS, range=(-1.0, 1.0))
        entry = {"name": layer_label(i, layer), "act_mean": float(h.mean()), "act_std": float(h.std()),
                 "saturated": float(np.mean(np.abs(h) > SATURATED)),
                 "act_hist": counts.astype(np.float64), "act_edges": edges,
                 "saturation_map": (np.abs(h) > SATURATED).astype(np.float32)}  # (N, H)
        dout = getattr(layer, "dout", None)
        if dout is not None:
            g = dout.reshape(-1, dout.shape[-1]).astype(np.float64)  # (N, H)
            lim = float(np.abs(g).max()) or 1e-12
            gcounts, gedges = np.histogram(g, bins=HIST_BINS, range=(-lim, lim))
            entry.update(grad_mean=float(g.mean()), grad_std=float(g.std()), grad_hist=gcounts.astype(np.float64),
                         grad_edges=gedges)
        out.append(entry)
    return out


def _param_offsets(model) -> list[tuple[str, np.ndarray, int]]:
    """(name, param view, offset into model.params) for each learned array."""
    base = model.params.ctypes.data
    item = model.params.itemsize
    return [(name, p, (p.ctypes.data - base) // item) for name, p, _ in model.named_parameters()]


def update_ratios(model, optimizer) -> dict[str, float]:
    """log10(std(update) / std(weights)) for every weight matrix (the lecture's ~ -3 rule of thumb),
    from the gradients and optimiser state of the last step."""
    flat_update = _last_update(model, optimizer)
    ratios = {}
    for name, p, offset in _param_offsets(model):
        if p.ndim != 2:
            continue
        upd = flat_update[offset:offset + p.size]
        pstd, ustd = float(p.std()), float(upd.std())
        ratios[name] = float(np.log10(ustd / pstd)) if pstd > 0 and ustd > 0 else float("nan")
    return ratios


def _last_update(model, optimizer) -> np.ndarray:
    """The step the optimiser just took (without its sign), over the flat parameter array."""
    if isinstance(optimizer, Adam) and optimizer.t > 0:
        b1, b2 = optimizer.betas
        c1, c2 = 1 - b1 ** optimizer.t, 1 - b2 ** optimizer.t
        m, v = optimizer.m[0], optimizer.v[0]
        return (optimizer.lr / c1) * m / (np.sqrt(v / c2) + optimizer.eps)
    decay = getattr(optimizer, "weight_decay", 0.0)
    return optimizer.lr * (model.grads + decay * model.params if decay else model.grads)


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


def snapshot(report: dict, weights: bool = True) -> dict:
    """The GUI's copy of a training report: scalars, diagnostics and (optionally) a copy of the
    weights to sample from. Runs in the worker thread, between steps."""
    out = {k: v for k, v in report.items() if k != "state"}
    state = report.get("state")
    if state is None:
        return out
    model = state.model
    out["tanh"] = tanh_stats(model)
    out["update_ratio"] = update_ratios(model, state.optimizer)
    out["embedding"] = embedding_2d(model.layers[0].weight)
    out["batch"] = (state.xb.copy(), state.yb.copy())
    if weights:
        out["weights"] = {k: a.copy() for k, a in model.state_arrays().items()}
    return out


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
    twin.loss_and_backward(xb, yb)
    analytic = {name: g.copy() for name, _, g in twin.named_parameters()}
    rng = np.random.default_rng(seed)
    rows = []
    for name, p, _ in twin.named_parameters():
        # (each forward also nudges BatchNorm's running statistics, which the loss does not use)
        num = numerical_grad(lambda: twin.forward(xb, yb)[1], p, eps=1e-6, max_entries=per_param, rng=rng)
        mask = ~np.isnan(num)
        diff = np.abs(analytic[name][mask] - num[mask])
        layer = twin.layers[int(name.split(".")[0])]
        rows.append({"name": f"{layer_label(int(name.split('.')[0]), layer)} {name.split('.')[1]}",
                     "max_abs_diff": float(diff.max()) if diff.size else 0.0,
                     "max_rel_error": max_relative_error(analytic[name], num),
                     "checked": int(mask.sum())})
    return rows


def diagnose(model, xb, yb, lr: float = 0.1) -> dict:
    """The diagnostics of one training step on (xb, yb) taken by a copy of the model, so the
    model itself (weights and BatchNorm statistics) is untouched: for a model that was loaded
    rather than trained in this session. The update ratio assumes SGD at `lr`."""
    from models.names.train import TrainState
    from models.core.optim import SGD

    twin = model.clone()
    with blas_threads(1):
        loss = twin.loss_and_backward(xb, yb)
    state = TrainState(twin, SGD([twin.params], [twin.grads], lr=lr), xb, yb)
    return snapshot({"loss": loss, "state": state}, weights=False)
