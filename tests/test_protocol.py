"""The one model contract and the one training protocol (docs/ARCHITECTURE.md), checked for every
model the app knows: each registered model round-trips state_dict and save/load, and every
feature's train() is a generator of typed Reports whose snapshot shares no live array."""
import importlib
from pathlib import Path

import numpy as np
import pytest

from models.core import checkpoint
from models.core.training import Report, TrainConfig

ROOT = Path(__file__).resolve().parents[1]
for path in sorted((ROOT / "models").rglob("*.py")):  # every module registers its models on import
    importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))

KINDS = sorted(checkpoint.MODELS)


def test_every_feature_registers_a_model():
    modules = {cls.__module__.split(".")[1] for cls in checkpoint.MODELS.values()}
    assert {"autograd", "bigram", "names", "digits", "attention"} <= modules


def _perturbed(model):
    """The model with every array changed, so a round trip that drops anything shows."""
    rng = np.random.default_rng(0)
    state = {k: a + rng.standard_normal(a.shape).astype(a.dtype) if a.dtype.kind == "f" else a
             for k, a in model.state_dict().items()}
    model.load_state_dict(state)
    return model


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_round_trips(kind):
    cls = checkpoint.MODELS[kind]
    model = _perturbed(cls.tiny())
    state = {k: np.array(a, copy=True) for k, a in model.state_dict().items()}
    fresh = cls.from_config(model.get_config())
    fresh.load_state_dict(state)
    for k, a in fresh.state_dict().items():
        np.testing.assert_array_equal(a, state[k], err_msg=f"{kind}: {k}")


@pytest.mark.parametrize("kind", KINDS)
def test_save_model_and_load_model_round_trip(kind, tmp_path):
    cls = checkpoint.MODELS[kind]
    model = _perturbed(cls.tiny())
    path = checkpoint.save_model(tmp_path / f"{kind}.npz", model, meta={"steps": 7})
    loaded = checkpoint.load_model(path)  # by the kind the file names
    assert isinstance(loaded, checkpoint.Loaded) and type(loaded.model) is cls
    assert loaded.meta["steps"] == 7
    assert loaded.model.get_config() == model.get_config()
    for k, a in model.state_dict().items():
        np.testing.assert_array_equal(loaded.model.state_dict()[k], a, err_msg=f"{kind}: {k}")
    other = next((c for c in checkpoint.MODELS.values() if c is not cls), None)
    if other is not None:  # a file of one model is refused by another, with a sentence
        with pytest.raises(checkpoint.CheckpointError):
            checkpoint.load_model(path, other)


# -- every train() yields typed Reports ----------------------------------------------------------
def autograd_run():
    from models.autograd.model import PlaneMLP
    from models.autograd.toy_data import make_dataset, split
    from models.autograd.train import AutogradTrainConfig, snapshot, train

    X, y = make_dataset("moons", points=20)
    model = PlaneMLP.tiny()
    gen = train(model, split(X, y, 0.2), AutogradTrainConfig(steps=5, eval_every=2))
    return model, gen, lambda r: snapshot(r, (-2.0, 2.0, -2.0, 2.0), resolution=8), AutogradTrainConfig


def bigram_run():
    from models.bigram.neural import NeuralBigram
    from models.bigram.train import NeuralBigramConfig, snapshot, train

    rng = np.random.default_rng(0)
    model = NeuralBigram.tiny()
    data = (rng.integers(0, 4, 50), rng.integers(0, 4, 50))
    return model, train(model, data, NeuralBigramConfig(steps=5, lr=1.0)), snapshot, NeuralBigramConfig


def digits_run():
    from models.digits.net import MLP
    from models.digits.train import DigitsData, DigitsTrainConfig, snapshot, train

    rng = np.random.default_rng(0)
    data = DigitsData(rng.random((64, 784), dtype=np.float32), rng.integers(0, 10, 64),
                      rng.random((16, 784), dtype=np.float32), rng.integers(0, 10, 16))
    model = MLP.tiny()
    config = DigitsTrainConfig(steps=5, batch_size=16, augment=False, eval_every=2)
    return model, train(model, data, config), snapshot, DigitsTrainConfig


def attention_run():
    from models.attention.model import GPT
    from models.attention.train import AttentionTrainConfig, TrainData, snapshot, train

    model = GPT.tiny()
    T, V = model.config.block_size, model.config.vocab_size

    def sample(rng, batch):
        x = rng.integers(0, V, (batch, T))
        return x, np.roll(x, -1, axis=1)

    data = TrainData(sample, evaluate=lambda m: 1.0)
    config = AttentionTrainConfig(steps=5, batch_size=4, eval_every=2, workers=1, warmup=1)
    return model, train(model, data, config), snapshot, AttentionTrainConfig


def names_run():
    from models.names.data import NamesData
    from models.names.model import NamesModel
    from models.names.train import NamesTrainConfig, snapshot, train

    model = NamesModel.tiny()
    words = ["abc", "bad", "cab", "dab", "ace", "bed", "cede", "dace", "bead", "aa"]  # its 5 letters
    data = NamesData.from_words(words, model.block_size, model.vocab)
    config = NamesTrainConfig(steps=5, batch_size=4, eval_every=2)
    return model, train(model, data, config), snapshot, NamesTrainConfig


RUNS = {"autograd": autograd_run, "bigram": bigram_run, "digits": digits_run,
        "attention": attention_run, "names": names_run}


def _arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arrays(v)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from _arrays(getattr(value, name))


@pytest.mark.parametrize("feature", sorted(RUNS))
def test_train_yields_typed_reports_and_snapshots_share_nothing(feature):
    model, gen, snapshot, config_cls = RUNS[feature]()
    assert issubclass(config_cls, TrainConfig)
    reports = [next(gen) for _ in range(4)]
    gen.close()  # stopping is closing the generator
    assert all(isinstance(r, Report) for r in reports)
    assert [r.step for r in reports] == list(range(reports[0].step, reports[0].step + 4))
    assert all(np.isfinite(r.loss) and r.lr > 0 for r in reports)
    assert any(r.val_loss is not None for r in reports) or feature == "bigram"
    snap = snapshot(reports[-1])
    assert isinstance(snap, Report) and snap.step == reports[-1].step
    live = [a for a in model.state_dict().values()]
    for a in _arrays(snap.payload):
        assert not any(np.shares_memory(a, b) for b in live), f"{feature}: a snapshot shares a live array"
