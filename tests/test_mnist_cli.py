"""`playground eval mnist` and `playground train mnist`, run in-process."""
import numpy as np

from playground.cli import main
from tests.test_mnist import write_set


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def last_line(out: str) -> dict:
    return dict(item.split("=", 1) for item in out.strip().splitlines()[-1].split())


def test_eval_on_the_shipped_weights(capsys, monkeypatch):
    monkeypatch.delenv("PLAYGROUND_DATA_DIR", raising=False)
    code, out, _ = run(capsys, "eval", "mnist")
    assert code == 0
    assert out.strip().splitlines()[-1].split()[-1].startswith("test_accuracy=")  # printed last
    assert float(last_line(out)["test_accuracy"]) >= 0.985


def test_train_then_eval_on_a_small_data_folder(capsys, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_set(data, n=64, split="train")
    write_set(data, n=32, split="test")
    out_file = tmp_path / "w.npz"
    code, out, err = run(capsys, "train", "mnist", "--arch", "784-16-10", "--epochs", "2",
                         "--batch-size", "16", "--data", str(data), "--out", str(out_file))
    assert code == 0, err
    result = last_line(out)
    assert result["steps"] == "8" and out_file.is_file()
    assert 0.0 <= float(result["test_accuracy"]) <= 1.0
    code, out, _ = run(capsys, "eval", "mnist", "--weights", str(out_file), "--data", str(data))
    assert code == 0 and last_line(out)["arch"] == "784-16-10"
    assert last_line(out)["test_accuracy"] == result["test_accuracy"]


def test_bad_input_is_one_line_not_a_traceback(capsys, tmp_path):
    code, _, err = run(capsys, "train", "mnist", "--arch", "784-10")
    assert code == 2 and "architecture" in err
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.zeros(2))
    code, _, err = run(capsys, "eval", "mnist", "--weights", str(foreign))
    assert code == 2 and "not one saved by Playground" in err and "Traceback" not in err
    code, _, err = run(capsys, "eval", "mnist", "--data", str(tmp_path))
    assert code == 2 and "no such file" in err


def test_the_cnn_trains_and_is_scored_on_mnist_and_the_sloppy_drawings(capsys, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_set(data, n=64, split="train")
    write_set(data, n=32, split="test")
    first, second = tmp_path / "cnn.npz", tmp_path / "cnn2.npz"
    code, out, err = run(capsys, "train", "mnist", "--model", "cnn", "--channels", "2,3", "--hidden", "4",
                         "--epochs", "1", "--batch-size", "32", "--augment", "sloppy", "--data", str(data),
                         "--out", str(first))
    assert code == 0, err
    assert last_line(out)["steps"] == "2"
    code, out, err = run(capsys, "train", "mnist", "--init", str(first), "--epochs", "0.5", "--batch-size", "32",
                         "--lr", "0.01", "--data", str(data), "--out", str(second))
    assert code == 0, err
    from models.core import checkpoint
    meta = checkpoint.load_model(second).meta
    assert "--init cnn.npz" in meta["command"] and "--model cnn" in meta["command"]
    code, out, _ = run(capsys, "eval", "mnist", "--weights", str(second), "--data", str(data), "--sloppy", "1")
    result = last_line(out)
    assert code == 0 and result["arch"] == "cnn-2-3-4"
    assert {"sloppy_neat", "sloppy_stray", "sloppy_all"} <= set(result)


def test_init_from_a_shipped_net_in_a_fresh_process(tmp_path):
    """--init knows both digits kinds even when nothing else imported them (a fresh process)."""
    import subprocess
    import sys
    from pathlib import Path

    data = tmp_path / "data"
    data.mkdir()
    write_set(data, n=64, split="train")
    write_set(data, n=32, split="test")
    shipped = Path(__file__).resolve().parents[1] / "assets" / "weights" / "mnist_mlp.npz"
    out = subprocess.run([sys.executable, "-m", "playground", "train", "mnist", "--init", str(shipped),
                          "--epochs", "0.25", "--batch-size", "16", "--data", str(data),
                          "--out", str(tmp_path / "again.npz")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert last_line(out.stdout)["steps"] == "1" and (tmp_path / "again.npz").exists()


def test_divergence_is_one_line_and_exit_1_with_nothing_saved(capsys, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_set(data, n=64, split="train")
    write_set(data, n=32, split="test")
    try:
        code = run(capsys, "train", "mnist", "--arch", "784-8-10", "--lr", "1e30", "--epochs", "2",
                   "--batch-size", "16", "--augment", "none", "--data", str(data),
                   "--out", str(tmp_path / "nan.npz"))[0]
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 1 and "lower the learning rate" in err and "Traceback" not in err
    assert not (tmp_path / "nan.npz").exists()


def test_sizes_and_rates_are_refused_before_any_work(capsys):
    import pytest

    for option, value, words in [("--batch-size", "0", "at least 1"), ("--epochs", "-1", "more than 0"),
                                 ("--lr", "nan", "finite"), ("--hidden", "100000", "at most 4,096")]:
        with pytest.raises(SystemExit) as stop:
            main(["train", "mnist", option, value])
        assert stop.value.code == 2 and words in capsys.readouterr().err
