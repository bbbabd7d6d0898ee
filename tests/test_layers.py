"""Every layer's backward against finite differences (float64), and BatchNorm's two modes."""
import numpy as np
import pytest

from models.core.gradcheck import max_relative_error, numerical_grad
from models.core.layers import (BatchNorm1d, CrossEntropy, Embedding, Flatten, FlattenConsecutive, Linear,
                           Sequential, Tanh, log_softmax, pack_parameters, softmax)

F64 = np.float64
TOL = 1e-6


def check_layer(layer, x, rng, check_input=True):
    """Compare backward's dx and parameter grads with numerical ones for loss = sum(out * R)."""
    out = layer.forward(x)
    R = rng.standard_normal(out.shape)

    def loss():
        return float(np.sum(layer.forward(x) * R))

    layer.forward(x)
    dx = layer.backward(R.copy())
    dx = None if dx is None else dx.copy()
    grads = {n: g.copy() for n, g in layer.grads.items()}
    for name in layer.param_names:
        num = numerical_grad(loss, getattr(layer, name))
        assert max_relative_error(grads[name], num) < TOL, name
    if check_input:
        num = numerical_grad(loss, x)
        assert max_relative_error(dx, num) < TOL
    return out


def test_linear_gradients_2d_and_3d():
    rng = np.random.default_rng(0)
    check_layer(Linear(5, 4, rng=rng, dtype=F64), rng.standard_normal((6, 5)), rng)
    layer = Linear(5, 4, rng=rng, dtype=F64)
    layer.bias[:] = rng.standard_normal(4)
    check_layer(layer, rng.standard_normal((3, 2, 5)), rng)
    check_layer(Linear(5, 4, bias=False, rng=rng, dtype=F64), rng.standard_normal((6, 5)), rng)


def test_linear_init_scale_follows_kaiming():
    layer = Linear(400, 300, gain=5 / 3, rng=np.random.default_rng(0))
    assert layer.weight.dtype == np.float32
    assert abs(layer.weight.std() - (5 / 3) / 20) < 0.005
    assert not layer.bias.any()


def test_tanh_gradient():
    rng = np.random.default_rng(1)
    check_layer(Tanh(), rng.standard_normal((4, 7)) * 2, rng)


def test_embedding_gradient_sums_repeated_ids():
    rng = np.random.default_rng(2)
    layer = Embedding(6, 3, rng=rng, dtype=F64)
    idx = np.array([[0, 1, 1], [5, 1, 0]])
    out = layer.forward(idx)
    assert out.shape == (2, 3, 3)
    assert np.array_equal(out[0, 1], layer.weight[1])
    R = rng.standard_normal(out.shape)
    assert layer.backward(R) is None
    expected = np.zeros((6, 3))
    np.add.at(expected, idx.ravel(), R.reshape(-1, 3))
    assert np.allclose(layer.grads["weight"], expected)
    check_layer(layer, idx, rng, check_input=False)


@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 5)])
def test_batchnorm_train_mode_gradient(shape):
    rng = np.random.default_rng(3)
    layer = BatchNorm1d(5, dtype=F64)
    layer.gamma[:] = rng.standard_normal(5)
    layer.beta[:] = rng.standard_normal(5)
    check_layer(layer, rng.standard_normal(shape) * 3 + 1, rng)


def test_batchnorm_eval_mode_gradient():
    rng = np.random.default_rng(4)
    layer = BatchNorm1d(5, dtype=F64)
    layer.running_mean[:] = rng.standard_normal(5)
    layer.running_var[:] = rng.random(5) + 0.5
    layer.gamma[:] = rng.standard_normal(5)
    layer.training = False
    check_layer(layer, rng.standard_normal((6, 5)), rng)


def test_batchnorm_train_normalises_and_eval_uses_running_stats():
    rng = np.random.default_rng(5)
    layer = BatchNorm1d(3, momentum=0.5, dtype=F64)
    x = rng.standard_normal((64, 3)) * np.array([1.0, 4.0, 0.1]) + np.array([2.0, -3.0, 0.0])
    out = layer.forward(x).copy()
    assert np.allclose(out.mean(axis=0), 0, atol=1e-9)
    assert np.allclose(out.std(axis=0), 1, atol=1e-3)
    # running stats moved half way (momentum 0.5) toward the batch mean and unbiased variance
    assert np.allclose(layer.running_mean, 0.5 * x.mean(axis=0))
    assert np.allclose(layer.running_var, 0.5 + 0.5 * x.var(axis=0, ddof=1))
    layer.training = False
    one = layer.forward(x[:1]).copy()  # eval: a single example is fine and independent of others
    expected = (x[:1] - layer.running_mean) / np.sqrt(layer.running_var + layer.eps)
    assert np.allclose(one, expected)
    assert not np.allclose(one, out[:1])  # differs from the batch-statistics output
    before = layer.running_mean.copy()
    layer.forward(x)
    assert np.array_equal(before, layer.running_mean)  # eval never updates the running stats


