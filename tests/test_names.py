"""The names MLP: shapes, initial loss, whole-model gradients, batch norm modes, learning,
sampling, files and diagnostics. Small data and short runs only."""
from dataclasses import replace

import numpy as np
import pytest

from models.core.assets import asset_path
from models.core.checkpoint import CheckpointError, load_model, save, save_model
from models.core.data import Vocab, load_words
from models.core.sampling import sample_words
from models.core.training import Report
from models.names.data import NamesData
from models.names.diagnostics import Health, check_gradients, embedding_2d, update_ratios
from models.names.model import PRESETS, NamesModel, char_probs, word_loss
from models.names.train import NamesTrainConfig as TrainConfig
from models.names.train import calibrate_batchnorm, snapshot, train

VOCAB = Vocab(tuple(".abcdefghijklmnopqrstuvwxyz"))


@pytest.fixture(scope="module")
def words():
    return load_words(asset_path("names", "names.txt"))[::8]  # 4,000 names: quick but real


def random_batch(model, B=16, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, model.config.vocab_size, (B, model.block_size)),
            rng.integers(0, model.config.vocab_size, B))


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_start_near_uniform_loss(preset):
    model = NamesModel(PRESETS[preset], VOCAB, seed=0)
    idx, y = random_batch(model, B=256)
    logits, loss = model(idx, y)
    assert logits.shape == (256, 27) and logits.dtype == np.float32
    assert abs(loss - np.log(27)) < 0.05  # the shy last layer: not confidently wrong at step 0
    assert model(idx)[1] is None


def test_preset_sizes_match_the_lectures():
    assert NamesModel(PRESETS["mlp"], VOCAB).num_params() == 270 + 30 * 200 + 200 + 200 * 27 + 27
    assert NamesModel(PRESETS["wavenet"], VOCAB).num_params() == 76579  # makemore part 5
    wavenet = NamesModel(PRESETS["wavenet"], VOCAB)
    names = [type(layer).__name__ for layer in wavenet.layers]
    assert names.count("FlattenConsecutive") == 3 and names.count("BatchNorm1d") == 3


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_whole_model_gradients_match_finite_differences(preset):
    config = replace(PRESETS[preset], n_embd=4, n_hidden=8)
    model = NamesModel(config, VOCAB, seed=1)
    xb, yb = random_batch(model, B=12, seed=2)
    rows = check_gradients(model, xb, yb, per_param=15)
    assert len(rows) == len(model.named_parameters())
    for row in rows:
        assert row["max_abs_diff"] < 1e-7, row
        assert row["checked"] > 0


@pytest.mark.parametrize("preset", ["mlp", "batchnorm"])  # the hand-written step and the layers
def test_gradient_check_catches_a_wrong_backward(monkeypatch, preset):
    from models.core import layers
    from models.names import fused
    model = NamesModel(replace(PRESETS[preset], n_hidden=8), VOCAB, seed=1)
    assert (model.fused is not None) == (preset == "mlp")
    xb, yb = random_batch(model)
    monkeypatch.setattr(layers.Tanh, "backward", lambda self, dout: dout)  # forgets tanh'
    monkeypatch.setattr(fused, "tanh_backward", lambda h, dh, out: dh)
    rows = check_gradients(model, xb, yb, per_param=10)
    assert max(r["max_abs_diff"] for r in rows) > 1e-4


@pytest.mark.parametrize("n_layers, scale", [(1, 1.0), (3, 1.0), (1, 1e4), (1, -1e4)])
def test_hand_written_step_matches_the_layers(n_layers, scale):
    """FusedMLP against the layer objects: the loss, every gradient and what the diagnostics read,
    also when the logits are huge (exp overflows or underflows: the shifted cross-entropy)."""
    model = NamesModel(replace(PRESETS["mlp"], n_hidden=16, n_layers=n_layers), VOCAB, seed=3)
    model.layers[-1].weight *= scale
    xb, yb = random_batch(model, B=20, seed=4)
    logits, loss = model(xb, yb)
    model.backward()
    fused_grads = model.grads.copy()
    tanh_out = [(t.out.copy(), t.dout.copy()) for t in model.layers if type(t).__name__ == "Tanh"]
    ref_logits = model.net.forward(xb)
    ref_loss = model.criterion.forward(ref_logits, yb)
    model.net.backward(model.criterion.backward())
    assert np.isfinite(loss) and loss == pytest.approx(ref_loss, rel=1e-5)
    assert np.allclose(logits, ref_logits, rtol=1e-5, atol=1e-5 * abs(scale))
    assert np.allclose(fused_grads, model.grads, rtol=1e-4, atol=1e-6)
    tanhs = [t for t in model.layers if type(t).__name__ == "Tanh"]
    for (out, dout), t in zip(tanh_out, tanhs):
        assert np.allclose(out, t.out, atol=1e-6) and np.allclose(dout, t.dout, rtol=1e-4, atol=1e-7)


