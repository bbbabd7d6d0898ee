"""The neural bigram on the one-house contract: config, Report, snapshot, resuming, minibatches,
schedules, and save/load through models.core.checkpoint (old files included)."""
import numpy as np
import pytest

from models.bigram.counts import BigramCounts, bigram_pairs
from models.bigram.neural import NeuralBigram
from models.bigram.train import NeuralBigramConfig, snapshot, train
from models.core import checkpoint
from models.core.training import TrainConfig

WORDS = ["emma", "ava", "anna", "bob", "eve", "abba", "hannah", "ann"]


def pairs():
    counts = BigramCounts.fit(WORDS)
    return counts, bigram_pairs(WORDS, counts.vocab)


def test_the_config_is_a_train_config_with_the_lectures_defaults():
    config = NeuralBigramConfig()
    assert isinstance(config, TrainConfig)
    assert (config.lr, config.steps, config.batch_size, config.l2, config.eval_every) == (50.0, 300, 0, 0.0, 0)
    config.validate()  # batch_size 0 (full batch) is allowed ...
    assert config.batch_size == 0
    for bad in (dict(batch_size=-1), dict(steps=0), dict(lr=0.0), dict(l2=-1.0), dict(schedule="warp")):
        with pytest.raises(ValueError):
            NeuralBigramConfig(**bad).validate()
    assert NeuralBigramConfig.from_dict({**config.to_dict(), "from_the_future": 1}) == config


def test_resuming_from_a_step_is_the_same_run():
    counts, data = pairs()
    whole = NeuralBigram(counts.vocab.size, seed=3)
    one = [r.loss for r in train(whole, data, NeuralBigramConfig(steps=10))]
    split = NeuralBigram(counts.vocab.size, seed=3)
    first = list(train(split, data, NeuralBigramConfig(steps=4)))
    rest = list(train(split, data, NeuralBigramConfig(steps=6), start_step=4))
    assert [r.step for r in first + rest] == list(range(1, 11))
    assert [r.loss for r in first + rest] == pytest.approx(one, rel=1e-6)
    assert np.allclose(split.W, whole.W)


def test_the_schedule_sets_each_steps_rate():
    counts, data = pairs()
    net = NeuralBigram(counts.vocab.size, seed=0)
    config = NeuralBigramConfig(lr=10.0, steps=10, schedule="step", decay_at=(0.5,), decay_factor=0.1)
    assert [r.lr for r in train(net, data, config)] == pytest.approx([10.0] * 5 + [1.0] * 5)


def test_minibatches_are_reproducible_and_still_learn():
    counts, data = pairs()
    runs = []
    for _ in range(2):
        net = NeuralBigram(counts.vocab.size, seed=1)
        runs.append([r.loss for r in train(net, data, NeuralBigramConfig(lr=10.0, steps=200,
                                                                        batch_size=8, seed=5))])
    assert runs[0] == runs[1]
    assert np.mean(runs[0][-20:]) < runs[0][0] - 0.5


def test_snapshot_copies_what_crosses_threads():
    counts, data = pairs()
    net = NeuralBigram(counts.vocab.size, seed=0)
    report = next(train(net, data, NeuralBigramConfig(steps=3)))
    copy = snapshot(report)
    assert copy.step == report.step and copy.loss == report.loss
    assert copy.payload["W"] is not net.W and np.array_equal(copy.payload["W"], net.W)
    assert np.allclose(copy.payload["P"].sum(axis=1), 1.0) and np.allclose(copy.payload["P"], net.probs())
    assert copy.metrics is not report.metrics


def test_bad_data_is_refused_with_a_sentence():
    net = NeuralBigram(4, seed=0)
    with pytest.raises(ValueError, match="no .previous, next. pairs"):
        next(train(net, (np.zeros(0, int), np.zeros(0, int)), NeuralBigramConfig()))
    with pytest.raises(ValueError, match="beyond this model's 4"):
        next(train(net, (np.array([0, 9]), np.array([1, 2])), NeuralBigramConfig()))
    with pytest.raises(ValueError, match="2 to 1024 characters"):
        NeuralBigram(1)


def test_save_and_load_round_trip(tmp_path):
    net = NeuralBigram.tiny()
    net.W[...] = np.arange(16, dtype=np.float32).reshape(4, 4) / 10
    path = checkpoint.save_model(tmp_path / "w.npz", net, {"steps": 7})
    for cls in (NeuralBigram, None):
        loaded = checkpoint.load_model(path, cls)
        assert isinstance(loaded.model, NeuralBigram) and loaded.meta == {"steps": 7}
        assert np.array_equal(loaded.model.W, net.W) and loaded.model.itos == ".abc"
        assert loaded.model.W.dtype == np.float32


def test_a_file_written_by_the_old_code_still_loads(tmp_path):
    """Before the one-house contract, `train bigram --save` wrote the training settings as the
    config and the alphabet in meta.itos."""
    W = np.random.default_rng(0).standard_normal((5, 5)).astype(np.float32)
    path = checkpoint.save(tmp_path / "old.npz", "bigram", {"W": W},
                           {"lr": 5.0, "l2": 0.0, "steps": 40, "seed": 2147483647},
                           {"itos": ".abmo", "steps": 40})
    loaded = checkpoint.load_model(path, NeuralBigram)
    assert np.array_equal(loaded.model.W, W) and loaded.model.itos == ".abmo"
    assert loaded.meta["steps"] == 40


@pytest.mark.parametrize("config", [{"vocab_size": "5"}, {"vocab_size": 5, "itos": ["."]},
                                    {"vocab_size": 4, "itos": ".ab"}, {"vocab_size": 1}, {}])
def test_a_damaged_header_is_a_checkpoint_error(tmp_path, config):
    path = checkpoint.save(tmp_path / "bad.npz", "bigram", {"W": np.zeros((5, 5), np.float32)}, config)
    if not config:  # no vocab_size: the old layout, rebuilt from W
        assert checkpoint.load_model(path, NeuralBigram).model.vocab_size == 5
        return
    with pytest.raises(checkpoint.CheckpointError):
        checkpoint.load_model(path, NeuralBigram)
