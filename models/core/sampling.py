"""One way to sample from every sequence model (bigram, names MLP, WaveNet, transformer).

A sequence model follows the makemore contract: `block_size` (how many tokens it reads),
`forward(idx, targets=None) -> (logits, loss)` with logits (B, V) for the next token or (B, T, V)
for every position, and `train(mode)` to switch batch norm / dropout. A model whose context is a
fixed window (`fixed_context = True`: the MLPs, the bigram) is fed its last block_size tokens
padded on the left with token 0, the start/end token '.'.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np


@contextmanager
def evaluating(model):
    """Eval mode (running batch-norm statistics, no dropout) inside; the old mode after."""
    was = bool(getattr(model, "training", False))
    model.train(False)
    try:
        yield model
    finally:
        model.train(was)


def next_token_probs(model, idx: np.ndarray, temperature: float = 1.0, top_k: int | None = None,
                     top_p: float | None = None) -> np.ndarray:
    """(B, T) tokens -> (B, V) the distribution of the next token, at `temperature`, kept to the
    `top_k` most likely tokens and to the smallest set of them holding `top_p` of the
    probability, when given (see distribution)."""
    idx = np.asarray(idx, dtype=np.int64)
    T = model.block_size
    cond = idx[:, -T:]  # (B, <=T)
    if getattr(model, "fixed_context", False) and cond.shape[1] < T:
        cond = np.concatenate([np.zeros((len(cond), T - cond.shape[1]), np.int64), cond], axis=1)
    logits, _ = model.forward(cond)
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim == 3:
        logits = logits[:, -1, :]  # (B, V) the last position's prediction
    return distribution(logits, temperature, top_k, top_p)


def distribution(logits: np.ndarray, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None) -> np.ndarray:
    """(B, V) logits -> (B, V) probabilities: softmax(logits / temperature), then only the top_k
    most likely tokens kept, then only the most likely ones whose probabilities add up to top_p
    (nucleus sampling; the likeliest token always stays), renormalised."""
    if not temperature > 0:
        raise ValueError("The temperature must be above 0.")
    logits = np.asarray(logits, dtype=np.float64) / temperature
    if top_k is not None and 0 < top_k < logits.shape[1]:
        kth = np.partition(logits, -top_k, axis=1)[:, -top_k][:, None]  # (B, 1)
        logits = np.where(logits < kth, -np.inf, logits)
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    if top_p is not None and 0 < top_p < 1:
        order = np.argsort(-p, axis=1, kind="stable")  # (B, V) likeliest first
        ranked = np.take_along_axis(p, order, axis=1)
        before = np.cumsum(ranked, axis=1) - ranked  # probability of the tokens ranked above
        keep = np.zeros(p.shape, bool)
        np.put_along_axis(keep, order, before < top_p, axis=1)
        p = np.where(keep, p, 0.0)
        p /= p.sum(axis=1, keepdims=True)
    return p


def draw(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One token per row of p (B, V) by inverse CDF."""
    u = rng.random((p.shape[0], 1))  # (B, 1)
    return np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)  # (B,)


def generate(model, idx, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
             rng: np.random.Generator | None = None, greedy: bool = False,
             top_p: float | None = None) -> np.ndarray:
    """Append max_new_tokens tokens to each row of idx (B, T) -> (B, T + new), in eval mode."""
    rng = rng if rng is not None else np.random.default_rng()
    idx = np.asarray(idx, dtype=np.int64)
    with evaluating(model):
        for _ in range(max_new_tokens):
            p = next_token_probs(model, idx, temperature, top_k, top_p)  # (B, V)
            nxt = p.argmax(axis=1) if greedy else draw(p, rng)
            idx = np.concatenate([idx, nxt[:, None]], axis=1)
    return idx


def sample_words(model, decode, n: int, temperature: float = 1.0, top_k: int | None = None,
                 seed: int = 0, max_len: int = 50) -> list[str]:
    """n words, each begun after '.' (token 0) and ended by the next '.', all n drawn in step.
    `decode` turns a row of token ids into text (a Vocab's decode)."""
    rng = np.random.default_rng(seed)
    idx = np.zeros((n, 1), dtype=np.int64)  # (n, 1) every word starts after '.'
    length = np.full(n, max_len)
    alive = np.ones(n, dtype=bool)
    with evaluating(model):
        for t in range(max_len):
            nxt = draw(next_token_probs(model, idx, temperature, top_k), rng)  # (n,)
            ended = alive & (nxt == 0)
            length[ended] = t
            alive &= ~ended
            idx = np.concatenate([idx, np.where(alive, nxt, 0)[:, None]], axis=1)
            if not alive.any():
                break
    return [decode(row[1:1 + k]) for row, k in zip(idx, length)]
