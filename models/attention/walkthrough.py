"""Follow every position through the whole transformer: the stages of one forward pass, read
from the layers' own buffers right after the model ran (instrumented, never recomputed), so the
walkthrough is the model.

    stages = walkthrough(model, ids)          # ids (T,): one text
    stages[0].outputs["x = tok + pos"][t]      # position t's vector after the embeddings

Stage by stage: token and position embeddings and their sum; then in every block LayerNorm
(mean, std, scale, shift), the queries, keys and values, the heads' weighted sums side by side,
the output projection, the residual addition, LayerNorm, the MLP (up, GELU, down) and the second
residual addition; then the final LayerNorm, the unembedding and the softmax over the vocabulary.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.attention.model import GPT

# The boxes of the block diagram, in order; a stage belongs to one (and, inside a block, a layer).
PARTS = ("embed", "ln1", "qkv", "heads", "proj", "add1", "ln2", "fc", "gelu", "fc_out", "add2",
         "ln_f", "unembed", "softmax")
BLOCK_PARTS = PARTS[1:11]


@dataclass
class Stage:
    part: str  # one of PARTS
    layer: int | None  # the block it is in (0-based), None outside the blocks
    title: str
    formula: str  # one line, plain text
    shapes: str  # e.g. "(T, 64) → (T, 192)"
    inputs: dict[str, np.ndarray] = field(default_factory=dict)  # label -> (T, n): row t is position t
    outputs: dict[str, np.ndarray] = field(default_factory=dict)  # label -> (T, n)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)  # label -> (T,): one number a position
    weights: np.ndarray | None = None  # heads: (n_head, T, T) attention weights of each head
    columns: list[str] | None = None  # labels of the output columns when they are characters


def _rows(a) -> np.ndarray:
    """A (T, n) float64 copy of a buffer of the last forward (B = 1)."""
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(a.shape[0], -1).copy()


def _heads(a) -> np.ndarray:
    """(1, nh, T, hs) per-head arrays -> (T, nh * hs): each position's heads side by side."""
    _, nh, T, hs = a.shape
    return np.asarray(a[0], dtype=np.float64).transpose(1, 0, 2).reshape(T, nh * hs).copy()


def _layer_norm(part, layer, where, ln, x) -> Stage:
    C = x.shape[1]
    return Stage(part, layer, f"LayerNorm{where}",
                 "n = (x − mean) / √(var + ε),   y = γ · n + β", f"(T, {C}) → (T, {C})",
                 inputs={"x": _rows(x), "γ (scale)": np.tile(ln.g, (x.shape[0], 1)).astype(np.float64),
                         "β (shift)": np.tile(ln.b, (x.shape[0], 1)).astype(np.float64)},
                 outputs={"n = (x − mean) / std": _rows(ln.xhat), "y = γ · n + β": _rows(ln.out)},
                 numbers={"mean": np.asarray(ln.mean, np.float64).copy(),
                          "std": 1.0 / np.asarray(ln.rstd, np.float64)})


def walkthrough(model: GPT, ids) -> list[Stage]:
    """Run the model on one text ids (T,) in eval mode (the experiments as set) and return its
    stages in order. The last stage's output is softmax(logits): forward()'s distribution."""
    ids = np.asarray(ids, dtype=np.int64).reshape(1, -1)
    was = model.training
    model.training = False
    try:
        logits, _ = model.forward(ids)  # (1, T, V): every buffer below is from this pass
        stages = _read(model, ids[0], logits[0])
    finally:
        model.training = was
    return stages


