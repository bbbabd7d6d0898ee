"""`playground eval bigram` and `playground train bigram`, run in-process."""
from pathlib import Path

import numpy as np
import pytest

from models.core import checkpoint
from playground.cli import main

SHARED_NAMES = Path(__file__).resolve().parents[2] / "shared" / "data" / "names.txt"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def last_line(out: str) -> dict:
    return dict(item.split("=", 1) for item in out.strip().splitlines()[-1].split())


@pytest.mark.skipif(not SHARED_NAMES.is_file(), reason="the lectures' names.txt is not on this machine")
@pytest.mark.parametrize("smoothing, nll", [("0", "2.4540"), ("1", "2.4546")])
def test_eval_on_the_lectures_list_gives_the_known_numbers(capsys, smoothing, nll):
    code, out, _ = run(capsys, "eval", "bigram", "--names", str(SHARED_NAMES), "--smoothing", smoothing)
    assert code == 0
    assert "bigrams: 228,146" in out
    assert "  an     5,438" in out
    result = last_line(out)
    assert result["bigrams"] == "228146" and result["nll"] == nll
    assert out.strip().splitlines()[-1].endswith(f"nll={nll}")  # nll is printed last


def test_eval_on_the_shipped_list(capsys):
    code, out, _ = run(capsys, "eval", "bigram", "--top", "3")
    assert code == 0
    lines = out.splitlines()
    pairs = lines[lines.index("most common pairs:") + 1:][:3]
    assert [p.split()[0] for p in pairs] == ["n.", "a.", "an"]
    assert last_line(out) == {"words": "32033", "bigrams": "228602", "smoothing": "0.0000",
                              "nll": "2.4538"}


def test_eval_of_a_small_list_by_hand(capsys, tmp_path):
    path = tmp_path / "two.txt"
    path.write_text("ab\nb\n")
    code, out, _ = run(capsys, "eval", "bigram", "--names", str(path))
    assert code == 0
    assert last_line(out)["bigrams"] == "5"
    assert last_line(out)["nll"] == f"{2 * np.log(2) / 5:.4f}"


@pytest.mark.parametrize("content, message", [
    (b"", "holds no words"),
    (b"\xff\xfe\x00a", "binary"),
    (b"caf\xe9\n", "not UTF-8"),
])
def test_bad_word_lists_exit_2_with_one_line(capsys, tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    code, out, err = run(capsys, "eval", "bigram", "--names", str(path))
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_negative_smoothing_is_refused(capsys):
    with pytest.raises(SystemExit) as e:
        main(["eval", "bigram", "--smoothing", "-1"])
    assert e.value.code == 2
    assert "must be 0 or more" in capsys.readouterr().err


def test_train_a_few_steps_and_save(capsys, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("emma\nava\nanna\nbob\neve\n")
    out_path = tmp_path / "w.npz"
    code, out, _ = run(capsys, "train", "bigram", "--names", str(names), "--steps", "40",
                       "--lr", "5", "--save", str(out_path))
    assert code == 0
    result = last_line(out)
    assert result["steps"] == "40"
    assert float(result["loss"]) < 2.5  # from ~3.5 at the start
    loaded = checkpoint.load_model(out_path)
    assert loaded.model.itos == ".abemnov" and loaded.model.W.shape == (8, 8)
    assert loaded.meta["train"]["lr"] == 5.0 and loaded.meta["steps"] == 40
    assert loaded.model.W.dtype == np.float32


def test_train_refuses_zero_steps(capsys):
    code, _, err = run(capsys, "train", "bigram", "--steps", "0")
    assert code == 2 and "--steps must be between 1 and" in err


def test_an_unwritable_save_is_refused_before_training(capsys, tmp_path):
    for target, message in ((tmp_path, "is a folder"), (tmp_path / "nope" / "w.npz", "does not exist")):
        code, out, err = run(capsys, "train", "bigram", "--steps", "100000", "--save", str(target))
        assert code == 2 and out == "" and message in err and "Traceback" not in err
    assert not (tmp_path / "nope").exists()  # no folder made behind the user's back


def test_divergence_exits_1_and_saves_nothing(capsys, tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("emma\nava\n")
    out_path = tmp_path / "w.npz"
    with pytest.raises(SystemExit) as e, np.errstate(all="ignore"):
        main(["train", "bigram", "--names", str(names), "--lr", "1e308", "--steps", "50",
              "--save", str(out_path)])
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert "lower the learning rate" in err and "Traceback" not in err
    assert not out_path.exists()


def _bad_inputs(tmp_path):
    """(label, path) of inputs that are not a word list: a FIFO, a folder, a missing file."""
    import os

    out = [("folder", tmp_path), ("missing", tmp_path / "nope.txt")]
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.txt"
        os.mkfifo(fifo)
        out.append(("fifo", fifo))
    return out


@pytest.mark.parametrize("command", [["eval", "bigram"], ["train", "bigram", "--steps", "1"]])
def test_bad_names_files_exit_2_with_one_line(capsys, tmp_path, command):
    for label, path in _bad_inputs(tmp_path):
        code, out, err = run(capsys, *command, "--names", str(path))
        assert code == 2 and out == "", label
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, label


def test_an_unwritable_save_folder_exits_2(capsys, tmp_path):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere")
        code, out, err = run(capsys, "train", "bigram", "--steps", "1", "--save", str(locked / "w.npz"))
        assert code == 2 and "not writable" in err and len(err.strip().splitlines()) == 1
    finally:
        locked.chmod(0o700)


def test_a_missing_data_dir_is_said_not_silently_skipped(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "gone"))
    code, out, err = run(capsys, "eval", "bigram", "--top", "1")
    assert code == 0 and "PLAYGROUND_DATA_DIR" in err and "not a folder" in err
    assert last_line(out)["words"] == "32033"  # the shipped list, said so


def test_empty_splits_are_nan_with_a_note(capsys, tmp_path):
    path = tmp_path / "three.txt"
    path.write_text("ab\nba\nab\n")
    code, out, _ = run(capsys, "eval", "bigram", "--names", str(path))
    assert code == 0 and "val nan" in out and "note: nan = no pairs" in out
