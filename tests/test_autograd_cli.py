"""`playground train autograd` / `eval autograd`: micrograd's demo figures, the issue 15 command
with its test split and features, and a sentence for bad input."""
from playground import cli


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    result = dict(kv.split("=", 1) for kv in out.strip().splitlines()[-1].split()) if out.strip() else {}
    return code, result, err


def test_micrograd_demo_figures_hold(capsys):
    code, result, _ = run(capsys, "train", "autograd")
    assert code == 0
    assert result["accuracy"] == "1.0000" and result["loss"] == "0.0113" and result["steps"] == "100"


def test_features_and_a_test_split_print_test_accuracy(capsys, tmp_path):
    out = tmp_path / "spiral.npz"
    code, result, _ = run(capsys, "train", "autograd", "--dataset", "spiral", "--features",
                          "x1,x2,x1x2,sinx1,sinx2", "--hidden", "8,8", "--test-ratio", "0.5",
                          "--steps", "20", "--out", str(out))
    assert code == 0
    for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
        assert 0 <= float(result[key]) < 10
    code, again, _ = run(capsys, "eval", "autograd", "--weights", str(out), "--dataset", "spiral",
                         "--test-ratio", "0.5")
    assert code == 0 and again["test_accuracy"] == result["test_accuracy"]
    assert again["accuracy"] == result["train_accuracy"]


def test_a_regressor_and_bad_input_get_sentences(capsys, tmp_path):
    out = tmp_path / "plane.npz"
    code, result, _ = run(capsys, "train", "autograd", "--dataset", "plane", "--hidden", "8",
                          "--activation", "tanh", "--steps", "150", "--out", str(out))
    assert code == 0 and "accuracy" not in result and float(result["train_loss"]) < 0.05
    code, _, err = run(capsys, "eval", "autograd", "--weights", str(out), "--dataset", "moons")
    assert code == 2 and "regressor" in err and "Traceback" not in err
    for argv, fragment in ((("--features", "x1,cos"), "unknown feature"),
                           (("--test-ratio", "1"), "test ratio"),
                           (("--l1", "2"), "L1")):
        code, _, err = run(capsys, "train", "autograd", "--steps", "1", *argv)
        assert code == 2 and fragment in err, err


# -- issue 20: bounds before allocating, --out before training, divergence exits 1 -------------------
import os  # noqa: E402

import pytest  # noqa: E402


@pytest.mark.parametrize("argv,fragment", [
    (("--points", "10000000"), "--points must be between 2 and 2,000"),
    (("--points", "1"), "--points must be between 2"),
    (("--hidden", "100000"), "between 1 and 64"),
    (("--hidden", "8,8,8,8,8"), "1 to 4 layer sizes"),
    (("--batch-size", "1000000"), "--batch-size must be between 0 (all) and --points"),
    (("--steps", "1000000000"), "--steps must be between 1 and 100,000"),
    (("--noise", "nan"), "--noise must be between 0 and 2"),
    (("--seed", "-3"), "--seed must be"),
    (("--lr", "inf"), "--lr must be a positive number"),
])
def test_every_size_is_bounded_before_anything_is_made(capsys, argv, fragment):
    code, _, err = run(capsys, "train", "autograd", *argv)
    assert code == 2 and fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_out_is_checked_before_training(capsys, tmp_path, monkeypatch):
    trained = []
    import models.autograd.train as train_module

    original = train_module.train
    monkeypatch.setattr(train_module, "train", lambda *a, **k: trained.append(1) or original(*a, **k))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    cases = [(tmp_path, "is a folder"),
             (tmp_path / "missing" / "mlp.npz", "does not exist"),
             (tmp_path / ("x" * 220 + ".npz"), "at most 200")]
    if os.geteuid() != 0:  # root writes anywhere
        cases.append((locked / "mlp.npz", "no permission"))
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.npz"
        os.mkfifo(fifo)
        cases.append((fifo, "not a regular file"))
    for out, fragment in cases:
        code, _, err = run(capsys, "train", "autograd", "--steps", "5", "--out", str(out))
        assert code == 2 and fragment in err and "Traceback" not in err, (out, err)
        assert len(err.strip().splitlines()) == 1
    assert not trained  # refused before the first step
    assert not (tmp_path / "missing").exists()  # no folder made silently


def test_divergence_stops_with_exit_1_and_saves_nothing(capsys, tmp_path):
    out = tmp_path / "mlp.npz"
    for argv in (("--lr", "100", "--activation", "tanh", "--loss", "mse"),  # OverflowError in **
                 ("--lr", "10", "--loss", "mse"),  # nan through relu
                 ("--lr", "10", "--dataset", "plane", "--schedule", "constant")):  # grows to inf
        with pytest.raises(SystemExit) as exit_:
            cli.main(["train", "autograd", "--steps", "300", "--hidden", "4", "--points", "20",
                      "--out", str(out), *argv])
        err = capsys.readouterr().err
        assert exit_.value.code == 1, argv
        assert "diverged at step" in err and "lower the learning rate" in err, err
        assert "Traceback" not in err
        assert [line for line in err.splitlines() if "error" in line] == [err.strip().splitlines()[-1]]
        assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_eval_refuses_a_folder_a_fifo_and_a_missing_file(capsys, tmp_path):
    paths = [tmp_path, tmp_path / "missing.npz"]
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.npz")
        paths.append(tmp_path / "pipe.npz")
    for path in paths:
        code, _, err = run(capsys, "eval", "autograd", "--weights", str(path))
        assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
