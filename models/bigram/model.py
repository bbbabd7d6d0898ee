"""The bigram character model, twice: by counting, and by gradient descent.

Counting: how often each character follows each other one (with '.' marking the start and the
end of a word) gives a (V, V) matrix; normalising its rows gives P(next | previous). The
average negative log-likelihood (NLL) of the words under P is the model's loss.

Learning: a single linear layer, logits = one-hot(x) @ W, softmax, NLL. Multiplying a one-hot
row by W just picks row x of W, so the forward pass is `W[x]`. Trained to convergence with no
regularisation it finds softmax(W) = the count probabilities: the same model, learned.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.core.data import END, Vocab, standard_split
from models.core.optim import SGD


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
    """Every (previous, next) pair of the words: xs (N,), ys (N,); a word gives len(word) + 1."""
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
    """The counting model: a (V, V) count matrix and the probabilities it implies."""

    def __init__(self, vocab: Vocab, counts: np.ndarray):
        self.vocab = vocab
        self.counts = counts  # (V, V) int64

    @classmethod
    def fit(cls, words, vocab: Vocab | None = None) -> "BigramCounts":
        vocab = vocab or Vocab.from_words(words)
        return cls(vocab, count_bigrams(words, vocab))

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def probs(self, smoothing: float = 0.0) -> np.ndarray:
        return row_probs(self.counts, smoothing)  # (V, V)

    def nll(self, words, smoothing: float = 0.0) -> float:
        """Average negative log-likelihood per bigram of `words` (inf if one has probability 0)."""
        xs, ys = bigram_pairs(words, self.vocab)
        logP = log_probs(self.probs(smoothing))  # (V, V)
        return float(-logP[xs, ys].mean())

    def char_nll(self, word: str, smoothing: float = 0.0) -> list[tuple[str, float, float]]:
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

    def sample(self, n: int, seed: int = 0, smoothing: float = 0.0, max_len: int = 50) -> list[str]:
        """n words drawn from the chain, reproducibly from `seed`; all n walk in step."""
        return sample_words(self.probs(smoothing), self.vocab, n, seed, max_len)


def sample_words(P: np.ndarray, vocab: Vocab, n: int, seed: int = 0, max_len: int = 50) -> list[str]:
    """n words from the transition matrix P (V, V), starting at '.' and stopping at '.'."""
    rng = np.random.default_rng(seed)
    cdf = np.cumsum(P, axis=1)  # (V, V)
    cdf[:, -1] = np.inf  # rounding must never let u fall past the last column
    out = np.zeros((n, max_len), dtype=np.int64)  # (n, max_len)
    cur = np.zeros(n, dtype=np.int64)  # (n,) every word starts after '.'
    alive = np.ones(n, dtype=bool)  # (n,)
    for t in range(max_len):
        u = rng.random(n)  # (n,)
        nxt = (u[:, None] >= cdf[cur]).sum(axis=1)  # (n,) inverse-CDF draw
        out[:, t] = np.where(alive, nxt, 0)
        alive &= nxt != 0
        cur = np.where(alive, nxt, 0)
        if not alive.any():
            break
    return [vocab.decode(row[:np.argmin(row) if (row == 0).any() else max_len]) for row in out]


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
    bigram occurs and smoothing is 0: the reason for smoothing)."""
    counts = split_counts(words)
    P = row_probs(counts["train"], smoothing)  # (V, V)
    return {name: nll_from_counts(C, P) for name, C in counts.items()}


# -- The same model learned by gradient descent ------------------------------------------------

CHUNK_FLOATS = 8_000_000  # most probabilities held at once while training (32 MB in float32)

@dataclass
class NeuralBigramConfig:
    lr: float = 50.0  # full-batch gradient-descent step (the lecture's 50)
    l2: float = 0.0  # weight of mean(W**2) added to the loss (the lecture used 0.01)
    steps: int = 300  # gradient steps per run
    seed: int = 2147483647  # W starts as N(0, 1) numbers from this seed


