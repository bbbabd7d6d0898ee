"""Word lists for the character models: loading, the vocabulary, the standard split, windows.

Shared by the bigram, names-MLP and attention models, so their losses compare with each other
and with the well-known lecture notebooks (same split, same '.' start/end token).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.assets import find_data

END = "."  # the start/end token, index 0 in every vocabulary
MAX_WORD_CHARS = 64  # a longer "word" means this is not a word list
MAX_WORDS = 500_000  # beyond this the bigram heatmap and training stop being interactive
MAX_FILE_BYTES = 16 * 1024 * 1024


class WordListError(ValueError):
    """A file that cannot be used as a word list; the message is for the user."""


def default_names_path() -> Path:
    """names.txt from $PLAYGROUND_DATA_DIR if present, else the list shipped in assets/names/."""
    return find_data("names.txt") if _user_has("names.txt") else find_data("names", "names.txt")


def _user_has(name: str) -> bool:
    from models.assets import data_dir

    d = data_dir()
    return d is not None and (d / name).is_file()


def parse_words(text: str, source: str = "the file") -> list[str]:
    """One word per line; blank lines and surrounding whitespace ignored. Raises WordListError."""
    if "\x00" in text:
        raise WordListError(f"{source} looks like a binary file, not a text word list.")
    words = [w for w in (line.strip() for line in text.splitlines()) if w]
    if not words:
        raise WordListError(f"{source} holds no words.")
    longest = max(words, key=len)
    if len(longest) > MAX_WORD_CHARS:
        raise WordListError(f"{source} has a line of {len(longest):,} characters; a word list has "
                            f"one word per line (at most {MAX_WORD_CHARS} characters).")
    if len(words) > MAX_WORDS:
        raise WordListError(f"{source} has {len(words):,} words; the limit is {MAX_WORDS:,}.")
    if END in "".join(words):
        raise WordListError(f"{source} uses '{END}', which is reserved as the start/end token.")
    return words


def load_words(path) -> list[str]:
    """Read a UTF-8 word list from disk. Raises WordListError with a message for the user."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise WordListError(f"{path.name} is {size / 2**20:.0f} MB; a word list here is at most "
                                f"{MAX_FILE_BYTES // 2**20} MB.")
        raw = path.read_bytes()
    except OSError as e:
        raise WordListError(f"Cannot read {path.name}: {e.strerror or e}.") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise WordListError(f"{path.name} is not UTF-8 text (bad byte at position {e.start}).") from e
    return parse_words(text, path.name)


@dataclass(frozen=True)
class Vocab:
    """Characters <-> integers; index 0 is the start/end token '.'."""
    itos: tuple[str, ...]

    @classmethod
    def from_words(cls, words) -> "Vocab":
        return cls((END, *sorted(set("".join(words)) - {END})))

    @property
    def size(self) -> int:
        return len(self.itos)

    @property
    def stoi(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.itos)}

    def encode(self, word: str) -> list[int]:
        stoi = self.stoi
        return [stoi[c] for c in word]

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)


@dataclass
class Split:
    train: list[str]
    val: list[str]
    test: list[str]


def standard_split(words, seed: int = 42) -> Split:
    """Shuffle with random.Random(seed), then 80/10/10 — the lectures' split, so losses compare."""
    words = list(words)
    random.Random(seed).shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    return Split(words[:n1], words[n1:n2], words[n2:])


def context_windows(words, vocab: Vocab, block_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (previous block_size characters -> next character) example of the words, as in
    Bengio et al. 2003 and makemore: X (N, block_size) int64 of context ids, Y (N,) of targets.
    Each word contributes len(word) + 1 examples, the last predicting the end token."""
    stoi = vocab.stoi
    ids = [[stoi[c] for c in w] + [0] for w in words]  # each word's targets, ending in '.'
    lengths = np.fromiter((len(t) for t in ids), dtype=np.int64, count=len(ids))
    # Lay every word out after block_size zeros of padding, then slide a window over the stream.
    stream_parts = []
    for t in ids:
        stream_parts.append(np.zeros(block_size, dtype=np.int64))
        stream_parts.append(np.asarray(t, dtype=np.int64))
    stream = np.concatenate(stream_parts) if stream_parts else np.zeros(0, np.int64)
    starts = np.cumsum(np.concatenate([[0], lengths[:-1] + block_size])) + block_size  # first target
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    target_pos = np.repeat(starts, lengths) + offsets  # (N,)
    X = stream[target_pos[:, None] - block_size + np.arange(block_size)]  # (N, block_size)
    Y = stream[target_pos]  # (N,)
    return X, Y