def test_batchnorm_eval_output_does_not_depend_on_the_batch():
    model = NamesModel(PRESETS["batchnorm"], VOCAB, seed=0)
    xb, yb = random_batch(model, B=32)
    model.train()
    train_logits, _ = model(xb)
    alone_train, _ = model(xb[:4])
    assert not np.allclose(alone_train, train_logits[:4], atol=1e-5)  # batch statistics differ
    model.eval()
    full, _ = model(xb)
    alone, _ = model(xb[:4])
    assert np.allclose(full[:4], alone, atol=1e-5)
    assert not np.allclose(full, train_logits, atol=1e-4)


def test_training_lowers_the_val_loss(words):
    data = NamesData.from_words(words, 3)
    model = NamesModel(replace(PRESETS["mlp"], n_hidden=64, vocab_size=data.vocab.size), data.vocab, seed=0)
    before = data.split_losses(model, ("val",))["val"]
    reports = list(train(model, data, TrainConfig(steps=1500, batch_size=32, eval_every=500)))
    assert all(isinstance(r, Report) for r in reports)
    assert [r.step for r in reports] == list(range(1, 1501))
    assert [r.step for r in reports if r.val_loss is not None] == [500, 1000, 1500]
    assert reports[700].metrics["val_step"] == 500 and reports[700].metrics["val_loss"] == reports[499].val_loss
    assert reports[0].lr == 0.1 and reports[-1].lr == pytest.approx(0.01)
    after = data.split_losses(model, ("val",))["val"]
    assert before > 3.2 and after < 2.6
    assert reports[-1].val_loss == pytest.approx(after)
    assert abs(reports[-1].metrics["loss_ema"] - np.mean([r.loss for r in reports[-100:]])) < 0.1


def test_same_seed_same_run(words):
    data = NamesData.from_words(words, 3)

    def run(seed):
        model = NamesModel(replace(PRESETS["batchnorm"], n_hidden=16, vocab_size=data.vocab.size), data.vocab,
                           seed=seed)
        return [r.loss for r in train(model, data, TrainConfig(steps=50, seed=seed))]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_adam_and_wavenet_train(words):
    data = NamesData.from_words(words, 8)
    model = NamesModel(replace(PRESETS["wavenet"], n_embd=8, n_hidden=32, vocab_size=data.vocab.size),
                       data.vocab, seed=0)
    losses = [r.loss for r in train(model, data, TrainConfig(steps=600, lr=3e-3, optimizer="adam"))]
    assert np.mean(losses[-100:]) < np.mean(losses[:20]) - 0.5


def test_learning_rate_steps_down_at_half():
    config = TrainConfig(steps=100, lr=0.1, decay_factor=0.1)
    assert config.schedule == "step" and not hasattr(config, "lr_decay")
    assert config.lr_at(0) == 0.1 and config.lr_at(49) == 0.1
    assert config.lr_at(50) == pytest.approx(0.01) and config.lr_at(99) == pytest.approx(0.01)
    three = TrainConfig(steps=100, lr=0.1, decay_factor=0.1, decay_at=(0.5, 0.8))
    assert three.lr_at(79) == pytest.approx(0.01) and three.lr_at(80) == pytest.approx(0.001)
    assert TrainConfig(steps=100, decay_at=()).lr_at(99) == 0.1  # "never"
    with pytest.raises(ValueError):
        TrainConfig(optimizer="rmsprop").validate()
    with pytest.raises(ValueError, match="decay factor"):
        TrainConfig(decay_factor=0).validate()


def test_config_validation_messages():
    with pytest.raises(ValueError, match="power of two"):
        NamesModel(replace(PRESETS["wavenet"], block_size=6), VOCAB)
    with pytest.raises(ValueError, match="positive"):
        NamesModel(replace(PRESETS["mlp"], n_hidden=0), VOCAB)


def test_data_with_characters_the_model_lacks_is_refused():
    with pytest.raises(ValueError, match="never saw: é"):
        NamesData.from_words(["anna", "zoé"] * 10, 3, vocab=VOCAB)


def test_calibrated_batchnorm_holds_the_exact_statistics(words):
    data = NamesData.from_words(words, 3)
    model = NamesModel(replace(PRESETS["batchnorm"], vocab_size=data.vocab.size), data.vocab, seed=0)
    for _ in train(model, data, TrainConfig(steps=200)):
        pass
    calibrate_batchnorm(model, data.Xtr)
    pre = model.infer.layers[0].forward(data.Xtr)
    for layer in model.infer.layers[1:3]:
        pre = layer.forward(pre)  # Flatten, Linear: what the BatchNorm sees
    bn = model.layers[3]
    assert np.allclose(bn.running_mean, pre.mean(axis=0), atol=1e-4)
    assert np.allclose(bn.running_var, pre.var(axis=0, ddof=1), rtol=1e-3)


