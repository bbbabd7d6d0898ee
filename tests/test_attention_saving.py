"""The transformer's weights files go through models.core.checkpoint: they round-trip with their
snapshots, files of the old layout still load, the shipped weights keep their measured numbers."""
import numpy as np
import pytest

from models.attention.data import names_data
from models.attention.model import GPT, GPTConfig
from models.attention.saving import load, save, snapshots
from models.attention.sort_task import SortTask
from models.attention.train import evaluate_loss
from models.core import checkpoint
from models.core.assets import asset_path
from models.core.data import default_names_path, load_words


def trained_looking(model, seed=0):
    rng = np.random.default_rng(seed)
    for flat in model.flat_params.values():
        flat[...] = rng.standard_normal(flat.shape) * 0.3
    return model


def test_round_trip_with_snapshots_through_the_one_load(tmp_path):
    model = trained_looking(GPT.tiny())
    snaps = [(0, GPT.tiny().state_dict()), (10, model.state_dict())]
    path = save(tmp_path / "w.npz", model, meta={"val_loss": 2.0}, snapshots=snaps)
    loaded = checkpoint.load_model(path)  # found by its kind, like any registered model
    assert isinstance(loaded, checkpoint.Loaded) and isinstance(loaded.model, GPT)
    assert loaded.model.task == "names" and loaded.model.itos == tuple(".abcdef") and loaded.meta["val_loss"] == 2.0
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.model.param(name), value)
    kept = snapshots(loaded)
    assert [s for s, _ in kept] == [0, 10]
    np.testing.assert_allclose(kept[1][1]["head.W"], model.param("head.W"), rtol=1e-3)


def test_a_sort_model_keeps_its_task_settings(tmp_path):
    task = SortTask(length=3, letters="abcd", mode="reverse")
    model = GPT(GPTConfig(vocab_size=len(task.itos), block_size=task.block_size, n_layer=1, n_head=2,
                          n_embd=8), task.itos, "sort", task)
    loaded = load(save(tmp_path / "s.npz", model))
    assert loaded.model.sort == task and snapshots(loaded) == []
    with pytest.raises(ValueError, match="sort task's settings"):
        GPT(model.config, task.itos, "sort", None)


def test_files_of_the_old_layout_still_load(tmp_path):
    """Before the one save/load: snapshots as "snapshot<i>.<name>" arrays, steps in the config."""
    model = trained_looking(GPT.tiny())
    arrays = dict(model.state_dict())
    arrays.update({f"snapshot0.{k}": v.astype(np.float16) for k, v in GPT.tiny().state_dict().items()})
    config = dict(model.get_config(), snapshot_steps=[7])
    checkpoint.save(tmp_path / "old.npz", "char-transformer", arrays, config, {"step": 7})
    loaded = load(tmp_path / "old.npz")
    np.testing.assert_array_equal(loaded.model.param("head.W"), model.param("head.W"))
    assert [s for s, _ in snapshots(loaded)] == [7] and loaded.meta["step"] == 7


def test_foreign_and_damaged_files_are_refused(tmp_path):
    checkpoint.save(tmp_path / "other.npz", "names-mlp", {"W": np.zeros(3)})
    with pytest.raises(checkpoint.CheckpointError, match="not a 'char-transformer'"):
        load(tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(checkpoint.CheckpointError):
        load(tmp_path / "junk.npz")
    config = dict(GPT.tiny().get_config(), itos=list(".ab"))  # 3 characters for 7 tokens
    checkpoint.save(tmp_path / "bad.npz", "char-transformer", GPT.tiny().state_dict(), config)
    with pytest.raises(checkpoint.CheckpointError, match="damaged"):
        load(tmp_path / "bad.npz")


def test_shipped_names_weights_keep_their_test_loss():
    loaded = load(asset_path("weights", "attention_names.npz"))
    model = loaded.model
    data = names_data(load_words(default_names_path()), model.itos, model.block_size)
    test = evaluate_loss(model, *data.test)
    assert test == pytest.approx(1.938, abs=5e-4) and loaded.meta["test_loss"] == pytest.approx(test, abs=1e-4)
    assert len(snapshots(loaded)) >= 2


def test_shipped_sort_weights_still_sort():
    model = load(asset_path("weights", "attention_sort.npz")).model
    assert model.task == "sort" and model.sort.exact_match(model, n=300) == 1.0
