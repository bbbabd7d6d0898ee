"""The digits CNN: convolution and pooling against plain loops, backward against finite
differences, files, a short training that learns, and the numbers its inside view writes out."""
import numpy as np
import pytest

from models.core import checkpoint
from models.core.gradcheck import max_relative_error, numerical_grad
from models.digits.cnn import CNN, CNNConfig
from models.digits.conv import Conv2d, MaxPool2
from models.digits.inspect import receptive_field, unit_story
from models.digits.train import DigitsData, DigitsTrainConfig, train


def test_conv2d_is_the_textbook_sum():
    rng = np.random.default_rng(0)
    conv = Conv2d(3, 4, kernel=5, rng=rng, dtype=np.float64)
    conv.bias[...] = rng.normal(size=4)
    x = rng.normal(size=(2, 6, 7, 3))
    out = conv.forward(x)
    xp = np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))
    expected = np.zeros((2, 6, 7, 4))
    for i in range(6):  # a loop over pixels is fine in a test: it is the definition
        for j in range(7):
            patch = xp[:, i:i + 5, j:j + 5, :]  # (B, 5, 5, C)
            expected[:, i, j] = np.einsum("bklc,klco->bo", patch, conv.weight) + conv.bias
    np.testing.assert_allclose(out, expected, atol=1e-10)


@pytest.mark.parametrize("channels, width", [(1, 9), (3, 4)])  # the two im2col layouts
def test_conv2d_in_chunks_is_the_textbook_sum_and_its_backward_matches_finite_differences(
        channels, width, monkeypatch):
    import models.digits.conv as conv_module
    monkeypatch.setattr(conv_module, "CHUNK_BYTES", 1)  # one image per chunk: chunk edges get tested
    rng = np.random.default_rng(4)
    for pad in (0, 1, 2):
        conv = Conv2d(channels, 2, kernel=3 + 2 * (pad == 2), pad=pad, rng=rng, dtype=np.float64)
        conv.bias[...] = rng.normal(size=2)
        K = conv.k
        x = rng.normal(size=(3, 5, width, channels))
        out = conv.forward(x).copy()
        xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
        Ho, Wo = xp.shape[1] - K + 1, xp.shape[2] - K + 1
        assert out.shape == (3, Ho, Wo, 2)
        expected = np.empty_like(out)
        for i in range(Ho):
            for j in range(Wo):
                expected[:, i, j] = np.einsum("bklc,klco->bo", xp[:, i:i + K, j:j + K], conv.weight) + conv.bias
        np.testing.assert_allclose(out, expected, atol=1e-10)
        g = rng.normal(size=out.shape)  # loss = sum(out * g): linear in x and in each parameter, so
        # central differences are exact up to rounding, even with a large eps

        def loss():
            return float((conv.forward(x) * g).sum())

        conv.forward(x)
        dx = conv.backward(g).copy()
        grads = {n: conv.grads[n].copy() for n in conv.param_names}
        for name in conv.param_names:
            num = numerical_grad(loss, getattr(conv, name), eps=1e-3, max_entries=40)
            assert max_relative_error(grads[name], num) < 1e-8, (pad, name)
        assert max_relative_error(dx, numerical_grad(loss, x, eps=1e-3, max_entries=40)) < 1e-8, pad


def test_conv2d_keeps_its_chunk_views_only_while_the_batch_shape_holds(monkeypatch):
    import models.digits.conv as conv_module
    monkeypatch.setattr(conv_module, "CHUNK_BYTES", 11000)  # two images a chunk, a shorter last one
    rng = np.random.default_rng(5)
    conv = Conv2d(2, 3, kernel=3, rng=rng, dtype=np.float64)
    for batch in (5, 2, 5, 7):  # each shape change makes new buffers, so new views of them
        x = rng.normal(size=(batch, 6, 6, 2))
        g = rng.normal(size=(batch, 6, 6, 3))
        fresh = Conv2d(2, 3, kernel=3, dtype=np.float64)
        fresh.weight, fresh.bias = conv.weight, conv.bias
        np.testing.assert_allclose(conv.forward(x), fresh.forward(x), atol=1e-12)
        np.testing.assert_allclose(conv.backward(g), fresh.backward(g), atol=1e-12)
        np.testing.assert_allclose(conv.grads["weight"], fresh.grads["weight"], atol=1e-12)


def test_max_pool_sends_the_gradient_to_one_maximum_even_on_ties():
    pool = MaxPool2()
    x = np.zeros((1, 2, 4, 1))
    x[0, 0, 2, 0] = x[0, 1, 3, 0] = 5.0  # a tie in the second block; the first block is all zeros
    out = pool.forward(x)
    assert out.tolist() == [[[[0.0], [5.0]]]]
    dx = pool.backward(np.ones_like(out))
    assert dx.sum() == 2.0  # one gradient per block, never split or doubled
    assert dx[0, 0, 0, 0] == 1.0 and dx[0, 0, 2, 0] == 1.0


