"""The Digits run's snapshot (what crosses from the run to the window): the live weights only at
view rate (state_every), at a new evaluation and at the last step; the evaluation and the best
weights only when they changed."""
import numpy as np

from models.digits import train as digits_train
from models.digits.net import MLP, MLPConfig
from models.digits.train import DigitsData, DigitsTrainConfig, snapshot, train


def reports(steps=12, eval_every=5):
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 784)).astype(np.float32), rng.integers(0, 10, 64)
    net = MLP(MLPConfig((784, 8, 10)))
    config = DigitsTrainConfig(steps=steps, batch_size=16, eval_every=eval_every, augment=False, tune_threads=False)
    return net, list(train(net, DigitsData(x, y, x[:20], y[:20]), config))


def test_weights_cross_at_view_rate(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(digits_train.time, "monotonic", lambda: clock[0])
    net, rs = reports(steps=14, eval_every=6)
    sent = {}
    shots = []
    for r in rs:
        shots.append(snapshot(r, sent, state_every=0.5))
        clock[0] += 0.125  # eight reports a second
    with_state = [s.step for s in shots if "state" in s.payload]
    # the first, 0.5 s after the last, the evaluations (6, 12 and the last step, 14)
    assert with_state == [1, 5, 6, 10, 12, 14]
    assert [s.step for s in shots if "last_eval" in s.payload] == [6, 12, 14]
    shot = shots[-1].payload["state"]
    for name, value in net.named_parameters():  # copies of the weights as they were
        assert shot[name] is not value and np.array_equal(shot[name], value)


def test_without_a_rate_every_report_carries_the_weights():
    _, rs = reports(steps=4, eval_every=0)
    assert all("state" in snapshot(r, {}).payload for r in rs)
    assert all("state" in snapshot(r).payload for r in rs)
