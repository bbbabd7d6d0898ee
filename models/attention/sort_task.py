"""A synthetic task whose attention is easy to read: sort (or reverse) a few letters.

    cab|abc        the model reads "cab|" and writes "abc", one letter at a time

Every sequence of `length` letters over `letters` is either a training or a held-out sequence
(a fixed hash of the sequence decides, so no held-out sequence is ever trained on). The model is
a GPT over the vocabulary '.', the letters and '|'; the loss counts only the answer letters.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from models.core.sampling import generate

SEPARATOR = "|"


@dataclass
class SortTask:
    length: int = 6  # letters per sequence
    letters: str = "abcdefgh"  # the alphabet the sequences are drawn from (repeats allowed)
    mode: str = "sort"  # "sort" or "reverse"
    holdout: float = 0.1  # share of all possible sequences kept out of training

    def __post_init__(self):
        if self.mode not in ("sort", "reverse"):
            raise ValueError(f"mode must be 'sort' or 'reverse', not {self.mode!r}")
        if not 2 <= self.length <= 16 or len(set(self.letters)) != len(self.letters) or \
                not 2 <= len(self.letters) <= 26:
            raise ValueError("a sort task needs 2-16 letters per sequence from 2-26 distinct letters")

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def itos(self) -> tuple[str, ...]:
        return (".", *self.letters, SEPARATOR)

    @property
    def block_size(self) -> int:
        """The model reads the input, '|' and all but the last answer letter."""
        return 2 * self.length

    @property
    def separator_id(self) -> int:
        return len(self.letters) + 1

    # -- sequences ---------------------------------------------------------------------------
    def answer(self, seqs: np.ndarray) -> np.ndarray:
        """Letter ids (N, length) -> the ids the model must write (N, length)."""
        return np.sort(seqs, axis=1) if self.mode == "sort" else seqs[:, ::-1]

    def is_heldout(self, seqs: np.ndarray) -> np.ndarray:
        """(N, length) letter ids -> (N,) bool: a fixed hash of the whole sequence."""
        code = np.zeros(len(seqs), dtype=np.uint64)
        for j in range(self.length):  # the sequence as a base-k number
            code = code * np.uint64(len(self.letters)) + seqs[:, j].astype(np.uint64)
        h = code * np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: mixes every digit
        h ^= h >> np.uint64(29)
        return (h % np.uint64(10_000)) < np.uint64(round(self.holdout * 10_000))

    def random_sequences(self, rng, n: int, heldout: bool) -> np.ndarray:
        """n random sequences (N, length) of letter ids 1..k, all training or all held-out."""
        out = np.empty((0, self.length), dtype=np.int64)
        while len(out) < n:
            seqs = rng.integers(1, len(self.letters) + 1, (max(2 * n, 64), self.length))
            out = np.concatenate([out, seqs[self.is_heldout(seqs) == heldout]])
        return out[:n]

    def examples(self, seqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sequences -> model inputs x and targets y (N, 2 * length); only the answer counts."""
        n, L = seqs.shape
        full = np.concatenate([seqs, np.full((n, 1), self.separator_id), self.answer(seqs)], axis=1)
        x = full[:, :-1]  # (N, 2L)
        y = full[:, 1:].copy()
        y[:, :L] = -1  # the input letters and '|' are given, not predicted
        return x, y

    def sampler(self):
        """A batch sampler for models.attention.train.train: fresh training sequences."""
        def sample(rng, batch_size):
            return self.examples(self.random_sequences(rng, batch_size, heldout=False))
        return sample

    # -- text ----------------------------------------------------------------------------------
    def encode(self, text: str) -> np.ndarray:
        """'cab' -> letter ids (1, length). Raises ValueError with a message for the user."""
        text = text.strip().rstrip(SEPARATOR)
        if len(text) != self.length or any(c not in self.letters for c in text):
            raise ValueError(f"type {self.length} letters from '{self.letters}', e.g. "
                             f"'{self.letters[:self.length][::-1]}'")
        return np.array([[self.letters.index(c) + 1 for c in text]], dtype=np.int64)

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)

    # -- evaluation ----------------------------------------------------------------------------
    def solve(self, model, seqs: np.ndarray, batch_size: int = 100) -> np.ndarray:
        """The model's greedy answers (N, length) for sequences (N, length), a batch at a time."""
        out = []
        for i in range(0, len(seqs), batch_size):
            chunk = seqs[i:i + batch_size]
            prompt = np.concatenate([chunk, np.full((len(chunk), 1), self.separator_id)], axis=1)
            out.append(generate(model, prompt, self.length, greedy=True)[:, -self.length:])
        return np.concatenate(out) if out else np.zeros((0, self.length), dtype=np.int64)

    def exact_match(self, model, n: int = 2000, seed: int = 1234) -> float:
        """Share of n held-out sequences the model answers exactly right (every letter)."""
        seqs = self.random_sequences(np.random.default_rng(seed), n, heldout=True)
        return float(np.all(self.solve(model, seqs) == self.answer(seqs), axis=1).mean())