@pytest.mark.parametrize("hidden", [5, 0])
def test_cnn_backward_matches_finite_differences(hidden):
    rng = np.random.default_rng(1)
    net = CNN(CNNConfig(c1=3, c2=4, hidden=hidden, seed=2)).astype(np.float64)
    for _, a in net.named_parameters():
        if a.ndim == 1:
            a[...] = rng.normal(0, 0.1, a.shape)  # non-zero biases: their gradients count too
    x, y = rng.random((3, 28, 28)), rng.integers(0, 10, 3)

    def loss():
        return net.forward(x, y)[1]

    loss()
    dx = net.backward(input_grad=True).copy()
    for (name, p), g in zip(net.named_parameters(), [g.copy() for g in net.gradients()]):
        num = numerical_grad(loss, p, eps=1e-6, max_entries=30)
        assert max_relative_error(g, num) < 1e-5, name
    num_x = numerical_grad(loss, x, eps=1e-6, max_entries=30)
    assert max_relative_error(dx, num_x) < 1e-5


def test_saliency_and_probabilities():
    net = CNN.tiny()
    x = np.random.default_rng(3).random((28, 28)).astype(np.float32)
    before = [g.copy() for g in net.gradients()]
    grad, cls = net.saliency(x)
    assert grad.shape == (28, 28) and cls == int(net.predict(x[None])[0])
    for a, b in zip(before, net.gradients()):  # a training step's gradients are left alone
        np.testing.assert_array_equal(a, b)
    net.forward(x[None])
    onehot = np.eye(10, dtype=np.float32)[[cls]]
    np.testing.assert_allclose(net.backward(onehot, input_grad=True)[0], grad, rtol=1e-5, atol=1e-7)
    p = net.predict_proba(np.stack([x, x * 0.5]))
    assert p.shape == (2, 10) and np.allclose(p.sum(1), 1, atol=1e-5)
    with pytest.raises(ValueError, match="28, 28"):
        net.predict(np.zeros((2, 27, 27)))


def test_files_round_trip_and_refusals(tmp_path):
    net = CNN(CNNConfig(c1=4, c2=6, hidden=8, seed=5))
    path = checkpoint.save_model(tmp_path / "cnn.npz", net, {"note": "x"})
    loaded = checkpoint.load_model(path)  # the kind in the file says it is a CNN
    assert isinstance(loaded.model, CNN) and loaded.meta == {"note": "x"}
    assert loaded.model.get_config() == net.get_config()
    for (n, a), (_, b) in zip(net.named_parameters(), loaded.model.named_parameters()):
        np.testing.assert_array_equal(a, b, err_msg=n)
    with pytest.raises(ValueError):
        CNN.from_config({"c1": 0, "c2": 4})
    from models.digits.net import MLP
    with pytest.raises(checkpoint.CheckpointError, match="digits-cnn"):
        checkpoint.load_model(path, MLP)


def bars(n, rng):
    """Ten classes of 28x28 images: class k is a short bar at its own place, plus noise."""
    y = rng.integers(0, 10, n)
    x = rng.random((n, 28, 28)).astype(np.float32) * 0.2
    for k in range(10):
        r, c = 4 + 2 * k, 4 + (k % 3) * 7
        x[y == k, r:r + 2, c:c + 8] = 1.0
    return x, y


def test_a_short_cnn_training_raises_accuracy():
    rng = np.random.default_rng(6)
    x, y = bars(512, rng)
    xt, yt = bars(200, rng)
    net = CNN(CNNConfig(c1=4, c2=8, hidden=16, seed=0))
    before = net.accuracy(xt, yt)
    config = DigitsTrainConfig(steps=60, batch_size=32, lr=0.05, optimizer="momentum", augment=False,
                               eval_every=60, tune_threads=False)
    reports = list(train(net, DigitsData(x, y, xt, yt), config))
    assert reports[-1].metrics["test_acc"] > max(0.9, before + 0.5)
    assert np.mean([r.loss for r in reports[-10:]]) < np.mean([r.loss for r in reports[:10]])


def test_the_inside_view_writes_out_the_sums_the_net_computed():
    net = CNN(CNNConfig(c1=3, c2=4, hidden=0, seed=1))
    x = np.zeros((28, 28), np.float32)
    x[6:22, 12:16] = 1.0
    net.forward(x[None])
    maps = [m[0] for m in net.maps]
    story = unit_story(net, x, maps, 0, 1, 10, 13)
    assert f"= {maps[0][10, 13, 1]:.2f}</b>" in story
    story = unit_story(net, x, maps, 2, 3, 5, 6)
    value = maps[2][5, 6, 3]
    assert f"= <b>{value:.2f}</b>" in story.replace("−", "-") or f"= {value:.2f}" in story
    assert "max" in unit_story(net, x, maps, 3, 0, 2, 2)
    assert receptive_field(0, 10, 13) == (8, 13, 11, 16)  # a 5x5 window around the pixel
    assert receptive_field(2, 7, 7) == (8, 22, 8, 22)  # conv2 sees 14x14 input pixels
    assert receptive_field(0, 0, 0) == (0, 3, 0, 3)  # clipped at the border
    t, b, l, r = receptive_field(3, 3, 3)
    assert b - t == 16 and r - l == 16
