"""What the Attention tab does, without Qt: a task (names or sort) with its data, text to tokens,
one look inside the model, the effect of the experiments, sampling, what the in-app training run
learns from, and opening a task or a weights file (the tab runs those as jobs, off its thread).

    lab = AttentionLab.for_names(words)            # or AttentionLab.for_sort(SortTask())
    view = lab.inspect(model, lab.context("em"))   # attention maps, next-character probabilities

A lab is not changed after it is made, so a job may read it while the GUI shows it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.attention.data import NamesData, names_data, row_sampler
from models.attention.model import GPT, GPTConfig
from models.attention.saving import load, snapshots
from models.attention.sort_task import SEPARATOR, SortTask
from models.attention.train import TrainData, evaluate_loss
from models.core.sampling import distribution, draw, evaluating, generate, next_token_probs

EFFECT_NAMES = 500  # validation names scored when an experiment changes (fast enough to feel live)
EFFECT_SEQUENCES = 200  # held-out sort sequences scored likewise


@dataclass
class Context:
    ids: np.ndarray  # (T,) token ids the model reads
    tokens: list[str]  # their characters, '.' for the start token
    query: int  # the position whose next character matters most (the last typed one)
    answer: str = ""  # sort: the model's answer
    expected: str = ""  # sort: the right answer


@dataclass
class View:
    maps: np.ndarray  # (n_layer, n_head, T, T) attention weights
    masked: np.ndarray  # (T, T) True where a query may not look
    probs: np.ndarray  # (T, V) next-character probabilities after each position


class AttentionLab:
    def __init__(self, task: str, itos, names: NamesData | None = None, sort: SortTask | None = None):
        self.task, self.itos = task, tuple(itos)
        self.names, self.sort = names, sort
        self.stoi = {c: i for i, c in enumerate(self.itos)}
        if sort is not None:  # the held-out sequences the experiments are scored on
            seqs = sort.random_sequences(np.random.default_rng(7), EFFECT_SEQUENCES, heldout=True)
            self._effect_data = (seqs, *sort.examples(seqs))

    @classmethod
    def for_names(cls, words, itos=None, block_size: int | None = None) -> "AttentionLab":
        data = names_data(words, itos, block_size)
        return cls("names", data.itos, names=data)

    @classmethod
    def for_sort(cls, sort: SortTask) -> "AttentionLab":
        return cls("sort", sort.itos, sort=sort)

    @property
    def block_size(self) -> int:
        return self.names.block_size if self.task == "names" else self.sort.block_size

    def new_model(self, n_layer=4, n_head=4, n_embd=64, seed=0) -> GPT:
        return GPT(GPTConfig(vocab_size=len(self.itos), block_size=self.block_size, n_layer=n_layer,
                             n_head=n_head, n_embd=n_embd, seed=seed), self.itos, self.task, self.sort)

    def fits(self, model: GPT) -> bool:
        """Whether `model` reads this task's characters and contexts."""
        return model.task == self.task and model.itos == self.itos and model.block_size >= self.block_size

    # -- text ----------------------------------------------------------------------------------
    def context(self, text: str, model: GPT | None = None) -> Context:
        """Typed text -> what the model reads. names: '.' + the prefix; sort: the letters, '|' and
        the model's own answer (so every answer position shows its attention). ValueError with
        a message for the user on text the task cannot read."""
        text = text.strip().lower()
        if self.task == "sort":
            seqs = self.sort.encode(text.split(SEPARATOR)[0])
            answer = self.sort.solve(model, seqs)[0] if model is not None else self.sort.answer(seqs)[0]
            full = np.concatenate([seqs[0], [self.sort.separator_id], answer[:-1]])
            return Context(full, [self.itos[i] for i in full], self.sort.length,
                           self.sort.decode(answer), self.sort.decode(self.sort.answer(seqs)[0]))
        unknown = sorted(set(text) - set(self.itos) - {"."})
        if unknown:
            raise ValueError(f"the model does not know {''.join(unknown)!r}; use "
                             f"{''.join(self.itos[1:])!r}")
        ids = np.array([0] + [self.stoi[c] for c in text.replace(".", "")], dtype=np.int64)
        ids = ids[:self.block_size]
        return Context(ids, [self.itos[i] for i in ids], len(ids) - 1)

    # -- a look inside -------------------------------------------------------------------------
    @staticmethod
    def inspect(model: GPT, ctx: Context, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None) -> View:
        """Every head's attention for the text, and the next-character distribution after each
        position at the output temperature (kept to top_k / top_p: what would be sampled from)."""
        logits, _ = model.forward(ctx.ids[None, :])
        maps = np.stack([a[0] for a in model.attention()])  # (L, H, T, T), copied by stack
        T = len(ctx.ids)
        masked = np.triu(np.ones((T, T), bool), 1) if model.causal else np.zeros((T, T), bool)
        return View(maps, masked, distribution(logits[0], temperature, top_k, top_p))

    def next_character(self, model: GPT, ctx: Context, temperature: float, top_k: int | None,
                       top_p: float | None, rng) -> int:
        """One character drawn after the text (names only), as `generate` would draw it."""
        with evaluating(model):
            p = next_token_probs(model, ctx.ids[None, :], temperature, top_k, top_p)  # (1, V)
        return int(draw(p, rng)[0])

    def sample(self, model: GPT, ctx: Context, temperature: float, n: int, rng, top_k=None,
               top_p=None) -> list[str]:
        """n continuations of the text (names: until the end token; sort: the answer letters)."""
        if self.task == "sort":
            prompt = np.tile(ctx.ids[:self.sort.length + 1], (n, 1))
            out = generate(model, prompt, self.sort.length, temperature, top_k, rng, top_p=top_p)
            return [self.sort.decode(row[self.sort.length + 1:]) for row in out]
        start = np.tile(ctx.ids, (n, 1))
        room = max(1, self.block_size - len(ctx.ids))
        out = generate(model, start, room, temperature, top_k, rng, top_p=top_p)[:, 1:]  # drop the start token
        words = []
        for row in out:
            cut = np.flatnonzero(row[len(ctx.ids) - 1:] == 0)
            row = row[:len(ctx.ids) - 1 + cut[0]] if cut.size else row
            words.append("".join(self.itos[i] for i in row))
        return words

    def score(self, model: GPT) -> dict:
        """The quick measure the experiments are judged by: loss on a few hundred validation
        names, or exact-match and loss on a few hundred held-out sort sequences."""
        if self.task == "names":
            X, Y = self.names.val
            return {"loss": evaluate_loss(model, X[:EFFECT_NAMES], Y[:EFFECT_NAMES])}
        seqs, x, y = self._effect_data
        right = np.all(self.sort.solve(model, seqs) == self.sort.answer(seqs), axis=1).mean()
        return {"loss": evaluate_loss(model, x, y), "exact": float(right)}

    # -- training ------------------------------------------------------------------------------
    def train_data(self, causal: bool = True) -> TrainData:
        """What models.attention.train.train learns from in the tab: batches, and the held-out loss
        the command line measures (the whole val split; the sort task's 2,000 held-out sequences
        of seed 99), so a run in the tab extends the curve of a file trained there."""
        if self.task == "names":
            return TrainData(row_sampler(*self.names.train, bucket=4, cut=causal),
                             lambda m: evaluate_loss(m, *self.names.val))
        x, y = self.sort.examples(self.sort.random_sequences(np.random.default_rng(99), 2000, heldout=True))
        return TrainData(self.sort.sampler(), lambda m: evaluate_loss(m, x, y))


