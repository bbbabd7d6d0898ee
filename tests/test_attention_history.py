"""What a transformer's weights remember of their training (models.attention.history), how the next
run continues them, and the bounds of issue 20: shapes, memory and divergence."""
import math

import numpy as np
import pytest

from models.attention.data import names_data, row_sampler
from models.attention.history import MAX_POINTS, Curve, Record, continue_plan, recipe_of
from models.attention.lab import open_task
from models.attention.limits import LIMITS, MAX_PARAMS
from models.attention.model import GPT, GPTConfig
from models.attention.saving import load, save
from models.attention.train import (AttentionTrainConfig, TrainData, check_memory, evaluate_loss,
                                    memory_limit, train)
from models.core import checkpoint
from models.core.assets import asset_path
from models.core.data import default_names_path, load_words

WORDS = ["anna", "bob", "clara", "dave", "emma", "fred", "gina", "hugo", "ivy", "jack"] * 4


@pytest.fixture(scope="module")
def shipped():
    return load(asset_path("weights", "attention_names.npz"))


def test_the_shipped_files_carry_their_history_step_and_recipe(shipped):
    record = Record.from_meta(shipped.meta)
    assert record.step == 58_500 and record.test_loss == pytest.approx(1.9376, abs=1e-4)
    assert record.recipe.ema == 0.999 and record.recipe.weight_decay == 0.1
    assert record.recipe.lr_end == pytest.approx(0.1)  # the first files said min_lr 1e-4
    assert record.last_lr == pytest.approx(record.recipe.lr_at(58_499)) and 1e-4 < record.last_lr < 1.05e-4
    steps, losses = record.val.xy()
    assert steps == [0, 1200, 6000, 24000, 58500]
    assert losses[-1] == pytest.approx(1.9193, abs=1e-4) and losses[0] > 3.3  # uniform guessing first
    assert all(a > b for a, b in zip(losses, losses[1:]))  # it learned all the way
    sort = Record.from_meta(load(asset_path("weights", "attention_sort.npz")).meta)
    assert sort.step == 3000 and sort.val.xy()[0] == [0, 60, 300, 1200, 3000] and sort.val.points[-1][1] < 1e-3


def test_a_record_round_trips_through_a_file(tmp_path):
    record = Record(step=40, recipe=AttentionTrainConfig(steps=40, ema=0.9), last_lr=3e-4, test_loss=2.5)
    for s in range(1, 41):
        record.train.add(s, 3.0 - s / 100)
    record.val.add(20, 2.8)
    record.val.add(40, 2.6)
    path = save(tmp_path / "w.npz", GPT.tiny(), dict(record.to_meta(), task="names"))
    again = Record.from_meta(load(path).meta)
    assert again.step == 40 and again.last_lr == 3e-4 and again.test_loss == 2.5
    assert again.recipe.ema == 0.9 and again.recipe.keep_at == ()
    assert again.train.points == record.train.points and again.val.points == [(20, 2.8), (40, 2.6)]


@pytest.mark.parametrize("meta", [None, [], {"step": "many"}, {"step": -3}, {"history": "x"},
                                  {"history": {"val": [[1, "a"]]}}, {"history": {"val": [[1, 2, 3]]}},
                                  {"train": {"lr": "fast"}}, {"train": {"steps": 0}}, {"lr": float("nan")},
                                  {"history": {"val": [[True, 1.0]]}}])
def test_a_damaged_record_is_dropped_not_fatal(meta):
    record = Record.from_meta(meta)
    assert record.step >= 0 and record.recipe is None and record.val.points == []
    assert record.last_lr is None or math.isfinite(record.last_lr)


def test_curves_stay_short_however_long_the_run():
    curve = Curve()
    for s in range(1, 10 * MAX_POINTS + 1):
        curve.add(s, 1.0 / s)
    assert MAX_POINTS // 2 <= len(curve.points) <= MAX_POINTS
    steps = [s for s, _ in curve.points]
    assert steps == sorted(steps) and steps[-1] > 9 * MAX_POINTS
    curve.add(5, 0.1)  # back in time: not a point of this curve
    curve.add(steps[-1] + 10**6, float("nan"))
    assert curve.points[-1][0] == steps[-1]
    assert Curve.from_json([[1, 2.0]] * (5 * MAX_POINTS)).points == []  # too long to be ours


