"""Training the character transformer: the makemore data layout, AdamW, the training generator.

    for report in train(model, sampler, TrainConfig(steps=1000)):
        print(report["step"], report["loss"])

`train` is a generator (no printing, no sleeping): the CLI, the GUI worker and the tests all drive
it, and may stop it between any two steps.
"""
from __future__ import annotations

import math
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass

import numpy as np

from models.core.optim import Adam
from models.attention.model import GPT
from models.attention.parallel import ParallelStep


@dataclass
class TrainConfig:
    steps: int = 5000  # optimisation steps
    batch_size: int = 32  # sequences per step
    lr: float = 1e-3  # peak learning rate
    min_lr: float = 1e-4  # learning rate reached at the end of the cosine decay
    warmup: int = 100  # steps of linear warm-up from 0 to lr
    weight_decay: float = 0.01  # AdamW decay, on weight matrices and embeddings only
    beta2: float = 0.99  # AdamW second-moment decay (beta1 is 0.9)
    eval_every: int = 500  # steps between validation evaluations (0: never)
    seed: int = 0  # batch order
    workers: int = 2  # threads each step's batch is split over (models.attention.parallel)
    ema: float = 0.0  # decay of a running average of the weights, evaluated instead (0 = off)

    def to_dict(self) -> dict:
        return asdict(self)

    def lr_at(self, step: int) -> float:
        """Linear warm-up, then cosine decay from lr to min_lr over the remaining steps."""
        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        progress = min(1.0, (step - self.warmup) / max(1, self.steps - self.warmup))
        return self.min_lr + 0.5 * (self.lr - self.min_lr) * (1.0 + math.cos(math.pi * progress))


class FusedAdamW(Adam):
    """models.core.optim.AdamW with the same arithmetic done in place in preallocated scratch, so a
    step over the model's two flat parameter buffers allocates nothing."""

    def __init__(self, params, grads, lr=1e-3, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01,
                 decay_mask=None):
        super().__init__(params, grads, lr, betas, eps, weight_decay, True, decay_mask)
        self.scratch = [np.empty_like(p) for p in self.params]

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, g, m, v, decay, tmp in zip(self.params, self.grads, self.m, self.v, self.decay_mask,
                                          self.scratch):
            if self.weight_decay and decay:
                p *= 1 - self.lr * self.weight_decay
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp  # m = b1 m + (1 - b1) g
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp  # v = b2 v + (1 - b2) g^2
            np.multiply(v, 1 / c2, out=tmp)
            np.sqrt(tmp, out=tmp)
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= self.lr / c1
            p -= tmp  # p -= lr m_hat / (sqrt(v_hat) + eps)


def make_optimizer(model: GPT, config: TrainConfig) -> FusedAdamW:
    params, grads, mask = model.param_groups()
    return FusedAdamW(params, grads, lr=config.lr, betas=(0.9, config.beta2),
                      weight_decay=config.weight_decay, decay_mask=mask)


def word_examples(words, stoi: dict, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """makemore's layout: one row per word. x = [0] + ids padded with 0, y = ids + [0] padded
    with -1 (ignored by the loss). Words longer than block_size - 1 are cut. -> X, Y (N, block)."""
    X = np.zeros((len(words), block_size), dtype=np.int64)
    Y = np.full((len(words), block_size), -1, dtype=np.int64)
    for i, word in enumerate(words):
        ids = [stoi[c] for c in word][:block_size]
        X[i, 1:len(ids) + 1] = ids[:block_size - 1]
        Y[i, :len(ids)] = ids
        if len(ids) < block_size:
            Y[i, len(ids)] = 0  # the end token
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


def evaluate_loss(model: GPT, X, Y, batch_size: int = 64) -> float:
    """Mean loss over every target of X, Y that is not -1 (batches weighted by their targets)."""
    total, count = 0.0, 0
    training, model.training = model.training, False  # no dropout when measuring
    try:
        for i in range(0, len(X), batch_size):
            y = Y[i:i + batch_size]
            n = int((y >= 0).sum())
            if n:
                _, loss = model.forward(X[i:i + batch_size], y)
                total += loss * n
                count += n
    finally:
        model.training = training
    return total / max(count, 1)


def train(model: GPT, sample, config: TrainConfig, evaluate=None, optimizer=None, start_step=0):
    """Yield {"step", "loss", "lr"} after each step; every eval_every steps (and at the last
    step) also "val_loss" = evaluate(model) when evaluate is given. `sample(rng, batch_size)`
    returns (x, y) arrays (B, T). Pass `optimizer` and `start_step` to continue a run.
    With config.ema, reports with "val_loss" are yielded while the model holds the averaged
    weights (that is what was evaluated, and what a caller saving the model should save)."""
    rng = np.random.default_rng(config.seed + start_step)
    opt = optimizer or make_optimizer(model, config)
    forward_backward = ParallelStep(model, config.workers)
    average = WeightAverage(model, config.ema) if config.ema else None
    model.training = True
    targets_seen = 0
    try:
        for step in range(start_step, config.steps):
            opt.lr = config.lr_at(step)
            x, y = sample(rng, config.batch_size)
            loss = forward_backward(x, y)
            # Every target counts the same, whatever batch it came in: the loss is a mean over
            # the batch's targets, so a batch of short words (fewer targets) is scaled down to
            # its share, as if its mean had been taken over an average batch's count.
            count = int((y >= 0).sum())
            targets_seen += count
            scale = count * (step - start_step + 1) / max(targets_seen, 1)
            if scale != 1.0:
                for grad in model.flat_grads.values():
                    grad *= scale
            opt.step()
            if average is not None:
                average.update(step - start_step)
            report = {"step": step + 1, "loss": loss, "lr": opt.lr}
            last = step + 1 == config.steps
            if evaluate is not None and ((config.eval_every and (step + 1) % config.eval_every == 0) or last):
                with average.swapped_in() if average is not None else nullcontext():
                    report["val_loss"] = evaluate(model)
                    yield report
                continue
            yield report
    finally:
        model.training = False
        forward_backward.close()


class WeightAverage:
    """An exponential moving average of the model's weights (Polyak averaging): it wanders
    less than the weights themselves, and usually generalises a little better."""

    def __init__(self, model: GPT, decay: float):
        self.model, self.decay = model, decay
        self.average = {k: p.copy() for k, p in model.flat_params.items()}
        self.scratch = {k: np.empty_like(p) for k, p in model.flat_params.items()}

    def update(self, t: int) -> None:
        d = min(self.decay, (1 + t) / (10 + t))  # short memory at first, while weights move fast
        for k, p in self.model.flat_params.items():
            self.average[k] *= d
            np.multiply(p, 1 - d, out=self.scratch[k])
            self.average[k] += self.scratch[k]

    @contextmanager
    def swapped_in(self):
        """Within the block, the model holds the averaged weights."""
        for k, p in self.model.flat_params.items():
            self.scratch[k][...] = p
            p[...] = self.average[k]
        try:
            yield
        finally:
            for k, p in self.model.flat_params.items():
                p[...] = self.scratch[k]


@dataclass
class NamesData:
    """A word list laid out for the transformer: vocabulary and the standard split's examples."""
    itos: tuple[str, ...]
    block_size: int
    train: tuple[np.ndarray, np.ndarray]  # X, Y (N, block_size)
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def names_data(words, itos=None, block_size: int | None = None) -> NamesData:
    """The standard 80/10/10 split of `words` in makemore's layout. With `itos` (a trained
    model's characters) the words must use only those; block_size defaults to
    max(16, longest word + 1). Raises ValueError with a message for the user."""
    from models.core.data import Vocab, standard_split

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