def test_flatten_consecutive_groups_neighbours():
    x = np.arange(2 * 4 * 3, dtype=F64).reshape(2, 4, 3)
    layer = FlattenConsecutive(2)
    out = layer.forward(x)
    assert out.shape == (2, 2, 6)
    assert np.array_equal(out[0, 1], np.concatenate([x[0, 2], x[0, 3]]))
    assert layer.backward(out).shape == x.shape
    last = FlattenConsecutive(4).forward(x)
    assert last.shape == (2, 12)  # time axis dropped when it would be 1
    with pytest.raises(ValueError, match="divisible"):
        FlattenConsecutive(3).forward(x)
    check_layer(FlattenConsecutive(2), np.random.default_rng(6).standard_normal((2, 4, 3)),
                np.random.default_rng(7))


def test_flatten_gradient():
    rng = np.random.default_rng(8)
    out = check_layer(Flatten(), rng.standard_normal((3, 4, 2)), rng)
    assert out.shape == (3, 8)


def test_sequential_gradient_through_a_small_net():
    rng = np.random.default_rng(9)
    net = Sequential([Linear(4, 6, bias=False, rng=rng, dtype=F64), BatchNorm1d(6, dtype=F64), Tanh(),
                      Linear(6, 3, rng=rng, dtype=F64)])
    x = rng.standard_normal((10, 4))
    out = net.forward(x)
    R = rng.standard_normal(out.shape)

    def loss():
        return float(np.sum(net.forward(x) * R))

    net.forward(x)
    dx = net.backward(R).copy()
    grads = [g.copy() for g in net.gradients()]
    for p, g in zip(net.parameters(), grads):
        assert max_relative_error(g, numerical_grad(loss, p)) < TOL
    assert max_relative_error(dx, numerical_grad(loss, x)) < TOL
    net.train(False)
    assert not net.layers[1].training


def test_cross_entropy_value_and_fused_gradient():
    rng = np.random.default_rng(10)
    logits = rng.standard_normal((7, 5)) * 3
    y = rng.integers(0, 5, 7)
    ce = CrossEntropy()
    loss = ce.forward(logits, y)
    expected = -log_softmax(logits)[np.arange(7), y].mean()
    assert abs(loss - expected) < 1e-12
    d = ce.backward().copy()
    num = numerical_grad(lambda: CrossEntropy().forward(logits, y), logits)
    assert max_relative_error(d, num) < TOL


def test_cross_entropy_is_stable_for_huge_logits():
    ce = CrossEntropy()
    logits = np.array([[1000.0, 0.0, -1000.0], [-5000.0, -4999.0, -5003.0]], dtype=np.float32)
    loss = ce.forward(logits, np.array([0, 1]))
    assert np.isfinite(loss)
    expected = -log_softmax(logits.astype(F64))[[0, 1], [0, 1]].mean()
    assert abs(loss - expected) < 1e-4
    d = ce.backward()
    assert np.all(np.isfinite(d))
    assert np.allclose(d.sum(axis=1), 0, atol=1e-6)


def test_softmax_rows_sum_to_one():
    p = softmax(np.array([[1e4, 0.0], [1.0, 2.0]]))
    assert np.allclose(p.sum(axis=1), 1)
    assert p[0, 0] == 1.0


def test_pack_parameters_makes_layers_share_one_flat_array():
    rng = np.random.default_rng(11)
    layers = [Embedding(5, 2, rng=rng), Linear(4, 3, rng=rng), BatchNorm1d(3)]
    before = [p.copy() for layer in layers for p in layer.parameters()]
    params, grads = pack_parameters(layers)
    assert params.size == 10 + 12 + 3 + 3 + 3
    after = [p for layer in layers for p in layer.parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(after, before))
    params[:] = 7.0
    assert np.all(layers[1].weight == 7.0)
    layers[1].grads["weight"][...] = 1.0
    assert grads.sum() == 12.0
