"""Issue 20 on `playground train names`: --out is checked before any training, and a run whose
loss diverges exits 1 with one line and saves nothing."""
import os

import pytest

from models.core.assets import asset_path
from models.core.data import load_words
from models.names import train as names_train
from playground import cli


@pytest.fixture(scope="module")
def names_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("names") / "few.txt"
    path.write_text("\n".join(load_words(asset_path("names", "names.txt"))[::16]) + "\n")
    return path


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("trained before checking --out")
    monkeypatch.setattr(names_train, "train", refuse)


@pytest.mark.parametrize("case", ["folder", "missing-folder", "under-a-file", "long-name", "unwritable"])
def test_a_bad_out_is_refused_before_training(case, names_file, tmp_path, capsys, no_training):
    (tmp_path / "file").write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    out = {"folder": tmp_path, "missing-folder": tmp_path / "nope" / "w.npz",
           "under-a-file": tmp_path / "file" / "w.npz", "long-name": tmp_path / ("w" * 230 + ".npz"),
           "unwritable": locked / "w.npz"}[case]
    if case == "unwritable":
        if os.geteuid() == 0:
            pytest.skip("root writes anywhere")
        locked.chmod(0o500)
    try:
        code = cli.main(["train", "names", "--names", str(names_file), "--steps", "5", "--out", str(out)])
    finally:
        locked.chmod(0o700)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("playground: error: --out") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "nope").exists()  # no folder made silently


def test_divergence_exits_1_and_saves_nothing(names_file, tmp_path, capsys):
    out = tmp_path / "w.npz"
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", "names", "--names", str(names_file), "--steps", "200", "--lr", "1e300",
                  "--decay-at", "never", "--out", str(out)])
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and "diverged" in err and "Traceback" not in err
    assert not out.exists()


def test_train_stops_at_a_non_finite_loss_with_finite_weights(names_file):
    import numpy as np

    from models.names.data import NamesData
    from models.names.model import PRESETS, NamesModel
    from dataclasses import replace

    data = NamesData.from_words(load_words(names_file), 3)
    model = NamesModel(replace(PRESETS["mlp"], vocab_size=data.vocab.size), data.vocab, seed=1)
    config = names_train.NamesTrainConfig(steps=200, lr=1e300, decay_at=())
    with pytest.raises(FloatingPointError, match="diverged"):
        for _ in names_train.train(model, data, config):
            pass
    assert np.isfinite(model.params).all()
