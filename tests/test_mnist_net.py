"""The MNIST MLP: backward against finite differences, training that learns, files."""
import numpy as np
import pytest

from models.core import blas, checkpoint
from models.core.gradcheck import max_relative_error, numerical_grad
from models.core.optim import SGD
from models.core.training import Report
from models.digits.net import MLP, MLPConfig, parse_arch
from models.digits.train import DigitsData, DigitsTrainConfig, confusion_matrix, snapshot, train


def small_net(sizes=(784, 16, 10), seed=0):
    net = MLP(MLPConfig(sizes=sizes, seed=seed))
    for b in net.b:  # non-zero biases so their gradients are exercised too
        b[...] = np.random.default_rng(seed + 1).normal(0, 0.1, b.shape)
    return net


def loss_of(net, x, y):
    return net.forward(x, y)[1]


@pytest.mark.parametrize("sizes", [(784, 16, 10), (784, 12, 8, 10)])
def test_backward_matches_finite_differences(sizes):
    rng = np.random.default_rng(0)
    net = small_net(sizes).astype(np.float64)  # float64 so central differences are exact enough
    x, y = rng.random((5, 784)), rng.integers(0, 10, 5)
    loss_of(net, x, y)
    dx = net.backward(input_grad=True).copy()
    analytic = [g.copy() for g in net.gradients()]
    for p, g in zip(net.parameters(), analytic):
        num = numerical_grad(lambda: loss_of(net, x, y), p, eps=1e-6, max_entries=60)
        assert max_relative_error(g, num) < 1e-5
    num_x = numerical_grad(lambda: loss_of(net, x, y), x, eps=1e-6, max_entries=60)
    assert max_relative_error(dx, num_x) < 1e-5


def test_saliency_is_the_gradient_of_the_class_logit():
    rng = np.random.default_rng(1)
    net = small_net()
    x = rng.random((28, 28)).astype(np.float32)
    grad, cls = net.saliency(x)
    assert grad.shape == (28, 28) and cls == int(net.predict(x[None])[0])
    x64 = x.astype(np.float64)

    def logit():
        return float(net.logits(x64[None].astype(np.float32))[0, cls])

    num = numerical_grad(logit, x64, eps=1e-2, max_entries=40)  # the logit is piecewise linear in x
    mask = ~np.isnan(num)
    assert np.allclose(grad[mask], num[mask], atol=2e-3)


