"""The bigram character model by counting.

How often each character follows each other one (with '.' marking the start and the end of a
word) gives a (V, V) matrix; normalising its rows gives P(next | previous). The average negative
log-likelihood (NLL) of the words under P is the model's loss.

BigramCounts follows the makemore contract (block_size 1, `forward(idx, targets) -> (logits,
loss)` with logits = log P), so it samples through models.core.sampling like every sequence model.
"""
from __future__ import annotations

import numpy as np

from models.core.data import END, Vocab, standard_split
from models.core.sampling import sample_words


def encode_stream(words, vocab: Vocab) -> np.ndarray:
    """All words as one id stream ".w1.w2...wn." (vectorised: no loop over characters).
    Raises ValueError naming a character that is not in the vocabulary."""
    text = END + END.join(words) + END
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)  # (L,) code points
    codes = np.array([ord(c) for c in vocab.itos], dtype=np.int64)
    lut = np.full(max(int(points.max()), int(codes.max())) + 1, -1, dtype=np.int64)
    lut[codes] = np.arange(vocab.size)
    ids = lut[points]  # (L,)
    if (ids < 0).any():
        bad = chr(int(points[np.argmax(ids < 0)]))
        raise ValueError(f"'{bad}' is not one of the {vocab.size} characters of this word list.")
    return ids


