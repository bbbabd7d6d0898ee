"""The training step's element-wise work split over its threads changes no number."""
import numpy as np
import pytest

from models.attention.model import GPT, GPTConfig
from models.attention.parallel import ParallelStep, ShardedOptimizer
from models.attention.train import AttentionTrainConfig, make_optimizer

CONFIG = GPTConfig(vocab_size=7, block_size=6, n_layer=1, n_head=2, n_embd=8, seed=2)


@pytest.mark.parametrize("workers", [2, 3])
def test_the_optimiser_stepped_in_chunks_makes_the_same_weights(workers):
    config = AttentionTrainConfig(lr=1e-2, weight_decay=0.1, beta2=0.99)
    plain, split = GPT(CONFIG), GPT(CONFIG)
    threads = ParallelStep(split, workers)
    try:
        ref, sharded = make_optimizer(plain, config), make_optimizer(split, config, threads)
        assert isinstance(sharded, ShardedOptimizer) and len(sharded.parts) == workers
        rng = np.random.default_rng(0)
        for step in range(4):
            for a, b in zip(plain.flat_grads.values(), split.flat_grads.values()):
                a[...] = b[...] = rng.standard_normal(a.shape)
            ref.lr = sharded.lr = 1e-2 / (step + 1)  # the schedule reaches every chunk
            ref.step()
            sharded.step()
        threads.close()
        sharded.step()  # closed: every chunk is still stepped, on this thread
        ref.step()
    finally:
        threads.close()
    for key in (True, False):
        np.testing.assert_array_equal(split.flat_params[key], plain.flat_params[key])
    assert not np.array_equal(plain.flat_params[True], GPT(CONFIG).flat_params[True])


def test_one_worker_keeps_the_plain_optimiser():
    model = GPT(CONFIG)
    threads = ParallelStep(model, 1)
    assert not isinstance(make_optimizer(model, AttentionTrainConfig(), threads), ShardedOptimizer)
