"""What the Bigram tab shows, without Qt: the loaded list, its counts, and cell texts.

Loading runs as a job off the GUI thread (load_data); everything here is plain Python and
NumPy so it can be tested without a window.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.bigram.counts import BigramCounts, bigram_pairs, log_probs, nll_from_counts, split_counts
from models.core.assets import data_dir_problem
from models.core.data import WordListError, load_words

MODES = ("counts", "probabilities", "log-probabilities")
SMOOTHING_STEPS = (0.0, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1000.0)  # the slider's stops


@dataclass
class BigramData:
    """A loaded word list and everything counted from it."""
    source: str  # file name shown to the user
    words: list[str]
    model: BigramCounts  # counts of the whole list
    splits: dict[str, np.ndarray]  # train/val/test count matrices (the standard split)
    xs: np.ndarray  # (N,) previous characters of every pair, for the neural bigram
    ys: np.ndarray  # (N,) next characters
    note: str = ""  # something the user should know about where the list came from

    @classmethod
    def build(cls, words: list[str], source: str) -> "BigramData":
        model = BigramCounts.fit(words)
        xs, ys = bigram_pairs(words, model.vocab)
        return cls(source, words, model, split_counts(words, model.vocab), xs, ys)

    @property
    def itos(self) -> tuple[str, ...]:
        return self.model.vocab.itos

    def nll(self, smoothing: float) -> dict[str, float]:
        """"all": counts of the whole list on the whole list (the lectures' 2.454);
        train/val/test: counts of the train split on each split."""
        out = {"all": nll_from_counts(self.model.counts, self.model.probs(smoothing))}
        P = BigramCounts(self.model.vocab, self.splits["train"]).probs(smoothing)
        out.update({name: nll_from_counts(C, P) for name, C in self.splits.items()})
        return out


def load_data(path) -> BigramData:
    """The job behind File > Open… (runs on a worker thread): read, check and count a word list.
    Raises WordListError with a message for the user; the tab's current list stays as it was."""
    return BigramData.build(load_words(path), Path(path).name)


def load_default_data(path) -> BigramData:
    """load_data for the list the tab opens with, its failure said as such."""
    try:
        data = load_data(path)
    except WordListError as e:
        raise WordListError(f"The default names list could not be loaded: {e}") from e
    data.note = data_dir_problem() or ""
    return data


def display_char(c: str) -> str:
    """Characters that would be invisible as labels get a visible stand-in."""
    return "␣" if c == " " else c


def cell_values(data: BigramData, mode: str, smoothing: float) -> tuple[np.ndarray, np.ndarray]:
    """(values to colour (V, V), cell texts (V, V) "bigram\\nvalue") for one display mode."""
    counts = data.model.counts
    itos = [display_char(c) for c in data.itos]
    P = data.model.probs(smoothing)
    if mode == "counts":
        values = counts + smoothing
        texts = [_count_text(v) for v in values.ravel()]
    elif mode == "probabilities":
        values = P
        texts = [_prob_text(v) for v in values.ravel()]
    else:
        values = log_probs(P)
        texts = ["−∞" if v == -np.inf else f"{v:.1f}".replace("-", "−") for v in values.ravel()]
    V = len(itos)
    pairs = [a + b for a in itos for b in itos]
    cell_text = np.array([f"{p}\n{t}" for p, t in zip(pairs, texts)], dtype=object).reshape(V, V)
    return values, cell_text


def _count_text(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def _prob_text(p: float) -> str:
    """Percent, compact enough for a cell: 16%, 2.4%, <.1%, 0."""
    if p == 0:
        return "0"
    if p < 0.0005:
        return "<.1%"
    return f"{100 * p:.0f}%" if p >= 0.095 else f"{100 * p:.1f}%"


def format_nll(v: float) -> str:
    if np.isnan(v):
        return "–"
    return "∞" if np.isinf(v) else f"{v:.4f}"


def nll_note(nll: dict[str, float], words: int) -> str:
    """What the loss table's "–" and "∞" mean, when it shows them."""
    notes = []
    empty = [k for k in ("train", "val", "test") if np.isnan(nll[k])]
    if empty:
        notes.append(f"–: no pairs, the {' and '.join(empty)} split{'s are' if len(empty) > 1 else ' is'} "
                     f"empty with {words:,} word{'s' if words != 1 else ''} (80/10/10).")
        if "train" in empty:
            notes.append("With no train pairs the model is uniform guessing.")
    if any(np.isinf(v) for v in nll.values()):
        notes.append("∞: a pair in that split never occurs in train. Add smoothing.")
    return " ".join(notes)


def cell_info(data: BigramData, r: int, c: int, smoothing: float, examples: list[str]) -> str:
    """HTML for the cell panel: the pair, its count, probability and a few names."""
    itos = data.itos
    a, b = itos[r], itos[c]
    n = int(data.model.counts[r, c])
    row_total = int(data.model.counts[r].sum())
    p = float(data.model.probs(smoothing)[r, c])
    nll = "∞" if p == 0 else f"{-np.log(p):.2f}"
    after = "at the start" if a == "." else f"after '{display_char(a)}'"
    nxt = "the end" if b == "." else f"'{display_char(b)}'"
    smooth = f" (add-{smoothing:g})" if smoothing else ""
    lines = [f"<b style='font-size:120%'>{display_char(a)}{display_char(b)}</b>: {nxt} {after}",
             f"count <b>{n:,}</b> of {row_total:,}",
             f"P = <b>{p:.4f}</b>{smooth}, −log P = {nll}"]
    if examples:
        lines.append("e.g. " + ", ".join(examples))
    elif a == "." and b == ".":
        lines.append("an empty word: never happens")
    else:
        lines.append("no name has this pair")
    return "<br>".join(lines)