class NeuralBigram:
    """logits = one-hot(x) @ W = W[x]; softmax; NLL. Hand-written backward."""

    def __init__(self, vocab_size: int, seed: int = 2147483647, dtype=np.float32):
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal((vocab_size, vocab_size)).astype(dtype)  # (V, V)
        self.dW = np.zeros_like(self.W)  # (V, V)
        self.block_size = 1
        self._cache = None

    def forward(self, idx: np.ndarray, targets: np.ndarray | None = None):
        """idx (...,) of previous characters -> logits (..., V), and the mean NLL if targets."""
        logits = self.W[idx]  # (..., V): one-hot(idx) @ W without building the one-hot
        if targets is None:
            self._cache = None
            return logits, None
        # For a stable exp, subtract each row's max; row W[x] has max max(W[x]), so shift W once.
        z = (self.W - self.W.max(axis=1, keepdims=True))[idx]  # (..., V)
        probs = np.exp(z)  # (..., V)
        probs /= probs.sum(axis=-1, keepdims=True)
        flat_probs = probs.reshape(-1, self.W.shape[0])  # (N, V)
        flat_t = np.asarray(targets).reshape(-1)  # (N,)
        rows = np.arange(flat_t.size)
        loss = float(-np.log(flat_probs[rows, flat_t].astype(np.float64)).mean())
        self._cache = (np.asarray(idx).reshape(-1), flat_t, flat_probs)
        return logits, loss

    def backward(self) -> np.ndarray:
        """Gradient of the last forward's loss: dlogits = (softmax - one-hot(target)) / N, then
        dW[i] = sum of dlogits over the examples whose previous character is i."""
        idx, targets, probs = self._cache
        N = targets.size
        dlogits = probs  # (N, V) reused in place: the forward's probs are not needed again
        dlogits[np.arange(N), targets] -= 1.0
        dlogits /= N
        self.dW[...] = scatter_rows(dlogits, idx, self.W.shape[0])  # (V, V)
        self._cache = None
        return self.dW

    def probs(self) -> np.ndarray:
        """softmax(W) row by row: the learned P(next | previous), to set beside the counts."""
        z = self.W.astype(np.float64) - self.W.max(axis=1, keepdims=True)  # (V, V)
        P = np.exp(z)
        return P / P.sum(axis=1, keepdims=True)


def scatter_rows(values: np.ndarray, idx: np.ndarray, n_rows: int) -> np.ndarray:
    """out[i] = sum of values[k] where idx[k] == i: the backward of indexing `W[idx]`.
    Sorted idx (the trainer sorts the batch once) makes it a fast segment sum."""
    out = np.zeros((n_rows, values.shape[1]), dtype=values.dtype)  # (n_rows, V)
    if idx.size == 0:
        return out
    if np.all(idx[1:] >= idx[:-1]):
        starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])  # first row of each segment
        out[idx[starts]] = np.add.reduceat(values, starts, axis=0)
    else:
        np.add.at(out, idx, values)
    return out


def train_neural(model: NeuralBigram, xs: np.ndarray, ys: np.ndarray, config: NeuralBigramConfig):
    """Full-batch gradient descent; yields {"step", "loss", "nll", "W"} after every step
    ("W" is the live array: copy it before keeping it)."""
    order = np.argsort(xs, kind="stable")  # the mean is order-free; sorted, the scatter is cheap
    xs, ys = xs[order], ys[order]
    N, V = xs.size, model.W.shape[0]
    # A huge list is taken in slices of at most CHUNK_FLOATS probabilities; their gradients add
    # up to the full batch's, so memory stays bounded and the maths is unchanged.
    chunk = max(1, CHUNK_FLOATS // V)
    grad = np.zeros_like(model.W)  # (V, V)
    # loss += l2 * mean(W**2) has gradient 2 * l2 * W / V**2, which is SGD's weight decay
    opt = SGD([model.W], [grad], lr=config.lr, weight_decay=2.0 * config.l2 / model.W.size)
    for step in range(1, config.steps + 1):
        grad[...] = 0.0
        nll = 0.0
        for start in range(0, N, chunk):
            weight = min(chunk, N - start) / N
            _, part = model.forward(xs[start:start + chunk], ys[start:start + chunk])
            nll += weight * part
            grad += weight * model.backward()
        model.dW[...] = grad
        loss = nll + config.l2 * float(np.mean(model.W.astype(np.float64) ** 2))
        opt.step()
        if not np.isfinite(loss):
            raise FloatingPointError("the loss is no longer finite: lower the learning rate")
        yield {"step": step, "loss": loss, "nll": nll, "W": model.W}
