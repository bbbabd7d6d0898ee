"""`playground train names` / `playground eval names` on a small word list."""
import numpy as np
import pytest

from models.core.assets import asset_path
from models.core.checkpoint import load_model
from models.core.data import load_words
from models.names.model import NamesModel
from playground import cli


@pytest.fixture(scope="module")
def names_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("names") / "few.txt"
    path.write_text("\n".join(load_words(asset_path("names", "names.txt"))[::16]) + "\n")  # 2,000 names
    return path


def last_line(capsys):
    return capsys.readouterr().out.strip().splitlines()[-1]


def parse(line):
    return dict(pair.split("=", 1) for pair in line.split())


def test_train_then_eval(names_file, tmp_path, capsys):
    out = tmp_path / "w.npz"
    code = cli.main(["train", "names", "--names", str(names_file), "--preset", "batchnorm", "--steps", "600",
                     "--batch-size", "32", "--decay-at", "0.5,0.8", "--seed", "3", "--out", str(out)])
    assert code == 0
    line = last_line(capsys)
    assert line.split()[-2].startswith("train_loss=") and line.split()[-1].startswith("val_loss=")
    result = parse(line)
    assert result["steps"] == "600" and result["preset"] == "batchnorm"
    assert float(result["val_loss"]) < 2.9  # well below ln(27) = 3.30 after 600 steps
    loaded = load_model(out, NamesModel)
    model, meta = loaded.model, loaded.meta
    assert meta["command"].startswith("playground train names --names ")
    assert meta["steps"] == 600 and model.config.batchnorm and "--decay-at 0.5,0.8" in meta["command"]
    assert meta["history"][0][0] == 1 and meta["history"][-1][0] == 600

    assert cli.main(["eval", "names", "--weights", str(out), "--names", str(names_file)]) == 0
    evaluated = parse(last_line(capsys))
    assert set(evaluated) >= {"train_loss", "val_loss", "test_loss"}
    assert float(evaluated["val_loss"]) == pytest.approx(float(result["val_loss"]), abs=1e-4)


def test_train_wavenet_short(names_file, tmp_path, capsys):
    out = tmp_path / "wn.npz"
    assert cli.main(["train", "names", "--names", str(names_file), "--preset", "wavenet", "--steps", "30",
                     "--out", str(out)]) == 0
    assert parse(last_line(capsys))["params"] == str(load_model(out, NamesModel).model.num_params())


def test_bad_inputs_are_one_line_errors(names_file, tmp_path, capsys):
    assert cli.main(["train", "names", "--names", str(tmp_path / "missing.txt"), "--steps", "5"]) == 2
    assert "missing.txt" in capsys.readouterr().err
    assert cli.main(["train", "names", "--names", str(names_file), "--steps", "0"]) == 2
    assert "--steps" in capsys.readouterr().err
    assert cli.main(["train", "names", "--names", str(names_file), "--decay-at", "half"]) == 2
    assert "--decay-at must look like" in capsys.readouterr().err
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.zeros(2))
    assert cli.main(["eval", "names", "--weights", str(foreign), "--names", str(names_file)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("playground: error:") and "not one saved by Playground" in err
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("ab\ncd\n")
    assert cli.main(["train", "names", "--names", str(tiny), "--steps", "5"]) == 2
    assert "too short" in capsys.readouterr().err


def test_find_lr_prints_the_suggestion_last(names_file, capsys):
    assert cli.main(["train", "names", "--names", str(names_file), "--find-lr", "--steps", "300"]) == 0
    line = last_line(capsys)
    assert line.split()[-1].startswith("suggested_lr=")
    result = parse(line)
    assert result["steps"] == "300" and float(result["lowest_lr"]) == float(result["suggested_lr"])
    assert 0.001 <= float(result["suggested_lr"]) <= 1.0
    assert cli.main(["train", "names", "--names", str(names_file), "--find-lr", "--steps", "5"]) == 2
    assert "at least 20 steps" in capsys.readouterr().err
