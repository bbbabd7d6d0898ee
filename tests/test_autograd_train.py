"""Toy data, the MLP training generator, its NumPy twin for the decision boundary, and weights
on disk."""
import random

import numpy as np
import pytest

from models.autograd.engine import MLP, Value, numerical_grads
from models.autograd.model import LOSSES, PlaneMLP, accuracy, scores_numpy
from models.autograd.plane import boundary_segments, decision_grid, plot_bounds
from models.autograd.toy_data import CLASSIFICATION, PlaneData, make_dataset, moons
from models.autograd.train import AutogradTrainConfig, penalised, snapshot, train
from models.core import checkpoint
from models.core.training import Report


def make_mlp(hidden, activations, seed=1337):
    return PlaneMLP(hidden, activations, seed)


def loss_of(model, X, y, loss, l2):
    """(penalised loss Value, scores as floats), as the training step computes them."""
    scores, data_loss = model.forward(np.asarray(X), y, loss)
    return penalised(model, data_loss, AutogradTrainConfig(weight_decay=l2)), [s.data for s in scores]


def load_mlp(path):
    return checkpoint.load_model(path, PlaneMLP).model


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_toy_sets_are_two_balanced_reproducible_classes(name):
    X, y = make_dataset(name, 61, 0.1, seed=3)
    assert X.shape == (61, 2) and y.shape == (61,)
    assert set(np.unique(y)) == {-1.0, 1.0}
    assert abs(int((y > 0).sum()) - int((y < 0).sum())) <= 1
    X2, y2 = make_dataset(name, 61, 0.1, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make_dataset(name, 61, 0.1, seed=4)
    assert not np.array_equal(X, X3)
    Xq, _ = make_dataset(name, 61, 0.0, seed=3)
    Xn, _ = make_dataset(name, 61, 0.5, seed=3)
    assert np.abs(Xn - Xq).mean() > np.abs(X - Xq).mean() > 0  # noise is what it says


def test_moons_without_noise_are_two_half_circles():
    X, y = moons(100, 0.0)
    assert X[0] == pytest.approx([1.0, 0.0]) and y[0] == -1
    assert X[-1] == pytest.approx([2.0, 0.5]) and y[-1] == 1


@pytest.mark.parametrize("args,fragment", [(("rings", 10, 0.1), "unknown data set"),
                                           (("moons", 1, 0.1), "points"),
                                           (("moons", 10**6, 0.1), "points"),
                                           (("moons", 10, -1.0), "noise")])
def test_bad_data_settings_are_refused(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        make_dataset(*args)


def test_micrograd_demo_reaches_full_accuracy_within_100_steps():
    X, y = make_dataset("moons", 100, 0.1, seed=1)
    model = make_mlp((16, 16), ("relu", "relu"), seed=1337)
    first_loss, reached = None, None
    for report in train(model, PlaneData(X, y), AutogradTrainConfig()):
        assert isinstance(report, Report)
        first_loss = first_loss or report.loss
        if report.metrics["accuracy"] == 1.0:
            reached = report.step
            break
        if report.step >= 100:
            break
    assert reached is not None and reached <= 100
    assert report.loss < 0.2 * first_loss


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_gradient_matches_finite_differences(loss):
    model = make_mlp((3,), ("tanh",), seed=2)
    X = [[0.3, -0.4], [1.0, 0.2], [-0.5, 0.9]]
    y = [1.0, -1.0, 1.0]
    out, _ = loss_of(model, X, y, loss, l2=1e-2)
    model.zero_grad()
    out.backward()
    params = model.parameters()
    numeric = numerical_grads(lambda: loss_of(model, X, y, loss, 1e-2)[0], params)
    assert [p.grad for p in params] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def test_losses_have_their_textbook_values():
    model = make_mlp((2,), ("relu",), seed=0)
    for p in model.parameters():
        p.data = 0.0
    model.layers[-1].neurons[0].b.data = 0.5  # every score is 0.5
    X, y = [[1.0, 2.0], [3.0, 4.0]], [1.0, -1.0]
    assert loss_of(model, X, y, "max_margin", 0)[0].data == pytest.approx((0.5 + 1.5) / 2)
    assert loss_of(model, X, y, "mse", 0)[0].data == pytest.approx((0.25 + 2.25) / 2)
    bce = (np.log1p(np.exp(-0.5)) + np.log1p(np.exp(0.5))) / 2
    assert loss_of(model, X, y, "bce", 0)[0].data == pytest.approx(bce)
    with pytest.raises(ValueError):
        loss_of(model, X, y, "hinge2", 0)


def test_numpy_scores_equal_the_value_forward_pass():
    model = MLP(2, [5, 4, 1], ["tanh", "sigmoid", "linear"], rng=random.Random(7))
    X = np.array([[0.1, 0.2], [-1.0, 0.5], [2.0, -3.0]])
    values = [model([Value(a), Value(b)]).data for a, b in X]
    assert scores_numpy(_arrays(model), model.activations, X) == pytest.approx(values)
    relu = make_mlp((3,), ("relu",), seed=1)
    assert scores_numpy(relu.state_dict(), relu.activations, X) == pytest.approx(
        [s.data for s in relu.forward(X)[0]])


def _arrays(mlp):
    return {k: v for k, layer in enumerate(mlp.layers) for k, v in
            ((f"W{k}", np.array([[w.data for w in n.w] for n in layer.neurons])),
             (f"b{k}", np.array([n.b.data for n in layer.neurons])))}


def test_decision_grid_and_snapshot():
    X, y = make_dataset("circles", 40, 0.05, seed=0)
    bounds = plot_bounds(X)
    assert bounds[1] - bounds[0] == pytest.approx(bounds[3] - bounds[2])  # square
    assert bounds[0] < X[:, 0].min() and bounds[3] > X[:, 1].max()
    model = make_mlp((4,), ("tanh",), seed=0)
    report = next(train(model, PlaneData(X, y), AutogradTrainConfig(steps=10)))
    snap = snapshot(report, bounds, resolution=20).payload
    assert snap.grid.shape == (20, 20) and not hasattr(snap, "model")
    corner = scores_numpy(snap.weights, model.activations, [[bounds[0], bounds[3]]])[0]
    assert snap.grid[-1, 0] == pytest.approx(corner)  # row = y, column = x
    grid = decision_grid(snap.weights, model.activations, model.features, bounds, 5)
    assert grid.shape == (5, 5)
    model.layers[0].neurons[0].w[0].data += 1.0  # the snapshot is a copy, not the live model
    assert snap.weights["W0"][0, 0] != model.layers[0].neurons[0].w[0].data


def test_learning_rate_schedule_and_accuracy():
    config = AutogradTrainConfig(lr=1.0, steps=100)  # micrograd's demo: linear to a tenth
    assert config.lr_at(0) == 1.0
    assert config.lr_at(50) == pytest.approx(0.55)
    assert config.lr_at(500) == pytest.approx(0.1)
    assert AutogradTrainConfig(lr=0.3, schedule="constant").lr_at(90) == 0.3
    assert accuracy([0.5, -0.1, 2.0], [1, 1, 1]) == pytest.approx(2 / 3)


def test_minibatches_are_reproducible():
    X, y = make_dataset("xor", 50, 0.1, seed=0)
    runs = []
    for _ in range(2):
        model = make_mlp((4,), ("tanh",), seed=0)
        gen = train(model, PlaneData(X, y), AutogradTrainConfig(batch_size=8, seed=5))
        runs.append([next(gen).loss for _ in range(3)])
    assert runs[0] == runs[1]


def test_train_refuses_empty_data_and_bad_models():
    with pytest.raises(ValueError, match="no data"):
        next(train(make_mlp((2,), ("tanh",)), PlaneData(np.zeros((0, 2)), np.zeros(0)),
                   AutogradTrainConfig()))
    with pytest.raises(ValueError):
        make_mlp((100,), ("tanh",))
    with pytest.raises(ValueError):
        make_mlp((4, 4), ("tanh",))


def test_save_and_load_weights(tmp_path):
    model = make_mlp((3, 2), ("tanh", "sigmoid"), seed=9)
    path = checkpoint.save_model(tmp_path / "mlp.npz", model, {"dataset": "moons"})
    loaded = checkpoint.load_model(path, PlaneMLP)
    assert loaded.meta == {"dataset": "moons"}
    got = loaded.model
    assert got.sizes == [2, 3, 2, 1] and got.activations == ["tanh", "sigmoid", "linear"]
    assert got.mlp([0.3, -0.2]).data == model.mlp([0.3, -0.2]).data


def test_files_of_the_old_save_mlp_still_load(tmp_path):
    """save_mlp wrote kind "autograd-mlp", W{k}/b{k} and a config of sizes and activations only."""
    old = MLP(2, [4, 1], ["tanh", "linear"], rng=random.Random(3))
    arrays = _arrays(old)
    path = checkpoint.save(tmp_path / "old.npz", "autograd-mlp", arrays,
                           {"sizes": [2, 4, 1], "activations": ["tanh", "linear"]},
                           {"dataset": "circles", "steps": 100})
    loaded = checkpoint.load_model(path)  # found by its kind
    assert isinstance(loaded.model, PlaneMLP) and loaded.model.features == ("x1", "x2")
    assert loaded.model.task == "classify" and loaded.meta["steps"] == 100
    X = np.array([[0.1, 0.2], [-1.0, 0.5]])
    assert [s.data for s in loaded.model.forward(X)[0]] == [old(list(x)).data for x in X]


def test_foreign_files_give_a_clear_message(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(checkpoint.CheckpointError, match=r"junk\.npz"):
        load_mlp(junk)
    other = checkpoint.save(tmp_path / "other.npz", "mnist-mlp", {"W": np.zeros(2)})
    with pytest.raises(checkpoint.CheckpointError, match="mnist-mlp"):
        load_mlp(other)
    bad = checkpoint.save(tmp_path / "bad.npz", "autograd-mlp", {"W0": np.zeros((3, 2))},
                          {"sizes": [2, 3, 1], "activations": ["tanh", "linear"]})
    with pytest.raises(checkpoint.CheckpointError, match="does not fit"):
        load_mlp(bad)
    odd = checkpoint.save(tmp_path / "odd.npz", "autograd-mlp", {},
                          {"sizes": [2, 3, 1], "activations": ["swish", "linear"]})
    with pytest.raises(checkpoint.CheckpointError, match="damaged"):
        load_mlp(odd)


def test_boundary_segments_lie_on_the_zero_line():
    bounds = (-1.0, 1.0, -1.0, 1.0)
    xs = ys = np.linspace(-1, 1, 41)
    plane = xs[None, :] - 2 * ys[:, None] + 0.3  # (41, 41), row = y: linear, so exact
    segments = boundary_segments(plane, bounds)
    assert segments.shape[1:] == (2, 2) and len(segments) >= 20
    x, y = segments[..., 0], segments[..., 1]
    assert np.abs(x - 2 * y + 0.3).max() < 1e-12
    circle = xs[None, :] ** 2 + ys[:, None] ** 2 - 0.25
    r = np.hypot(*np.moveaxis(boundary_segments(circle, bounds), -1, 0))
    assert np.abs(r - 0.5).max() < 0.01
    assert len(boundary_segments(np.ones((5, 5)), bounds)) == 0


def test_divergence_raises_and_keeps_the_last_finite_weights():
    X, y = make_dataset("plane", 20, 0.1, seed=1)
    model = PlaneMLP((4,), ("relu",), seed=1, task="regress")
    config = AutogradTrainConfig(loss="mse", lr=10.0, schedule="constant")
    last = None
    with pytest.raises(FloatingPointError, match="diverged at step"):
        for report in train(model, PlaneData(X, y), config):
            assert np.isfinite(report.loss)
            last = {k: v.copy() for k, v in model.state_dict().items()}
    assert last is not None
    state = model.state_dict()
    assert all(np.isfinite(a).all() for a in state.values())
    assert all(np.array_equal(state[k], last[k]) for k in state)  # the last good step's weights


def test_snapshot_bounds_may_follow_the_view():
    from models.autograd.train import Live

    X, y = make_dataset("moons", 20, 0.1, seed=1)
    model = PlaneMLP((3,), ("tanh",), seed=1)
    report = next(train(model, PlaneData(X, y), AutogradTrainConfig()))
    live = Live((-1, 1, -1, 1))
    live.set_bounds((-4, 5, -2, 3))
    view = snapshot(report, live.bounds, resolution=8).payload
    assert view.bounds == (-4.0, 5.0, -2.0, 3.0) and view.grid.shape == (8, 8)