def keep_schedule(steps: int) -> list[int]:
    """Checkpoint steps of an in-app run: roughly geometric (patterns form early), and the end."""
    marks = [s for s in (10, 30, 100, 200, 400, 700, 1000, 1500, 2000, 3000, 5000, 8000, 12000,
                         20000, 30000, 50000) if s < steps]
    return marks + [steps]


# -- opening (the tab's jobs: these run off the GUI thread) -----------------------------------
@dataclass
class Opened:
    """A task's lab and, if some were read, weights for it."""
    lab: AttentionLab
    model: GPT | None = None  # the weights read, or None
    snapshots: list = field(default_factory=list)  # [(step, state_dict)] kept while they trained
    meta: dict = field(default_factory=dict)  # how they were made (steps, losses)
    view: GPT | None = None  # a twin of `model` for a viewer to show, made by the job too (with_view)

    def with_view(self) -> "Opened":
        """Also a twin of the model (a GPT is built with fresh random weights, then loaded: tens
        of ms better spent off the GUI thread)."""
        self.view = self.model.clone() if self.model is not None else None
        return self


def open_task(task: str, words, weights=None) -> Opened:
    """The lab of `task` ("names" on `words`, or the sort task) and the weights file `weights`
    when it exists (the shipped weights of the task). ValueError / CheckpointError: a message."""
    if task == "names" and not words:
        raise ValueError("No word list is loaded (File > Open…).")
    lab = AttentionLab.for_names(words) if task == "names" else AttentionLab.for_sort(SortTask())
    if weights is None or not Path(weights).is_file():
        return Opened(lab)
    loaded = load(weights)
    return Opened(lab, loaded.model, snapshots(loaded), loaded.meta)


def open_weights(path, words, lab: AttentionLab | None) -> Opened:
    """A weights file, with `lab` if the file is of its task, else with the lab of the file's."""
    loaded = load(path)
    if lab is None or loaded.model.task != lab.task:
        lab = open_task(loaded.model.task, words).lab
    return Opened(lab, loaded.model, snapshots(loaded), loaded.meta)


def embedding_views(model: GPT) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the Embeddings page draws: each character's embedding projected on the first two
    principal components (V, 2), the share of variance each explains (2,), and how alike the
    position embeddings are: their cosine similarity (block_size, block_size)."""
    wte = model.embed.wte.astype(np.float64)  # (V, C)
    centred = wte - wte.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    explained = s[:2] ** 2 / max(float((s ** 2).sum()), 1e-12)
    wpe = model.embed.wpe.astype(np.float64)  # (T, C)
    unit = wpe / np.maximum(np.linalg.norm(wpe, axis=1, keepdims=True), 1e-12)
    return centred @ vt[:2].T, explained, unit @ unit.T
