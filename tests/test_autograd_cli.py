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