def test_probabilities_accept_both_input_shapes():
    net = small_net()
    x = np.random.default_rng(2).random((3, 28, 28))
    p = net.predict_proba(x)
    assert p.shape == (3, 10) and np.allclose(p.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(net.predict_proba(x.reshape(3, 784)), p)
    with pytest.raises(ValueError, match="28, 28"):
        net.predict_proba(np.zeros((2, 27, 27)))


def test_in_place_sgd_equals_the_textbook_update():
    rng = np.random.default_rng(3)
    x, y = rng.random((8, 784), dtype=np.float32), rng.integers(0, 10, 8)
    a, b = small_net(), small_net()
    a.forward(x, y)
    a.backward()
    expected = [p - 0.1 * g for p, g in zip(a.parameters(), a.gradients())]
    b.forward(x, y)
    b.backward()
    SGD(b.parameters(), b.gradients(), lr=0.1, in_place=True).step()
    for p, e in zip(b.parameters(), expected):
        np.testing.assert_allclose(p, e, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("sizes", [(784, 32, 10), (784, 24, 8, 10)])  # W1 large enough for one call
@pytest.mark.parametrize("rows", [64, 5])
def test_the_fused_sgd_step_equals_forward_backward_and_the_update(sizes, rows, monkeypatch):
    rng = np.random.default_rng(4)
    x, y = rng.random((rows, 784), dtype=np.float32), rng.integers(0, 10, rows)
    a, b, c = small_net(sizes), small_net(sizes), small_net(sizes)
    _, loss = a.forward(x, y)
    a.backward(scale=0.05)
    for p, g in zip(a.parameters(), a.gradients()):
        p -= g
    assert b.sgd_step(x, y, 0.05) == loss
    monkeypatch.setattr(blas, "subtract_product", lambda c, a, b: False)  # the fallback: another BLAS
    assert c.sgd_step(x, y, 0.05) == loss
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        np.testing.assert_allclose(pb, pa, rtol=1e-6, atol=1e-7)
        np.testing.assert_array_equal(pc, pa)
    d = small_net(sizes)
    d.sgd_step(x[:, ::-1].copy()[:, ::-1], y, 0.05)  # a strided batch: the update in two passes
    for pa, pd in zip(a.parameters(), d.parameters()):
        np.testing.assert_allclose(pd, pa, rtol=1e-6, atol=1e-7)


def test_in_place_momentum_accumulates_velocity_like_the_plain_one():
    p, g = np.ones(3), np.full(3, 1.0)
    q = p.copy()
    fused, plain = SGD([p], [g], 0.1, momentum=0.9, in_place=True), SGD([q], [g], 0.1, momentum=0.9)
    for _ in range(2):
        fused.step()
        plain.step()
    np.testing.assert_allclose(p, 1 - 0.1 - 0.1 * 1.9)
    np.testing.assert_allclose(p, q)


def blobs(n, rng):
    """Ten separable classes of 28x28 'images': class k lights up its own band of pixels."""
    y = rng.integers(0, 10, n)
    x = rng.random((n, 784)).astype(np.float32) * 0.3
    for k in range(10):
        x[y == k, k * 78:(k + 1) * 78] += 0.7
    return np.clip(x, 0, 1), y


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_short_training_raises_accuracy(optimizer):
    rng = np.random.default_rng(4)
    x, y = blobs(600, rng)
    xt, yt = blobs(200, rng)
    net = MLP(MLPConfig(sizes=(784, 32, 10), seed=0))
    before = net.accuracy(xt, yt)
    lr = {"sgd": 0.1, "momentum": 0.05, "adam": 0.003}[optimizer]
    config = DigitsTrainConfig.for_epochs(2, len(x), batch_size=32, lr=lr, optimizer=optimizer, augment=False)
    config.eval_every = 19  # once an epoch (600 / 32 -> 19 steps)
    reports = list(train(net, DigitsData(x, y, xt, yt), config))
    assert all(isinstance(r, Report) for r in reports)
    assert [r.step for r in reports] == list(range(1, config.steps + 1)) and config.steps == 38
    evals = [r for r in reports if "test_acc" in r.metrics]
    assert len(evals) == 2 and evals[-1].metrics["test_acc"] > max(0.9, before + 0.5)
    assert reports[-1].loss < reports[0].loss
    assert evals[-1].metrics["best_acc"] == max(r.metrics["test_acc"] for r in evals)
    assert evals[-1].payload["last_eval"]["confusion"].sum() == len(yt) and evals[-1].val_loss > 0
    assert reports[-1].payload["last_eval"]["step"] == 38
    assert reports[-1].payload["evals"][-1]["step"] == 38


def test_eval_every_zero_never_evaluates_and_the_schedule_is_the_core_cosine():
    rng = np.random.default_rng(7)
    x, y = blobs(64, rng)
    config = DigitsTrainConfig(steps=4, batch_size=16, lr=0.1, augment=False)
    reports = list(train(MLP(MLPConfig((784, 8, 10))), DigitsData(x, y, x, y), config))
    assert not any("test_acc" in r.metrics for r in reports)
    assert [r.lr for r in reports] == [config.lr_at(s) for s in range(4)]
    assert reports[0].lr == 0.1 and reports[-1].lr < 0.1


def test_snapshot_copies_what_crosses_threads_and_sends_the_best_weights_once():
    rng = np.random.default_rng(8)
    x, y = blobs(64, rng)
    net = MLP(MLPConfig((784, 8, 10)))
    config = DigitsTrainConfig(steps=3, batch_size=32, lr=0.1, augment=False, eval_every=1)
    sent = {}
    gen = train(net, DigitsData(x, y, x, y), config)
    first = next(gen)
    copy = snapshot(first, sent)
    assert copy.payload["state"]["W1"] is not net.W1 and np.array_equal(copy.payload["state"]["W1"], net.W1)
    assert "best_state" in copy.payload and "last_eval" in copy.payload
    again = snapshot(first, sent)
    assert "best_state" not in again.payload and "last_eval" not in again.payload  # the GUI has them
    second = snapshot(next(gen), sent)
    assert second.payload["last_eval"]["step"] == 2  # a newer evaluation crosses again
    gen.close()


def test_augmented_training_on_uint8_images_runs():
    rng = np.random.default_rng(5)
    x = (rng.random((100, 28, 28)) * 255).astype(np.uint8)
    y = rng.integers(0, 10, 100)
    config = DigitsTrainConfig.for_epochs(1, 100, batch_size=50)
    reports = list(train(MLP(MLPConfig((784, 8, 10))), DigitsData(x, y), config))
    assert len(reports) == 2 and all(np.isfinite(r.loss) for r in reports)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="optimizer"):
        DigitsTrainConfig(optimizer="rmsprop").validate()
    for arch in ("784-10", "785-100-10", "784-0-10", "784-a-10"):
        with pytest.raises(ValueError):
            parse_arch(arch)
    assert parse_arch("784-512-256-10") == (784, 512, 256, 10)


def test_confusion_matrix_counts_true_rows_and_predicted_columns():
    cm = confusion_matrix(np.array([1, 1, 2]), np.array([1, 2, 2]), n=3)
    assert cm.tolist() == [[0, 0, 0], [0, 1, 0], [0, 1, 1]]


def test_save_load_round_trip_and_clear_refusals(tmp_path):
    net = small_net()
    path = checkpoint.save_model(tmp_path / "w.npz", net, meta={"note": "x"})
    loaded = checkpoint.load_model(path, MLP)
    assert loaded.model.config.sizes == (784, 16, 10) and loaded.meta == {"note": "x"}
    for a, b in zip(net.parameters(), loaded.model.parameters()):
        np.testing.assert_array_equal(a, b)
    half = MLP.from_config(net.get_config()).astype(np.float16)
    half.load_state_dict(net.state_dict())
    back = checkpoint.load_model(checkpoint.save_model(tmp_path / "h.npz", half)).model
    assert back.W1.dtype == np.float32 and np.allclose(back.W1, net.W1, atol=1e-3)

    other = MLP(MLPConfig((784, 32, 10)))
    with pytest.raises(checkpoint.CheckpointError, match="does not fit"):
        other.load_state_dict(checkpoint.read(path)[0])
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, W1=np.zeros(3))
    with pytest.raises(checkpoint.CheckpointError, match="not one saved by Playground"):
        checkpoint.load_model(foreign, MLP)
    checkpoint.save(tmp_path / "names.npz", "names-mlp", {"C": np.zeros(2)})
    with pytest.raises(checkpoint.CheckpointError, match="names-mlp"):
        checkpoint.load_model(tmp_path / "names.npz", MLP)