def _read(model: GPT, ids, logits) -> list[Stage]:
    T = len(ids)
    emb = model.embed
    C = emb.wte.shape[1]
    x = emb.out  # the embeddings' output: the residual stream entering block 1
    stages = [Stage("embed", None, "Token + position embeddings", "x = wte[token] + wpe[position]",
                    f"(T,) ids → (T, {C})",
                    inputs={"token embedding wte[token]": _rows(emb.wte[ids]),
                            "position embedding wpe[t]": _rows(emb.wpe[:T])},
                    outputs={"x = tok + pos": _rows(x)})]
    for i, block in enumerate(model.blocks):
        attn = block.attn
        nh, hs = attn.n_head, attn.head_size
        where = f" (block {i + 1})"
        stages.append(_layer_norm("ln1", i, " 1" + where, block.ln1, x))
        q, k, v = _heads(attn.q), _heads(attn.k), _heads(attn.v)
        stages.append(Stage("qkv", i, "Queries, keys, values" + where,
                            "q = x Wq + bq,  k = x Wk + bk,  v = x Wv + bv", f"(T, {C}) → 3 × (T, {nh}×{hs})",
                            inputs={"x (LayerNorm 1)": _rows(block.ln1.out)},
                            outputs={"q (what it looks for)": q, "k (what it offers)": k, "v (what it passes on)": v}))
        y = np.asarray(attn.y, np.float64).reshape(T, C).copy()
        mask = "−∞ after t" if attn.causal else "no mask"
        stages.append(Stage("heads", i, "Attention heads" + where,
                            f"head h: softmax(q·kⱼ / √{hs} + mask) · v   ({mask}); heads side by side",
                            f"{nh} × (T, T) weights · (T, {hs}) → (T, {C})",
                            inputs={"q": q}, outputs={"heads side by side": y},
                            weights=np.asarray(attn.att[0], np.float64).copy()))
        a = attn.proj.out
        stages.append(Stage("proj", i, "Output projection" + where, "a = heads · W_O + b_O",
                            f"(T, {C}) → (T, {C})", inputs={"heads side by side": y},
                            outputs={"a (attention's update)": _rows(a)}))
        x1 = block.x1
        stages.append(Stage("add1", i, "Residual addition 1" + where, "x ← x + a",
                            f"(T, {C}) + (T, {C})", inputs={"x (the stream)": _rows(x), "a": _rows(a)},
                            outputs={"x + a": _rows(x1)}))
        stages.append(_layer_norm("ln2", i, " 2" + where, block.ln2, x1))
        h = block.fc.out
        stages.append(Stage("fc", i, "MLP up" + where, "h = x W₁ + b₁", f"(T, {C}) → (T, {4 * C})",
                            inputs={"x (LayerNorm 2)": _rows(block.ln2.out)}, outputs={"h": _rows(h)}))
        g = block.gelu.out
        stages.append(Stage("gelu", i, "GELU" + where, "GELU(h) = h · Φ(h)   (Φ: the normal CDF)",
                            f"(T, {4 * C}) → (T, {4 * C})", inputs={"h": _rows(h)},
                            outputs={"GELU(h)": _rows(g)}))
        m = block.fc_out.out
        stages.append(Stage("fc_out", i, "MLP down" + where, "m = GELU(h) W₂ + b₂",
                            f"(T, {4 * C}) → (T, {C})", inputs={"GELU(h)": _rows(g)},
                            outputs={"m (the MLP's update)": _rows(m)}))
        x2 = block.x2
        stages.append(Stage("add2", i, "Residual addition 2" + where, "x ← x + m",
                            f"(T, {C}) + (T, {C})", inputs={"x (the stream)": _rows(x1), "m": _rows(m)},
                            outputs={"x + m": _rows(x2)}))
        x = x2
    stages.append(_layer_norm("ln_f", None, " (final)", model.ln_f, x))
    itos = list(model.itos)
    z = np.asarray(logits, np.float64)  # (T, V) what forward() returned
    stages.append(Stage("unembed", None, "Unembedding", "logits = x W_U   (one score per character)",
                        f"(T, {C}) → (T, {len(itos)})", inputs={"x (final LayerNorm)": _rows(model.ln_f.out)},
                        outputs={"logits": _rows(model.head.out)}, columns=itos))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    stages.append(Stage("softmax", None, "Softmax over the characters", "p(c) = exp(logit_c) / Σ exp(logit)",
                        f"(T, {len(itos)}) → (T, {len(itos)})", inputs={"logits": z},
                        outputs={"p(next character)": p / p.sum(axis=1, keepdims=True)}, columns=itos))
    return stages
