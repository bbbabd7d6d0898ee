"""Words laid out for the character transformer: makemore's rows, the standard split, batches.

    data = names_data(words)                     # vocabulary, block size, train/val/test rows
    sample = row_sampler(*data.train, bucket=8)  # sample(rng, B) -> x, y (B, T)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.core.data import Vocab, standard_split


def word_examples(words, stoi: dict, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """makemore's layout: one row per word. x = [0] + ids padded with 0, y = ids + [0] padded
    with -1 (ignored by the loss). Words longer than block_size - 1 are cut. -> X, Y (N, block).
    Built with whole-array operations: half a million words take a fraction of a second."""
    n = len(words)
    X = np.zeros((n, block_size), dtype=np.int64)
    Y = np.full((n, block_size), -1, dtype=np.int64)
    if n == 0:
        return X, Y
    L = np.fromiter(map(len, words), dtype=np.int64, count=n)  # (N,) characters per word
    chars = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32)  # every character, in order
    keys = np.array(sorted(stoi, key=ord), dtype=object)
    codes = np.array([ord(c) for c in keys], dtype=np.uint32)
    ids = np.array([stoi[c] for c in keys], dtype=np.int64)[np.searchsorted(codes, chars)]  # (sum L,)
    Lc = np.minimum(L, block_size)  # the characters of each word that fit
    rows = np.repeat(np.arange(n), Lc)
    cols = np.arange(int(Lc.sum())) - np.repeat(np.cumsum(Lc) - Lc, Lc)  # position within its word
    vals = ids[np.repeat(np.cumsum(L) - L, Lc) + cols]
    Y[rows, cols] = vals
    shifted = cols < block_size - 1
    X[rows[shifted], cols[shifted] + 1] = vals[shifted]
    ended = L < block_size
    Y[np.flatnonzero(ended), L[ended]] = 0  # the end token
    return X, Y


def row_sampler(X, Y, bucket: int = 1, cut: bool = True):
    """A batch sampler drawing random rows of fixed examples: sample(rng, B) -> (x, y), cut after
    the last position any row of the batch has a target for. With causal attention that cut is
    exact (the padding after the words never reaches an earlier position) and saves the time
    spent on it (cut=False keeps every column: with the mask off the padding is visible). With
    bucket > 1, rows are drawn `bucket` batches at a time and grouped by
    length, so a batch of short words is short: every row is still drawn uniformly."""
    lengths = (Y >= 0).sum(axis=1)  # (N,) targets per row
    pending: list = []

    def rows(ix):
        T = max(1, int(lengths[ix].max())) if cut else X.shape[1]
        return X[ix, :T], Y[ix, :T]

    def sample(rng, batch_size):
        if bucket <= 1:
            return rows(rng.integers(0, len(X), batch_size))
        if not pending:
            ix = rng.integers(0, len(X), batch_size * bucket)
            ix = ix[np.argsort(lengths[ix], kind="stable")]
            groups = [ix[i * batch_size:(i + 1) * batch_size] for i in range(bucket)]
            pending.extend(groups[j] for j in rng.permutation(bucket))
        return rows(pending.pop())
    return sample


@dataclass
class NamesData:
    """A word list laid out for the transformer: vocabulary and the standard split's examples."""
    itos: tuple[str, ...]  # characters, '.' (start and end) first
    block_size: int  # the longest word + 1 (at least 16)
    train: tuple[np.ndarray, np.ndarray]  # X, Y (N, block_size)
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def names_data(words, itos=None, block_size: int | None = None) -> NamesData:
    """The standard 80/10/10 split of `words` in makemore's layout. With `itos` (a trained
    model's characters) the words must use only those; block_size defaults to
    max(16, longest word + 1). Raises ValueError with a message for the user."""
    itos = tuple(itos) if itos is not None else Vocab.from_words(words).itos
    unknown = sorted(set("".join(words)) - set(itos))
    if unknown:
        raise ValueError(f"the word list uses characters this model does not know: "
                         f"{''.join(unknown[:20])!r}")
    if block_size is None:
        block_size = max(16, max(len(w) for w in words) + 1)
    stoi = {c: i for i, c in enumerate(itos)}
    split = standard_split(words)
    parts = [word_examples(part, stoi, block_size) for part in (split.train, split.val, split.test)]
    return NamesData(itos, block_size, *parts)