def test_the_plan_continues_a_trained_model_and_starts_an_untrained_one():
    fresh = continue_plan(Record(), steps=2000, batch_size=32, eval_every=200, seed=3, lr=1e-3)
    assert fresh.start_step == 0 and fresh.offset == 0 and fresh.config.schedule == "cosine"
    assert fresh.config.warmup == 100 and fresh.config.lr_at(99) == pytest.approx(1e-3)
    assert "new schedule" in fresh.text
    record = Record(step=58_500, recipe=recipe_of({"steps": 60000, "lr": 1e-3, "min_lr": 1e-4, "ema": 0.999,
                                                   "weight_decay": 0.1}), last_lr=1.01e-4)
    plan = continue_plan(record, steps=2000, batch_size=32, eval_every=200, seed=3, keep_at=(10, 2000))
    c = plan.config
    assert plan.start_step == 58_500 and c.steps == 60_500 and plan.offset == 0
    assert c.schedule == "constant" and c.warmup == 0 and c.lr_at(58_500) == c.lr_at(60_499) == 1.01e-4
    assert c.ema == 0.999 and c.weight_decay == 0.1 and c.keep_at == (58_510, 60_500)
    assert "continues from step 58,500 at lr 1.0e-04" in plan.text
    restart = continue_plan(record, steps=2000, batch_size=32, eval_every=200, seed=3, restart=True)
    assert restart.start_step == 0 and restart.offset == 58_500 and restart.config.schedule == "cosine"


def test_training_the_shipped_model_continues_instead_of_undoing_it(shipped):
    """Issue 19: Train on the shipped names model took the tab's quick validation from 1.942 to
    1.964 in 2,000 steps (a new warm-up to the peak rate). Continued, 60 steps leave it where it
    was; restarted, the same 60 steps already undo the end of its schedule."""
    words = load_words(default_names_path())
    results = {}
    for restart in (False, True):
        opened = open_task("names", words, asset_path("weights", "attention_names.npz"))
        model, lab = opened.model, opened.lab
        X, Y = lab.names.val[0][:500], lab.names.val[1][:500]
        before = evaluate_loss(model, X, Y)
        plan = continue_plan(Record.from_meta(opened.meta), 60, 32, 1000, 0, restart=restart, workers=1)
        if restart:
            plan.config.warmup = 5
        data = TrainData(row_sampler(*lab.names.train, bucket=4))
        last = list(train(model, data, plan.config, plan.start_step))[-1]
        results[restart] = (before, evaluate_loss(model, X, Y), last.step)
    assert results[False][0] == pytest.approx(1.9422, abs=1e-4)
    assert results[False][1] < results[False][0] + 0.002 and results[False][2] == 58_560
    assert results[True][1] > results[True][0] + 0.02 and results[True][2] == 60


def test_model_shapes_are_checked_before_anything_is_built():
    for fields, message in [({"n_head": 3, "n_embd": 16}, "multiple of n_head"),
                            ({"n_layer": 0}, "n_layer must be between 1"),
                            ({"block_size": -4}, "block_size must be between 1"),
                            ({"n_layer": 10_000, "n_embd": 16}, "at most|between 1 and 48"),
                            ({"n_embd": 2048, "n_layer": 48}, f"the limit is {MAX_PARAMS:,}"),
                            ({"dropout": 1.5}, "dropout")]:
        with pytest.raises(ValueError, match=message):
            GPTConfig(**{"vocab_size": 27, **fields})
    with pytest.raises(TypeError):
        GPTConfig(n_layer="4")
    assert LIMITS["n_layer"] == (1, 48)


@pytest.mark.parametrize("field, value", [("n_head", 3), ("n_layer", 0), ("block_size", -1),
                                          ("n_layer", 10**12), ("vocab_size", 10**12)])
def test_a_weights_file_asking_for_an_impossible_shape_is_refused(tmp_path, field, value):
    path = save(tmp_path / "w.npz", GPT.tiny())
    arrays, header = checkpoint.read(path)
    header["config"]["model"][field] = value
    checkpoint.save(path, header["kind"], arrays, header["config"], header["meta"])
    with pytest.raises(checkpoint.CheckpointError, match="damaged char-transformer header"):
        load(path)


def test_memory_is_checked_before_a_run_allocates():
    check_memory(GPTConfig(vocab_size=27), 64)  # the shipped shape: fine
    with pytest.raises(MemoryError, match=f"limit on this machine is {memory_limit() / 2**30:.1f} GB"):
        check_memory(GPTConfig(vocab_size=27, block_size=256, n_layer=48, n_embd=256), 4096)


def test_a_diverging_run_stops_before_it_spoils_the_weights():
    data = names_data(WORDS)
    model = GPT(GPTConfig(vocab_size=len(data.itos), block_size=data.block_size, n_layer=1, n_head=2, n_embd=8),
                data.itos)
    model.param("head.W")[...] = 3e38  # logits overflow: the loss is not a number
    before = model.state_dict()
    config = AttentionTrainConfig(steps=5, batch_size=4, lr=1e-3, warmup=0, workers=1, ema=0.9)
    with pytest.raises(FloatingPointError, match="diverged at step 1.*smaller one"):
        list(train(model, TrainData(row_sampler(*data.train)), config))
    for name, value in model.state_dict().items():  # not one step applied, the average not swapped in
        np.testing.assert_array_equal(value, before[name])
