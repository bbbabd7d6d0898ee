"""A digit classifier's step split over helper processes gives the whole batch's loss and
gradients, and leaves nothing behind."""
import functools

import numpy as np
import pytest

from models.core.helpers import can_fork
from models.digits.cnn import CNN
from models.digits.net import MLP, MLPConfig
from models.digits.parallel import ParallelStep, worth_splitting
import models.digits.train as digits_train
from models.digits.train import DigitsData, DigitsTrainConfig, train
from tests.processes import alive

needs_fork = pytest.mark.skipif(not can_fork(), reason="helper processes need Linux")


def nets():
    return [MLP(MLPConfig(sizes=(784, 16, 10), seed=1)), CNN.from_config({"c1": 2, "c2": 3, "hidden": 8})]


@needs_fork
@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("workers, rows", [(2, 7), (3, 7), (2, 1)])
def test_a_split_step_gives_the_whole_batch_loss_and_gradients(which, workers, rows):
    net, twin = nets()[which], nets()[which]
    rng = np.random.default_rng(0)
    x, y = rng.random((rows, 784), dtype=np.float32), rng.integers(0, 10, rows)
    _, loss = twin.forward(x, y)
    twin.backward(scale=0.5)
    step = ParallelStep(net, batch_size=8, workers=workers, split=True)
    try:
        step.x[:rows], step.y[:rows] = x, y
        for _ in range(2):  # the helpers and their buffers serve step after step
            assert step(rows, scale=0.5) == pytest.approx(loss, rel=1e-5)
            for ours, theirs in zip(net.gradients(), twin.gradients()):
                np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
        assert step.parallel and len(step.helpers) == workers - 1
        pids = [h.pid for h in step.helpers]
    finally:
        step.close()
    assert not any(alive(pid) for pid in pids)
    for p in net.parameters():  # private again: a process forked later cannot write into them
        assert not np.shares_memory(p, step.replicas[0].parameters()[0]) and p.base is None


def test_small_steps_stay_in_one_process():
    net = MLP(MLPConfig(sizes=(784, 16, 10)))
    assert not worth_splitting(net, 4)  # microseconds: the split would cost more than it saves
    step = ParallelStep(net, batch_size=4)
    assert not step.parallel and step.helpers == []
    step.close()


@needs_fork
@pytest.mark.parametrize("augment", [False, True])
def test_training_with_a_split_step_learns_as_in_one_process(monkeypatch, augment):
    rng = np.random.default_rng(0)
    x = rng.random((64, 784), dtype=np.float32)
    y = (x[:, :392].sum(axis=1) > x[:, 392:].sum(axis=1)).astype(np.int64)  # a rule to learn
    losses = {}
    for split in (False, True):
        monkeypatch.setattr(digits_train, "ParallelStep", functools.partial(ParallelStep, split=split))
        net = MLP(MLPConfig(sizes=(784, 16, 10), seed=2))
        config = DigitsTrainConfig(steps=40, batch_size=16, lr=0.1, optimizer="momentum", augment=augment,
                                   eval_every=0, schedule="constant")
        losses[split] = [r.loss for r in train(net, DigitsData(x, y), config)]
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-3)
    assert losses[True][-1] < losses[True][0] - 0.2
