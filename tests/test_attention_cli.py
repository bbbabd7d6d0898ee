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