def test_the_shipped_file_written_before_the_one_house_still_loads():
    from models.digits.mnist import load_pretrained

    loaded = load_pretrained()
    assert isinstance(loaded.model, MLP) and loaded.model.config.sizes == (784, 800, 10)
    assert loaded.meta["test_accuracy"] == pytest.approx(0.9914)
    assert MLP.tiny().num_params() == 784 * 8 + 8 + 8 * 10 + 10


def test_softmax_cross_entropy_is_stable_for_rows_far_apart():
    net = small_net()
    x = np.random.default_rng(6).random((3, 784), dtype=np.float32)
    net.forward(x)
    logits = np.array([[300.0, 0, 0, 0, 0, 0, 0, 0, 0, 290.0],  # one row far above the others
                       [-200.0, -190.0, -210.0, -200, -200, -200, -200, -200, -200, -200],
                       [1.0, 2.0, 3.0, 0, 0, 0, 0, 0, 0, 0]], np.float32)
    net._buffers(3)["a"][-1][...] = logits
    y = np.array([9, 1, 2])
    loss = net._loss_and_grad(y)
    z = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    assert loss == pytest.approx(-logp[np.arange(3), y].mean(), rel=1e-5)
    expected = (np.exp(logp) - np.eye(10)[y]) / 3
    np.testing.assert_allclose(net._buffers(3)["d"][-1], expected, atol=1e-6)
