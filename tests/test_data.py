"""Word lists: parsing, the vocabulary, the standard split, windows, and every kind of bad file."""
import random
import re

import numpy as np
import pytest

from models.core import data
from models.core.data import (Vocab, WordListError, context_windows, iter_load_words, load_words,
                         parse_words, standard_split)


def write(tmp_path, content, name="words.txt"):
    path = tmp_path / name
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return path


# -- good files ----------------------------------------------------------------------------

def test_blank_lines_and_surrounding_whitespace_are_ignored(tmp_path):
    path = write(tmp_path, "\ufeff emma \n\n\tolivia\r\n   \nava")
    assert load_words(path) == ["emma", "olivia", "ava"]


def test_vocabulary_comes_from_the_characters_that_occur():
    vocab = Vocab.from_words(["zoé", "ab"])
    assert vocab.itos == (".", "a", "b", "o", "z", "é")
    assert vocab.encode("zoé") == [4, 3, 5]
    assert vocab.decode([4, 3, 5, 0]) == "zoé."


def test_progress_reports_rise_to_one_and_end_with_the_words(tmp_path):
    words = [f"w{'ab'[i % 2]}{chr(97 + i % 26)}" for i in range(20_000)]
    path = write(tmp_path, "\n".join(words))
    reports = list(iter_load_words(path, chunk_bytes=4096, chunk_lines=1000))
    fractions = [r["fraction"] for r in reports]
    assert len(reports) > 20
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [r["step"] for r in reports] == list(range(1, len(reports) + 1))
    assert reports[-1]["words"] == words == load_words(path)
    assert all("words" not in r for r in reports[:-1])


def test_largest_allowed_list_loads(tmp_path):
    words = [f"{a}{b}{c}{d}" for a in "abcdefghij" for b in "abcdefghij" for c in "abcdefghij"
             for d in "abcde"] * 100  # 500,000 words
    assert len(words) == data.MAX_WORDS
    assert len(load_words(write(tmp_path, "\n".join(words)))) == data.MAX_WORDS


# -- bad files: a clear message, never a traceback ------------------------------------------

@pytest.mark.parametrize("content, message", [
    (b"", "holds no words"),
    (b"  \n\n\t\n", "holds no words"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("emma\nolivia\n".encode("utf-16"), "binary file (or UTF-16"),
    ("émile\nzoë\n".encode("latin-1"), "not UTF-8 text (bad byte 0xe9 on line 1)"),
    (b"emma\nolivia\nchlo\xeb\n", "line 3"),
    (b"x" * 1_000_000, "a line of 1,000,000 characters"),
    (b"a.b\n", "reserved"),
    (b"em\x07ma\n", "control characters (such as U+0007)"),
    ("\n".join(chr(0x4E00 + i) for i in range(200)).encode(), "200 different characters"),
])
def test_bad_files_raise_a_message_for_the_user(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(WordListError, match=re.escape(message)):
        load_words(path)
    with pytest.raises(WordListError):  # the worker's loader refuses it the same way
        list(iter_load_words(path))


def test_a_million_lines_is_refused_with_the_count(tmp_path):
    path = write(tmp_path, b"ab\n" * 1_000_000)
    with pytest.raises(WordListError, match="1,000,000 words; the limit is 500,000"):
        load_words(path)


def test_an_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:  # sparse: no 17 MB actually written
        f.truncate(17 * 2**20)
    with pytest.raises(WordListError, match="17 MB"):
        load_words(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(WordListError, match="Cannot read nope.txt"):
        load_words(tmp_path / "nope.txt")
    with pytest.raises(WordListError, match="Cannot read"):
        load_words(tmp_path)


def test_the_generator_hands_out_no_words_before_a_late_error(tmp_path):
    path = write(tmp_path, "emma\n" * 30_000 + "x" * 100 + "\n")
    reports = []
    with pytest.raises(WordListError):
        for report in iter_load_words(path, chunk_lines=1000):
            reports.append(report)
    assert len(reports) > 3 and not any("words" in r for r in reports)


def test_parse_words_reports_its_source():
    with pytest.raises(WordListError, match="clipboard holds no words"):
        parse_words("\n", source="clipboard")


# -- split and windows -------------------------------------------------------------------

def test_standard_split_is_the_lectures_split():
    words = [f"w{i}" for i in range(100)]
    expected = list(words)
    random.Random(42).shuffle(expected)
    split = standard_split(words)
    assert (split.train, split.val, split.test) == (expected[:80], expected[80:90], expected[90:])
    assert words == [f"w{i}" for i in range(100)]  # the caller's list is not shuffled


def test_context_windows_by_hand():
    vocab = Vocab.from_words(["ab", "c"])  # . a b c
    X, Y = context_windows(["ab", "c"], vocab, block_size=2)
    assert X.tolist() == [[0, 0], [0, 1], [1, 2], [0, 0], [0, 3]]
    assert Y.tolist() == [1, 2, 0, 3, 0]
    assert X.dtype == np.int64 and Y.shape == (5,)