def test_sampling_is_reproducible_and_uses_the_vocabulary(words):
    data = NamesData.from_words(words, 3)
    model = NamesModel(replace(PRESETS["mlp"], vocab_size=data.vocab.size), data.vocab, seed=0)
    for _ in train(model, data, TrainConfig(steps=1000)):
        pass
    def sample(n, temperature=1.0, seed=0, top_k=None):
        return sample_words(model, data.vocab.decode, n, temperature, top_k, seed)

    a = sample(30, seed=5)
    assert a == sample(30, seed=5)
    assert a != sample(30, seed=6)
    assert len(a) == 30 and all(set(w) <= set(data.vocab.itos[1:]) for w in a)
    cold = sample(30, temperature=0.05, seed=5)
    assert len(set(cold)) < len(set(a))  # near-greedy sampling repeats itself
    assert model.training  # sampling ran in eval mode and put the mode back
    with pytest.raises(ValueError):
        sample(3, temperature=0)


def test_char_probs_rows_are_distributions(words):
    model = NamesModel(PRESETS["mlp"], VOCAB, seed=0)
    probs = char_probs(model, "emma")
    assert probs.shape == (5, 27)
    assert np.allclose(probs.sum(axis=1), 1)
    nll = -np.mean(np.log(probs[np.arange(5), VOCAB.encode("emma") + [0]]))
    assert word_loss(model, "emma") == pytest.approx(nll, rel=1e-5)
    with pytest.raises(ValueError, match="does not know"):
        char_probs(model, "zoé")


def test_save_load_round_trip(tmp_path):
    model = NamesModel(replace(PRESETS["batchnorm"], n_layers=2, gain=3.0, out_scale=1.0, bias_init=0.01), VOCAB,
                       seed=3)
    model.layers[3].running_mean[:] = 0.5
    path = save_model(tmp_path / "w.npz", model, meta={"preset": "batchnorm"})
    loaded = load_model(path, NamesModel)
    assert loaded.meta["preset"] == "batchnorm" and loaded.model.config == model.config
    assert loaded.model.vocab == model.vocab
    assert load_model(path).model.config == model.config  # found by its kind alone
    idx, _ = random_batch(model)
    assert np.array_equal(loaded.model.eval()(idx)[0], model.eval()(idx)[0])


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_shipped_files_written_by_the_old_code_load_unchanged(preset):
    """The shipped weights predate the deep stack and the init knobs: their header lacks those
    keys, and they load as the models they were, with the figures assets/README.md gives."""
    path = asset_path("weights", f"names_{preset}.npz")
    from models.core.checkpoint import read
    _, header = read(path)
    assert "n_layers" not in header["config"] and "gain" not in header["config"]
    loaded = load_model(path, NamesModel)
    assert loaded.model.config == replace(PRESETS[preset], vocab_size=27)
    data = NamesData.from_words(load_words(asset_path("names", "names.txt")), loaded.model.block_size,
                                vocab=loaded.model.vocab)
    val = data.split_losses(loaded.model, ("val",))["val"]
    assert val == pytest.approx(loaded.meta["val_loss"], abs=1e-4)
    assert val == pytest.approx({"mlp": 2.1058, "batchnorm": 2.0914, "wavenet": 1.9598}[preset], abs=1e-4)


def test_loading_foreign_or_wrong_files_gives_clear_errors(tmp_path):
    model = NamesModel(PRESETS["mlp"], VOCAB)
    np.savez(tmp_path / "plain.npz", a=np.zeros(3))
    with pytest.raises(CheckpointError, match="not one saved by Playground"):
        load_model(tmp_path / "plain.npz", NamesModel)
    save(tmp_path / "other.npz", "mnist-mlp", {"W": np.zeros(2)})
    with pytest.raises(CheckpointError, match="mnist-mlp"):
        load_model(tmp_path / "other.npz", NamesModel)
    arrays = dict(model.state_dict())
    arrays["layers.2.weight"] = np.zeros((30, 199), np.float32)
    config = model.get_config()
    save(tmp_path / "shape.npz", "names-mlp", arrays, config)
    with pytest.raises(CheckpointError, match="shape"):
        load_model(tmp_path / "shape.npz", NamesModel)
    save(tmp_path / "cfg.npz", "names-mlp", model.state_dict(), {**config, "itos": "abc"})
    with pytest.raises(CheckpointError, match="vocabulary does not match"):
        load_model(tmp_path / "cfg.npz", NamesModel)
    save(tmp_path / "deep.npz", "names-mlp", model.state_dict(), {**config, "n_layers": 9})
    with pytest.raises(CheckpointError, match="at most 6 hidden layers"):
        load_model(tmp_path / "deep.npz", NamesModel)
    bad = dict(model.state_dict())
    bad["layers.0.weight"] = np.full((27, 10), np.nan, np.float32)
    save(tmp_path / "nan.npz", "names-mlp", bad, config)
    with pytest.raises(CheckpointError, match="not finite"):
        load_model(tmp_path / "nan.npz", NamesModel)


