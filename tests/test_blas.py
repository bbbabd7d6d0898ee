"""The BLAS thread controls: the tuner picks the faster thread count and follows changes of load;
blas_threads sets the calling thread's count for a block and puts it back."""
import numpy as np
import pytest

from models.core import blas as models_blas
class FakeBlas:
    """Thread count state plus a clock where a step costs what `cost[threads]` says."""

    def __init__(self, monkeypatch, cost):
        self.threads, self.cost, self.now = 2, dict(cost), 0.0
        self.calls = []
        monkeypatch.setattr(models_blas, "get_threads", lambda: self.threads)
        monkeypatch.setattr(models_blas, "set_threads", self.set)
        monkeypatch.setattr(models_blas.time, "perf_counter", lambda: self.now)

    def set(self, n):
        self.threads = n
        self.calls.append(n)

    def run(self, tuner, steps):
        used = []
        for _ in range(steps):
            tuner.before_step()
            used.append(self.threads)
            self.now += self.cost[self.threads]
            tuner.after_step()
        return used


def test_a_busy_machine_gets_one_thread_and_pays_little_for_finding_out(monkeypatch):
    blas = FakeBlas(monkeypatch, {1: 0.001, 2: 0.100})  # two threads stall: 100x slower
    tuner = models_blas.ThreadTuner(probe=6, every=1000)
    used = blas.run(tuner, 2000)
    assert tuner.chosen == 1
    assert used.count(2) <= 4  # each trial of two threads is cut after one slow step
    tuner.restore()
    assert blas.threads == 2


def test_an_idle_machine_keeps_two_threads(monkeypatch):
    blas = FakeBlas(monkeypatch, {1: 0.002, 2: 0.0012})
    tuner = models_blas.ThreadTuner(probe=6, every=1000)
    used = blas.run(tuner, 1000)
    assert tuner.chosen == 2 and used[-100:] == [2] * 100


def test_load_arriving_mid_run_triggers_new_trials(monkeypatch):
    blas = FakeBlas(monkeypatch, {1: 0.002, 2: 0.0012})
    tuner = models_blas.ThreadTuner(probe=6, every=100000)
    blas.run(tuner, 50)
    assert tuner.chosen == 2
    blas.cost[2] = 0.2  # another program takes the second core
    used = blas.run(tuner, 50)
    assert tuner.chosen == 1 and used[-20:] == [1] * 20


def test_two_threads_that_turn_slower_than_one_was_are_tried_again(monkeypatch):
    blas = FakeBlas(monkeypatch, {1: 0.002, 2: 0.0015})
    tuner = models_blas.ThreadTuner(probe=6, every=100000)
    blas.run(tuner, 50)
    assert tuner.chosen == 2
    blas.cost[2] = 0.0026  # the second core got busy: 1.7x slower, no stall
    used = blas.run(tuner, 50)
    assert tuner.chosen == 1 and used[-20:] == [1] * 20


def test_trials_made_in_a_busy_spell_are_redone_when_steps_turn_much_faster(monkeypatch):
    blas = FakeBlas(monkeypatch, {1: 0.010, 2: 0.008})  # both slow: two threads look better
    tuner = models_blas.ThreadTuner(probe=6, every=100000)
    blas.run(tuner, 50)
    assert tuner.chosen == 2
    blas.cost = {1: 0.001, 2: 0.002}  # the spell is over, and one thread is the faster
    used = blas.run(tuner, 50)
    assert tuner.chosen == 1 and used[-20:] == [1] * 20


def test_without_openblas_nothing_happens(monkeypatch):
    monkeypatch.setattr(models_blas, "get_threads", lambda: None)
    tuner = models_blas.ThreadTuner()
    tuner.before_step()
    tuner.after_step()
    tuner.restore()
    assert tuner.options == []


def test_blas_threads_sets_this_threads_count_for_the_block_only():
    set_local = models_blas._blas().get("set_local")
    if set_local is None:
        pytest.skip("this NumPy's BLAS has no thread-local thread count")
    before = set_local(3)  # read the current count by setting a known one
    with models_blas.blas_threads(1):
        assert set_local(1) == 1
    assert set_local(before) == 3


def test_subtract_product_is_c_minus_a_transposed_b_or_declines():
    rng = np.random.default_rng(0)
    a, b, c = (rng.random(shape, dtype=np.float32) for shape in ((5, 7), (5, 3), (7, 3)))
    expected = c - a.T @ b
    if not models_blas.can_subtract_product():
        pytest.skip("no cblas_sgemm in this BLAS")
    assert models_blas.subtract_product(c, a, b)
    np.testing.assert_allclose(c, expected, rtol=1e-6, atol=1e-6)
    assert not models_blas.subtract_product(c.astype(np.float64), a, b)  # another dtype: not done
    assert not models_blas.subtract_product(np.asfortranarray(c), a, b)  # strided: not done
    with pytest.raises(ValueError):
        models_blas.subtract_product(c[:6], a, b)  # BLAS would write past the array
