"""The training step split over helper processes changes no number, and leaves nothing behind."""
import numpy as np
import pytest

from models.attention.model import GPT, GPTConfig
from models.attention.parallel import ParallelStep, ShardedOptimizer
from models.attention.train import AttentionTrainConfig, make_optimizer
from models.core.helpers import can_fork
from tests.processes import alive

CONFIG = GPTConfig(vocab_size=7, block_size=6, n_layer=1, n_head=2, n_embd=8, seed=2)
needs_fork = pytest.mark.skipif(not can_fork(), reason="helper processes need Linux")


def random_model(seed=0):
    model = GPT(CONFIG)
    rng = np.random.default_rng(seed)
    for flat in model.flat_params.values():  # away from the initial point: LN gains, biases too
        flat[...] = rng.standard_normal(flat.shape) * 0.3
    return model


def batch(seed=4, rows=7):
    rng = np.random.default_rng(seed)
    x, y = rng.integers(0, 7, (rows, 6)), rng.integers(0, 7, (rows, 6))
    y[:3, 2:] = -1  # parts with different numbers of targets must be weighted by them
    return x, y


@needs_fork
@pytest.mark.parametrize("workers, empty", [(2, 0), (3, 0), (2, 4), (3, 3)])
def test_a_step_split_over_processes_gives_the_whole_batch_gradient(workers, empty):
    model, twin = random_model(), random_model()
    x, y = batch()
    y[:empty] = -1  # the first part may have no target at all
    _, loss = twin.forward(x, y)
    twin.backward()
    step = ParallelStep(model, workers)
    try:
        for _ in range(2):  # the second step reuses the helpers and their buffers
            assert step(x, y) == pytest.approx(loss, rel=1e-5)
            for key in (True, False):
                np.testing.assert_allclose(model.flat_grads[key], twin.flat_grads[key], rtol=1e-4, atol=1e-6)
        assert len(step.helpers) == workers - 1
        assert np.shares_memory(step.replicas[0].param("head.W"), model.param("head.W"))
        pids = [h.pid for h in step.helpers]
    finally:
        step.close()
    assert not any(alive(pid) for pid in pids)  # ended and reaped
    # the model's buffers are private again: a process forked later cannot write into them
    assert not np.shares_memory(step.replicas[0].param("head.W"), model.param("head.W"))
    np.testing.assert_array_equal(model.param("head.W"), twin.param("head.W"))


@needs_fork
def test_the_helpers_see_the_experiments_of_the_model():
    model, twin = random_model(), random_model()
    for m in (model, twin):
        m.causal, m.attention_temperature = False, 2.0
    x, y = batch()
    _, loss = twin.forward(x, y)
    step = ParallelStep(model, 2)
    try:
        assert step(x, y) == pytest.approx(loss, rel=1e-5)
    finally:
        step.close()


@needs_fork
@pytest.mark.parametrize("workers", [2, 3])
def test_the_optimiser_stepped_in_parts_makes_the_same_weights(workers):
    config = AttentionTrainConfig(lr=1e-2, weight_decay=0.1, beta2=0.99)
    plain, split = random_model(), random_model()
    step = ParallelStep(split, workers)
    try:
        ref, sharded = make_optimizer(plain, config), make_optimizer(split, config, step)
        assert isinstance(sharded, ShardedOptimizer) and len(sharded.parts) == workers
        rng = np.random.default_rng(0)
        for i in range(4):
            for a, b in zip(plain.flat_grads.values(), split.flat_grads.values()):
                a[...] = b[...] = rng.standard_normal(a.shape)  # the same gradients (in shared memory)
            ref.lr = sharded.lr = 1e-2 / (i + 1)  # the schedule reaches every part
            ref.step()
            sharded.step()
        for key in (True, False):
            np.testing.assert_array_equal(split.flat_params[key], plain.flat_params[key])
        with pytest.raises(RuntimeError, match="before the first step"):
            step.optimizer(lambda *a: None)
    finally:
        step.close()
    with pytest.raises(RuntimeError, match="closed"):
        sharded.step()
    assert not np.array_equal(plain.flat_params[True], random_model().flat_params[True])


@needs_fork
def test_a_helpers_error_reaches_the_caller_and_the_step_still_closes():
    model = random_model()
    x, y = batch()
    x[-1, 0] = 99  # a token the model does not know, in the helper's rows only
    step = ParallelStep(model, 2)
    try:
        with pytest.raises(RuntimeError, match="helper"):
            step(x, y)
        pid = step.helpers[0].pid
    finally:
        step.close()
    assert not alive(pid)


def test_one_worker_keeps_the_plain_optimiser_and_forks_nothing():
    model = GPT(CONFIG)
    step = ParallelStep(model, 1)
    assert not isinstance(make_optimizer(model, AttentionTrainConfig(), step), ShardedOptimizer)
    step(*batch())
    assert step.helpers == [] and not step.parallel
    step.close()
