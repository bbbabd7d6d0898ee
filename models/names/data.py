"""The names data: a word list cut the standard way (80/10/10) into (context, next character)
examples, and which split each known word sits in (to tell a memorised name from a new one)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.core.data import Vocab, context_windows, standard_split

SPLITS = ("train", "val", "test")
NEW = "new"


@dataclass
class NamesData:
    vocab: Vocab
    block_size: int
    Xtr: np.ndarray  # (N, block_size) context ids
    Ytr: np.ndarray  # (N,) next-character ids
    Xval: np.ndarray
    Yval: np.ndarray
    Xtest: np.ndarray
    Ytest: np.ndarray
    split_of: dict[str, str] = field(default_factory=dict)  # word -> "train", "val" or "test"

    @classmethod
    def from_words(cls, words, block_size: int, vocab: Vocab | None = None) -> "NamesData":
        """Examples for `block_size`; with a given `vocab` (a loaded model's), characters it lacks
        are an error the user can read."""
        vocab = vocab or Vocab.from_words(words)
        unknown = sorted(set("".join(words)) - set(vocab.itos))
        if unknown:
            raise ValueError(f"The word list has characters this model never saw: {' '.join(unknown[:20])}")
        split = standard_split(words)
        parts = [context_windows(ws, vocab, block_size) if ws else (np.zeros((0, block_size)), np.zeros(0))
                 for ws in (split.train, split.val, split.test)]
        parts = [(X.astype(np.intp), Y.astype(np.intp)) for X, Y in parts]
        split_of = {}
        for name, ws in zip(reversed(SPLITS), (split.test, split.val, split.train)):
            split_of.update(dict.fromkeys(ws, name))  # a word listed twice counts as training
        return cls(vocab, block_size, *parts[0], *parts[1], *parts[2], split_of=split_of)

    def split_losses(self, model, splits=SPLITS) -> dict[str, float]:
        """Eval-mode mean loss per split, e.g. {"train": 2.07, "val": 2.10}."""
        sets = {"train": (self.Xtr, self.Ytr), "val": (self.Xval, self.Yval), "test": (self.Xtest, self.Ytest)}
        return {s: model.eval_loss(*sets[s]) for s in splits}

    def tag(self, word: str) -> str:
        """"train", "val" or "test" for a word of the list, "new" for one the list lacks."""
        return self.split_of.get(word, NEW)

    def tags(self, words) -> tuple[list[str], dict[str, int]]:
        """Each word's tag, and how many words carry each tag (every tag present, maybe 0)."""
        tags = [self.tag(w) for w in words]
        return tags, {t: tags.count(t) for t in (*SPLITS, NEW)}
