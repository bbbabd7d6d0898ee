"""Word lists for the character models: loading, the vocabulary, the standard split, windows.

Shared by the bigram, names-MLP and attention models, so their losses compare with each other
and with the well-known lecture notebooks (same split, same '.' start/end token).
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.core.assets import asset_path, find_data, note_fallback
from models.core.safe_files import open_regular

END = "."  # the start/end token, index 0 in every vocabulary
MAX_WORD_CHARS = 64  # a longer "word" means this is not a word list
MAX_WORDS = 500_000  # beyond this the bigram heatmap and training stop being interactive
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_CHARACTERS = 128  # distinct characters; each is a row and a column of every model
MAX_LINES = 2 * MAX_WORDS  # lines of a word list file, blank ones included


class WordListError(ValueError):
    """A file that cannot be used as a word list; the message is for the user."""


def default_names_path() -> Path:
    """names.txt from $PLAYGROUND_DATA_DIR if present, else the list shipped in assets/names/."""
    if _user_has("names.txt"):
        return find_data("names.txt")
    note_fallback("names.txt")
    return asset_path("names", "names.txt")


def _user_has(name: str) -> bool:
    from models.core.assets import data_dir

    d = data_dir()
    return d is not None and (d / name).is_file()


def parse_words(text: str, source: str = "the file") -> list[str]:
    """One word per line; blank lines and surrounding whitespace ignored. Raises WordListError."""
    return _drain(_parse(text, source))


def load_words(path) -> list[str]:
    """Read a UTF-8 word list from disk. Raises WordListError with a message for the user."""
    return _drain(iter_load_words(path))["words"]


def iter_load_words(path, chunk_bytes: int = 1 << 20, chunk_lines: int = 50_000):
    """load_words as a generator for a worker thread: yields progress reports
    {"step", "fraction" (0..1), "stage"}; the last one also has "words". Raises WordListError,
    before any words are handed out, so a caller's current list stays as it was."""
    path = Path(path)
    step = 0
    # a regular file only (a FIFO or device is refused before it can block), at most
    # MAX_FILE_BYTES, read in chunks so a worker can report progress
    with open_regular(path, WordListError, MAX_FILE_BYTES) as f:
        size = os.fstat(f.fileno()).st_size
        parts, done = [], 0
        try:
            while chunk := f.read(chunk_bytes):
                parts.append(chunk)
                done += len(chunk)
                if done > MAX_FILE_BYTES:  # it grew while we read
                    raise WordListError(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MB.")
                step += 1
                yield {"step": step, "fraction": 0.4 * done / max(size, 1), "stage": "reading"}
        except OSError as e:
            raise WordListError(f"Cannot read {path.name}: {e.strerror or e}.") from e
    raw = b"".join(parts)
    lines = _line_breaks(raw)
    if lines > MAX_LINES:  # refused before a million empty strings are made
        raise WordListError(f"{path.name} has {lines:,} lines; a word list here has at most "
                            f"{MAX_LINES:,}.")
    if b"\x00" in raw:  # UTF-16 and binary files; decoding might even succeed
        raise WordListError(f"{path.name} looks like a binary file (or UTF-16 text), not a UTF-8 "
                            "word list.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise WordListError(f"{path.name} is not UTF-8 text (bad byte 0x{raw[e.start]:02x} on "
                            f"line {line:,}).") from e
    parsing = _parse(text, path.name, chunk_lines)
    while True:
        try:
            fraction = next(parsing)
        except StopIteration as result:
            words = result.value
            break
        step += 1
        yield {"step": step, "fraction": 0.4 + 0.6 * fraction, "stage": "parsing"}
    yield {"step": step + 1, "fraction": 1.0, "stage": "done", "words": words}


def _line_breaks(raw: bytes) -> int:
    """How many lines str.splitlines() will make of these UTF-8 bytes, at most (CR LF is one)."""
    breaks = (b"\n", b"\r", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", "\x85".encode(),
              "\u2028".encode(), "\u2029".encode())
    return sum(raw.count(b) for b in breaks) - raw.count(b"\r\n")


def _parse(text: str, source: str, chunk_lines: int = 50_000):
    """Generator behind parse_words: yields the fraction done, returns the checked words."""
    if "\x00" in text:
        raise WordListError(f"{source} looks like a binary file, not a text word list.")
    lines = text.splitlines()
    words: list[str] = []
    for start in range(0, len(lines), chunk_lines):
        words.extend(w for w in (line.strip() for line in lines[start:start + chunk_lines]) if w)
        if len(words) > MAX_WORDS:  # stop early: a million-line file is refused, not parsed
            total = len(words) + sum(1 for line in lines[start + chunk_lines:] if line.strip())
            raise WordListError(f"{source} has {total:,} words; the limit is {MAX_WORDS:,}.")
        yield min(1.0, (start + chunk_lines) / len(lines))
    if not words:
        raise WordListError(f"{source} holds no words.")
    longest = max(words, key=len)
    if len(longest) > MAX_WORD_CHARS:
        raise WordListError(f"{source} has a line of {len(longest):,} characters; a word list has "
                            f"one word per line (at most {MAX_WORD_CHARS} characters).")
    chars = set("".join(words))
    if END in chars:
        raise WordListError(f"{source} uses '{END}', which is reserved as the start/end token.")
    control = sorted(c for c in chars if not c.isprintable())
    if control:
        raise WordListError(f"{source} contains control characters (such as U+{ord(control[0]):04X}); "
                            "a word list is plain text.")
    if len(chars) > MAX_CHARACTERS:
        raise WordListError(f"{source} uses {len(chars):,} different characters; the limit is "
                            f"{MAX_CHARACTERS} (each one is a row and a column of the models).")
    return words


def _drain(generator):
    """Run a generator to its end: its return value, else its last item."""
    last = None
    while True:
        try:
            last = next(generator)
        except StopIteration as result:
            return result.value if result.value is not None else last


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