def bigram_pairs(words, vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """Every (previous, next) pair of the words: xs (N,), ys (N,); a word gives len(word) + 1
    (no words, no pairs: an empty split must not count the pair '..')."""
    if len(words) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ids = encode_stream(words, vocab)  # (N + 1,)
    return ids[:-1], ids[1:]


def count_bigrams(words, vocab: Vocab) -> np.ndarray:
    """counts[i, j] = how often character j follows character i. (V, V) int64."""
    xs, ys = bigram_pairs(words, vocab)
    V = vocab.size
    return np.bincount(xs * V + ys, minlength=V * V).reshape(V, V)  # (V, V)


def row_probs(counts: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """P(next | previous) from counts with add-k smoothing; an empty row becomes uniform."""
    N = counts.astype(np.float64) + smoothing  # (V, V)
    totals = N.sum(axis=1, keepdims=True)  # (V, 1)
    return np.divide(N, totals, out=np.full_like(N, 1.0 / N.shape[1]), where=totals > 0)


def log_probs(P: np.ndarray) -> np.ndarray:
    """log P with log 0 = -inf and no warning."""
    with np.errstate(divide="ignore"):
        return np.log(P)


class BigramCounts:
    """The counting model: a (V, V) count matrix and the probabilities it implies.

    `smoothing` (add-k) is what forward() and sample() use; probs() and nll() take k as an
    argument so a slider can ask for any k without making a new model."""
    block_size = 1  # it reads one character
    fixed_context = True  # before the first character it reads '.'

    def __init__(self, vocab: Vocab, counts: np.ndarray, smoothing: float = 0.0):
        self.vocab = vocab
        self.counts = counts  # (V, V) int64
        self.smoothing = smoothing
        self.training = False  # nothing to train: train(mode) only records the mode
        self._logP: np.ndarray | None = None  # log P at self.smoothing, made on first use

    @classmethod
    def fit(cls, words, vocab: Vocab | None = None) -> "BigramCounts":
        vocab = vocab or Vocab.from_words(words)
        return cls(vocab, count_bigrams(words, vocab))

    def with_smoothing(self, smoothing: float) -> "BigramCounts":
        """The same counts (shared, not copied) smoothed with another k."""
        return BigramCounts(self.vocab, self.counts, smoothing)

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def probs(self, smoothing: float | None = None) -> np.ndarray:
        """P(next | previous) (V, V) with add-k smoothing (k = self.smoothing by default)."""
        return row_probs(self.counts, self.smoothing if smoothing is None else smoothing)

    # -- the makemore contract -------------------------------------------------------------
    def train(self, mode: bool = True) -> "BigramCounts":
        self.training = bool(mode)
        return self

    def forward(self, idx: np.ndarray, targets: np.ndarray | None = None):
        """idx (...,) previous characters -> logits (..., V) = log P[idx] (-inf where P = 0),
        and with targets (...,) the mean NLL of the targets (inf if one has probability 0)."""
        if self._logP is None:
            self._logP = log_probs(self.probs())  # (V, V)
        idx = np.asarray(idx)
        logits = self._logP[idx]  # (..., V)
        if targets is None:
            return logits, None
        return logits, float(-self._logP[idx, np.asarray(targets)].mean())

    def sample(self, n: int, seed: int = 0, smoothing: float | None = None, max_len: int = 50,
               temperature: float = 1.0, top_k: int | None = None) -> list[str]:
        """n words drawn from the chain, reproducibly from `seed` (models.core.sampling)."""
        model = self if smoothing is None or smoothing == self.smoothing else self.with_smoothing(smoothing)
        return sample_words(model, self.vocab.decode, n, temperature=temperature, top_k=top_k,
                            seed=seed, max_len=max_len)

    # -- reading the table -----------------------------------------------------------------
    def nll(self, words, smoothing: float | None = None) -> float:
        """Average negative log-likelihood per bigram of `words` (inf if one has probability 0)."""
        xs, ys = bigram_pairs(words, self.vocab)
        logP = log_probs(self.probs(smoothing))  # (V, V)
        return float(-logP[xs, ys].mean())

    def char_nll(self, word: str, smoothing: float | None = None) -> list[tuple[str, float, float]]:
        """The word character by character: [(bigram, probability, -log probability), ...],
        from '.' + first letter to last letter + '.'."""
        xs, ys = bigram_pairs([word], self.vocab)
        P = self.probs(smoothing)[xs, ys]  # (len(word) + 1,)
        nll = -log_probs(P)
        itos = self.vocab.itos
        return [(itos[x] + itos[y], float(p), float(n)) for x, y, p, n in zip(xs, ys, P, nll)]

    def top_pairs(self, k: int = 10) -> list[tuple[str, int]]:
        """The k most common bigrams, most common first (ties in matrix order)."""
        flat = self.counts.ravel()
        order = np.argsort(-flat, kind="stable")[:k]
        V, itos = self.vocab.size, self.vocab.itos
        return [(itos[i // V] + itos[i % V], int(flat[i])) for i in order if flat[i] > 0]


def names_with_pair(words, pair: str, limit: int = 5) -> list[str]:
    """A few words containing the bigram `pair`; '.' matches the start or the end of a word."""
    a, b = pair
    if a == END and b == END:
        return []
    if a == END:
        match = lambda w: w.startswith(b)  # noqa: E731
    elif b == END:
        match = lambda w: w.endswith(a)  # noqa: E731
    else:
        match = lambda w: pair in w  # noqa: E731
    found = []
    for w in words:
        if match(w):
            found.append(w)
            if len(found) >= limit:
                break
    return found


def nll_from_counts(counts: np.ndarray, P: np.ndarray) -> float:
    """The average NLL of the bigrams tallied in `counts` (V, V) under P: the same number as
    averaging -log P over every pair, from the (V, V) table alone (so a slider can redo it)."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    used = counts > 0  # 0 * log 0 counts as 0
    return float(-(counts[used] * log_probs(P[used])).sum() / total)


def split_counts(words, vocab: Vocab | None = None) -> dict[str, np.ndarray]:
    """Count matrices of the train, val and test parts of the standard split."""
    vocab = vocab or Vocab.from_words(words)
    split = standard_split(words)
    return {name: count_bigrams(part, vocab)
            for name, part in (("train", split.train), ("val", split.val), ("test", split.test))}


def split_nll(words, smoothing: float = 0.0) -> dict[str, float]:
    """Counts from the train split of the standard split, NLL on each split (inf where an unseen
    bigram occurs and smoothing is 0: the reason for smoothing; nan for an empty split)."""
    counts = split_counts(words)
    P = row_probs(counts["train"], smoothing)  # (V, V)
    return {name: nll_from_counts(C, P) for name, C in counts.items()}