def test_forward_backward_contract():
    model = NamesModel(replace(PRESETS["mlp"], n_hidden=8), VOCAB, seed=0)
    xb, yb = random_batch(model)
    with pytest.raises(RuntimeError, match="forward"):
        model.backward()
    logits, loss = model.forward(xb, yb)
    model.backward()
    first = model.grads.copy()
    with pytest.raises(RuntimeError):  # the loss's backward was consumed
        model.backward()
    model.eval()
    model.forward(xb, yb)
    with pytest.raises(RuntimeError):  # no gradients through the eval graph
        model.backward()
    model.train()
    model.forward(xb, yb)
    model.backward()
    assert np.array_equal(first, model.grads) and first.any()


def test_tiny_and_state_dict_round_trip():
    tiny = NamesModel.tiny()
    twin = NamesModel.from_config(tiny.get_config())
    twin.load_state_dict({k: v + 1 for k, v in tiny.state_dict().items()})
    assert all(np.allclose(twin.state_dict()[k], v + 1) for k, v in tiny.state_dict().items())


def test_diagnostics_snapshot(words):
    data = NamesData.from_words(words, 8)
    model = NamesModel(replace(PRESETS["wavenet"], vocab_size=data.vocab.size), data.vocab, seed=0)
    reports = list(train(model, data, TrainConfig(steps=5, batch_size=32)))
    snap = snapshot(reports[-1])
    assert isinstance(snap, Report) and isinstance(snap.payload, Health) and snap.step == 5
    assert snap.metrics == reports[-1].metrics and snap.metrics is not reports[-1].metrics
    health = snap.payload
    assert len(health.tanh) == 3
    first = health.tanh[0]
    assert first.saturation_map.shape == (32 * 4, 128)  # (examples x positions, neurons)
    assert first.act_hist.sum() == first.grad_hist.sum() == 32 * 4 * 128 // 4  # an even quarter of the values
    assert 0 <= first.saturated <= 1
    assert set(health.update_ratio) == {"0.weight", "2.weight", "6.weight", "10.weight", "13.weight"}
    assert [w.key for w in health.weight_grads] == ["0.weight", "2.weight", "6.weight", "10.weight", "13.weight"]
    # lr 0.1 * grad vs weights: the lecture's healthy range is around 1e-3 (log10 -3)
    assert all(-6 < v < 0 for v in health.update_ratio.values())
    assert health.embedding.shape == (data.vocab.size, 2)
    assert set(health.weights) == set(model.state_dict())
    health.weights["layers.0.weight"][:] = 0
    health.batch[0][:] = 0
    assert model.layers[0].weight.any()  # a copy, not the live array
    assert snapshot(reports[-1], weights=False).payload.weights is None


def test_update_ratio_for_adam_uses_the_adam_step(words):
    data = NamesData.from_words(words, 3)
    model = NamesModel(replace(PRESETS["mlp"], vocab_size=data.vocab.size), data.vocab, seed=0)
    report = list(train(model, data, TrainConfig(steps=3, optimizer="adam", lr=1e-3)))[-1]
    ratios = update_ratios(model, report.payload.optimizer)
    assert all(np.isfinite(v) for v in ratios.values())


def test_embedding_2d_keeps_2d_and_projects_more():
    C = np.random.default_rng(0).standard_normal((27, 2))
    assert np.allclose(embedding_2d(C), C)
    big = np.random.default_rng(0).standard_normal((27, 10)) * np.r_[5.0, 3.0, np.ones(8) * 0.1]
    xy = embedding_2d(big)
    assert xy.shape == (27, 2)
    # most of the spread lies along the first two dimensions, so PCA keeps the distances
    d_full = np.linalg.norm(big[:, None] - big[None], axis=-1)
    d_2d = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    assert np.corrcoef(d_full.ravel(), d_2d.ravel())[0, 1] > 0.99


def test_weight_decay_keeps_the_weights_smaller(words):
    data = NamesData.from_words(words, 3)

    def norm(decay):
        model = NamesModel(replace(PRESETS["mlp"], vocab_size=data.vocab.size), data.vocab, seed=0)
        for _ in train(model, data, TrainConfig(steps=300, weight_decay=decay)):
            pass
        return float(np.linalg.norm(model.params))

    assert norm(0.01) < 0.95 * norm(0.0)
