"""`playground train attention` and `playground eval attention`, run in-process on tiny models."""
import numpy as np
import pytest

from models.core.checkpoint import save
from models.attention.saving import load, snapshots
from playground.cli import main

TINY = ["--layers", "1", "--heads", "2", "--embd", "16", "--batch-size", "16"]
WORDS = "anna\nbob\nclara\ndave\nemma\nfred\ngina\nhugo\nivy\njack\n" * 5


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def last_line(out: str) -> dict:
    return dict(item.split("=", 1) for item in out.strip().splitlines()[-1].split())


@pytest.fixture
def words(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text(WORDS)
    return path


def test_train_names_prints_val_and_test_loss_last_and_saves(capsys, tmp_path, words):
    out_path = tmp_path / "w.npz"
    code, out, err = run(capsys, "train", "attention", "--task", "names", "--names", words,
                         "--steps", 30, "--eval-every", 10, "--lr", "1e-2", "--out", out_path, *TINY)
    assert code == 0, err
    result = last_line(out)
    assert list(result)[-2:] == ["val_loss", "test_loss"]
    assert float(result["test_loss"]) < np.log(len(set(WORDS)))  # better than uniform
    loaded = load(out_path)
    assert loaded.model.task == "names" and loaded.model.config.n_embd == 16
    assert loaded.meta["step"] == int(result["best_step"])
    assert [s for s, _ in snapshots(loaded)] == [0, 3, 12]  # 0 and 10% and 40% of 30 steps

    code, out, err = run(capsys, "eval", "attention", "--weights", out_path, "--names", words)
    assert code == 0, err
    evaluated = last_line(out)
    assert evaluated == {"val_loss": result["val_loss"], "test_loss": result["test_loss"]}


def test_train_sort_prints_exact_match_last(capsys, tmp_path):
    out_path = tmp_path / "s.npz"
    code, out, err = run(capsys, "train", "attention", "--task", "sort", "--steps", 20,
                         "--eval-every", 10, "--heldout", 100, "--out", out_path, *TINY)
    assert code == 0, err
    result = last_line(out)
    assert list(result)[-1] == "exact_match" and 0.0 <= float(result["exact_match"]) <= 1.0
    code, out, err = run(capsys, "eval", "attention", "--weights", out_path, "--heldout", 100)
    assert code == 0, err
    assert last_line(out)["exact_match"] == result["exact_match"]


def test_no_mask_training_cheats(capsys, tmp_path):
    """Random letters cannot be predicted (loss ~ log 11), unless the future leaks in."""
    rng = np.random.default_rng(0)
    path = tmp_path / "random.txt"
    path.write_text("\n".join("".join(rng.choice(list("abcdefghij"), size=rng.integers(3, 8)))
                              for _ in range(300)))
    args = ["train", "attention", "--names", path, "--steps", 300, "--lr", "1e-2", "--dropout", "0", *TINY,
            "--batch-size", 32]
    _, honest, _ = run(capsys, *args)
    code, cheating, err = run(capsys, *args, "--no-mask")
    assert code == 0, err
    assert float(last_line(honest)["val_loss"]) > 2.1
    assert float(last_line(cheating)["val_loss"]) < float(last_line(honest)["val_loss"]) - 1.0


@pytest.mark.parametrize("argv, message", [
    (["train", "attention", "--task", "sort", "--names", "x.txt"], "--names applies to --task names"),
    (["train", "attention", "--heads", "3", "--embd", "16"], "multiple of --heads"),
])
def test_bad_options_exit_2_with_one_line(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_eval_of_a_foreign_file_is_a_message(capsys, tmp_path):
    path = tmp_path / "mlp.npz"
    save(path, "names-mlp", {"W": np.zeros(2)})
    code, _, err = run(capsys, "eval", "attention", "--weights", path)
    assert code == 2 and "not a 'char-transformer' model" in err


def test_eval_on_a_list_with_unknown_characters_is_a_message(capsys, tmp_path, words):
    out_path = tmp_path / "w.npz"
    run(capsys, "train", "attention", "--names", words, "--steps", 2, "--out", out_path, *TINY)
    other = tmp_path / "other.txt"
    other.write_text("zoe\nxavier\n")
    code, _, err = run(capsys, "eval", "attention", "--weights", out_path, "--names", other)
    assert code == 2 and "does not know" in err


def test_steps_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        main(["train", "attention", "--steps", "0"])
    assert "must be at least 1" in capsys.readouterr().err


# -- issue 20: bad input is one line and exit status 2; divergence is exit status 1 ------------
def run_any(capsys, *argv):
    """main() or argparse's own exit: (code, stdout, stderr)."""
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bad_paths(tmp_path):
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return {"FIFO": fifo, "folder": tmp_path, "missing": tmp_path / "nothere.txt"}


@pytest.mark.parametrize("kind", ["FIFO", "folder", "missing"])
def test_unreadable_files_are_one_line_and_exit_2(capsys, bad_paths, kind):
    path = bad_paths[kind]
    for argv in (["train", "attention", "--names", path, "--steps", 1, *TINY],
                 ["eval", "attention", "--names", path],
                 ["eval", "attention", "--weights", path]):
        code, _, err = run_any(capsys, *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)
        assert ("not a regular file" if kind == "FIFO" else "folder" if kind == "folder" else "no such file") in err


def unwritable_folder(tmp_path):
    import os

    if os.geteuid() == 0:  # root writes through permission bits: a folder nobody can create files in
        return __import__("pathlib").Path("/proc")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


@pytest.mark.parametrize("out, message", [("FOLDER", "is a folder"), ("missing/w.npz", "does not exist"),
                                          ("LOCKED/w.npz", "cannot write there"), ("FIFO", "not a regular file")])
def test_a_bad_out_is_refused_before_any_training(capsys, tmp_path, bad_paths, out, message):
    out = {"FOLDER": str(tmp_path), "FIFO": str(bad_paths["FIFO"]),
           "LOCKED/w.npz": str(unwritable_folder(tmp_path) / "w.npz")}.get(out, str(tmp_path / out))
    code, _, err = run_any(capsys, "train", "attention", "--task", "sort", "--steps", 1_000_000, "--out", out, *TINY)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "missing").exists()  # never made silently


@pytest.mark.parametrize("argv, message", [
    (["--layers", 10000, "--embd", 16], "--layers: must be at most 48, not 10,000"),
    (["--heldout", 10_000_000], "--heldout: must be at most 20,000"),
    (["--batch-size", 10**9], "--batch-size: must be at most 4,096"),
    (["--workers", 1000], "--workers: must be at most 16"),
    (["--steps", 10**12], "--steps: must be at most 10,000,000"),
    (["--layers", 48, "--embd", 2048], "the limit is 50,000,000"),
    (["--layers", 48, "--embd", 256, "--batch-size", 4096], "GB; the limit on this machine"),
])
def test_sizes_are_bounded_with_the_limit_named(capsys, argv, message):
    code, _, err = run_any(capsys, "train", "attention", "--task", "sort", *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_a_diverging_run_exits_1_and_saves_nothing(capsys, tmp_path):
    out = tmp_path / "w.npz"
    code, _, err = run_any(capsys, "train", "attention", "--task", "sort", "--lr", 1000, "--steps", 60,
                           "--eval-every", 100, "--out", out, "--layers", 1, "--heads", 2, "--embd", 16)
    assert code == 1 and "Training diverged at step" in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("playground: error:") and "Warning" not in err
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_a_trained_file_keeps_its_history_for_the_next_run(capsys, tmp_path, words):
    from models.attention.history import Record

    out_path = tmp_path / "w.npz"
    code, out, err = run(capsys, "train", "attention", "--names", words, "--steps", 30, "--eval-every", 10,
                         "--lr", "1e-2", "--out", out_path, *TINY)
    assert code == 0, err
    record = Record.from_meta(load(out_path).meta)
    best = int(last_line(out)["best_step"])
    assert record.step == best and record.val.points[-1] == (best, pytest.approx(float(last_line(out)["val_loss"]), abs=1e-4))
    assert [s for s, _ in record.train.points] == list(range(1, best + 1))
    assert record.recipe.steps == 30 and record.last_lr == pytest.approx(record.recipe.lr_at(best - 1))
