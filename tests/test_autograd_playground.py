"""Issue 15 on the model side: feature inputs, neuron heatmaps, train/test split, regression,
L1, Gaussian blobs, live settings, and the Value-graph bridge."""
import numpy as np
import pytest

from models.autograd import features as feats
from models.autograd.bridge import NetworkPointGraph
from models.autograd.engine import Value, abs_total, numerical_grads
from models.autograd.model import PlaneMLP, loss_numpy
from models.autograd.plane import grid_points, neuron_grids
from models.autograd.toy_data import (CLASSIFICATION, REGRESSION, PlaneData, make_dataset, split,
                                      task_of)
from models.autograd.train import AutogradTrainConfig, Live, penalised, train
from models.core import checkpoint


def test_feature_inputs_change_the_first_layers_width():
    for chosen in (("x1",), ("x1", "x2"), ("x1", "x2", "x1x2", "sinx1", "sinx2"), tuple(feats.FEATURES)):
        model = PlaneMLP((4, 3), ("tanh", "relu"), features=chosen)
        assert model.sizes == [len(chosen), 4, 3, 1]
        assert model.state_dict()["W0"].shape == (4, len(chosen))
        assert model.state_dict()["W1"].shape == (3, 4)  # the rest does not change
    X = np.array([[0.5, -2.0]])
    got = feats.feature_matrix(X, feats.FEATURES)[0]
    assert got == pytest.approx([0.5, -2.0, 0.25, 4.0, -1.0, np.sin(0.5), np.sin(-2.0)])
    assert feats.parse("x1x2, x1") == ("x1", "x1x2")  # one order everywhere
    for bad in ("", "x3", "x1,cos"):
        with pytest.raises(ValueError):
            feats.parse(bad)


def test_neuron_heatmaps_equal_a_direct_evaluation_of_each_neuron():
    model = PlaneMLP((3, 2), ("tanh", "relu"), seed=4, features=("x1", "x2", "x1x2", "sinx2"))
    bounds, R = (-1.5, 2.0, -1.0, 1.5), 7
    grids = neuron_grids(model.state_dict(), model.activations, model.features, bounds, R)
    assert [g.shape for g in grids] == [(4, R, R), (3, R, R), (2, R, R), (1, R, R)]
    points = grid_points(bounds, R)
    rng = np.random.default_rng(0)
    for n in rng.choice(len(points), 8, replace=False):  # a few grid points, the Value way
        x = feats.feature_matrix(points[n:n + 1], model.features)[0]
        h = [Value(v) for v in x]
        r, c = divmod(int(n), R)
        assert [g[r, c] for g in grids[0]] == pytest.approx(list(x))
        for k, layer in enumerate(model.layers, 1):
            h = [neuron(h) for neuron in layer.neurons]
            assert [g[r, c] for g in grids[k]] == pytest.approx([v.data for v in h], abs=1e-12)
    x0, x1, y0, y1 = bounds
    assert points[0] == pytest.approx([x0, y0]) and points[R - 1] == pytest.approx([x1, y0])
    assert points[-1] == pytest.approx([x1, y1])  # row = y, column = x


def test_the_split_holds_out_points_and_keeps_order():
    X, y = make_dataset("spiral", 101, 0.1, seed=2)
    d = split(X, y, 0.3, seed=2)
    assert len(d.y_test) == 30 and len(d.y) == 71
    seen = {tuple(p) for p in d.X}
    assert not seen & {tuple(p) for p in d.X_test}  # disjoint
    assert seen | {tuple(p) for p in d.X_test} == {tuple(p) for p in X}
    rows = [np.flatnonzero((X == p).all(1))[0] for p in d.X]
    assert rows == sorted(rows)  # training points keep their order
    whole = split(X, y, 0.0)
    assert np.array_equal(whole.X, X) and len(whole.y_test) == 0
    assert len(split(X[:2], y[:2], 0.9).y) == 1  # at least one point to train on
    with pytest.raises(ValueError):
        split(X, y, 1.0)


def test_the_test_loss_is_computed_on_points_never_trained_on():
    X, y = make_dataset("moons", 60, 0.2, seed=3)
    d = split(X, y, 0.5, seed=3)
    other = PlaneData(d.X, d.y, d.X_test + 5.0, -d.y_test)  # same training set, other test set
    config = AutogradTrainConfig(eval_every=1, lr=0.5)
    runs = []
    for data in (d, other):
        model = PlaneMLP((4,), ("tanh",), seed=1)
        gen = train(model, data, config)
        reports = [next(gen) for _ in range(5)]
        runs.append((reports, model))
    (a, model_a), (b, model_b) = runs
    assert [r.loss for r in a] == [r.loss for r in b]  # the test points change nothing ...
    assert [r.val_loss for r in a] != [r.val_loss for r in b]  # ... but their own loss
    scores = [s.data for s in model_a.forward(d.X_test)[0]]
    assert a[-1].val_loss == pytest.approx(loss_numpy(scores, d.y_test, "max_margin"))
    assert a[-1].metrics["test_accuracy"] == pytest.approx(np.mean((np.array(scores) > 0) == (d.y_test > 0)))
    assert a[-1].metrics["train_loss"] < a[0].metrics["train_loss"]
    silent = next(train(PlaneMLP((2,), ("tanh",)), d, AutogradTrainConfig(eval_every=0)))
    assert silent.val_loss is None and "test_loss" not in silent.metrics


def test_regression_trains_to_a_low_mse_on_the_plane_set():
    assert task_of("plane") == "regress" and task_of("blobs") == "classify"
    X, y = make_dataset("plane", 100, 0.0, seed=1)
    assert np.abs(y).max() <= 1 and np.std(y) > 0.2
    d = split(X, y, 0.25, seed=1)
    model = PlaneMLP((4,), ("tanh",), seed=0, task="regress")
    config = AutogradTrainConfig(lr=0.3, schedule="constant", weight_decay=0.0, loss="max_margin",
                                 eval_every=50)
    first = None
    for report in train(model, d, config):
        first = first if first is not None else report.metrics["data_loss"]
        if report.step == 300:
            break
    assert "accuracy" not in report.metrics  # regression has no classes
    assert report.metrics["train_loss"] < 0.003 < first  # MSE, whatever `loss` says
    assert report.val_loss < 0.005


@pytest.mark.parametrize("name", CLASSIFICATION + REGRESSION)
def test_every_set_is_reproducible_and_bounded(name):
    X, y = make_dataset(name, 80, 0.2, seed=5)
    X2, y2 = make_dataset(name, 80, 0.2, seed=5)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    if name in REGRESSION:
        assert np.abs(y).max() <= 1
    else:
        assert set(np.unique(y)) == {-1.0, 1.0}


def test_gaussian_blobs_overlap_more_with_noise():
    for noise, lo, hi in ((0.0, 0.99, 1.0), (1.0, 0.55, 0.85)):
        X, y = make_dataset("blobs", 400, noise, seed=0)
        nearest = np.sign(X.sum(1))  # the best line between the blob centres
        assert lo <= np.mean(nearest == y) <= hi


def test_l1_penalty_gradient_and_the_sum_node():
    vals = [Value(0.5), Value(-2.0), Value(0.0)]
    out = abs_total(vals, 0.1)
    assert out.data == pytest.approx(0.25) and out.op == "sum|v|"
    out.backward()
    assert [v.grad for v in vals] == [0.1, -0.1, 0.0]  # sign, and 0 at 0
    model = PlaneMLP((3,), ("tanh",), seed=2, features=("x1", "x2", "x1sq"))
    X, y = np.array([[0.3, -0.4], [1.0, 0.2]]), [1.0, -1.0]
    config = AutogradTrainConfig(weight_decay=1e-2, l1=3e-2)

    def loss():
        return penalised(model, model.forward(X, y, "bce")[1], config)

    model.backward(loss())
    params = model.parameters()
    assert [p.grad for p in params] == pytest.approx(numerical_grads(loss, params), rel=1e-5, abs=1e-9)


def test_l1_drives_useless_weights_to_zero():
    X, y = make_dataset("blobs", 60, 0.1, seed=0)
    data = split(X, y)
    sizes = {}
    for l1 in (0.0, 0.05):
        model = PlaneMLP((6,), ("tanh",), seed=3, features=tuple(feats.FEATURES))
        gen = train(model, data, AutogradTrainConfig(lr=0.2, schedule="constant", l1=l1,
                                                     weight_decay=0.0))
        for _ in range(150):
            next(gen)
        sizes[l1] = np.abs(model.state_dict()["W0"]).sum()
    assert sizes[0.05] < 0.5 * sizes[0.0]


def test_live_settings_and_edits_reach_the_next_step():
    X, y = make_dataset("xor", 40, 0.1, seed=0)
    model = PlaneMLP((3,), ("tanh",), seed=0)
    live = Live()
    gen = train(model, split(X, y), AutogradTrainConfig(lr=0.5, schedule="constant"), live=live)
    assert next(gen).lr == 0.5
    live.set(lr=0.05, l1=0.01)
    live.edit("W0", (1, 0), 0.25)
    live.edit("b1", (0,), -0.5)
    before = model.state_dict()  # the edit is applied before the step, then the step moves it
    report = next(gen)
    assert report.lr == 0.05
    after = model.state_dict()
    assert after["W0"][1, 0] != before["W0"][1, 0] and abs(after["W0"][1, 0] - 0.25) < 0.05
    assert abs(after["b1"][0] + 0.5) < 0.05
    assert live.take() == {}  # what changed is taken once ...
    assert next(gen).lr == 0.05  # ... and stays in force
    with pytest.raises(ValueError, match="cannot change"):
        live.set(batch_size=3)


def test_live_changes_travel_from_one_copy_to_another():
    """The runner takes what the GUI changed from its Live and puts it into the child's copy."""
    gui, child = Live((-1, 1, -1, 1)), Live((-1, 1, -1, 1))
    assert not gui.take()  # nothing changed: falsy, nothing is sent
    gui.set(lr=0.3)
    gui.set(lr=0.1, weight_decay=0.0)
    gui.edit("W0", (0, 1), 2.0)
    gui.set_bounds((-2, 3, -1, 4))
    child.put(gui.take())
    assert not gui.take()
    assert child.bounds() == (-2.0, 3.0, -1.0, 4.0)  # the child's snapshots cover the new view
    gui.edit("b0", (1,), -1.0)
    child.put(gui.take())  # a second batch before the child took the first: both kept
    assert child.take() == {"values": {"lr": 0.1, "weight_decay": 0.0},
                            "edits": [("W0", (0, 1), 2.0), ("b0", (1,), -1.0)],
                            "bounds": (-2.0, 3.0, -1.0, 4.0)}
    assert child.take() == {} and child.bounds() == (-2.0, 3.0, -1.0, 4.0)


def test_the_bridge_graph_has_the_live_models_numbers():
    model = PlaneMLP((3, 2), ("tanh", "relu"), seed=1, features=("x1", "x2", "x1x2"))
    X, y = make_dataset("moons", 20, 0.1)
    gen = train(model, split(X, y), AutogradTrainConfig(lr=0.3))
    for _ in range(3):
        next(gen)
    point, label = X[4], y[4]
    graph = NetworkPointGraph(model.get_config(), model.state_dict(), point, label)
    graph.forward().backward()
    scores, loss = model.forward(point[None], [label])
    model.backward()
    assert graph.root.data == pytest.approx(loss.data, abs=1e-12)
    for k, layer in enumerate(model.layers, 1):
        for j, neuron in enumerate(layer.neurons, 1):
            for i, w in enumerate(neuron.w, 1):
                leaf = graph.leaves[f"w{k}.{j}.{i}"]
                assert leaf.data == w.data and leaf.grad == pytest.approx(w.grad, abs=1e-12)
            assert graph.leaves[f"b{k}.{j}"].grad == pytest.approx(neuron.b.grad, abs=1e-12)
    h = model.layer_outputs(point[None])
    one = NetworkPointGraph(model.get_config(), model.state_dict(), point, neuron=(2, 2))
    assert one.forward().data == pytest.approx(h[2][0, 1])
    assert "w2.1.1" not in one.leaves and "w2.2.3" in one.leaves  # only what reaches the root
    copy = one.clone()
    copy.leaves["x1"].data += 1.0
    assert copy.forward().data != one.root.data and one.leaves["x1"].data == point[0]
    with pytest.raises(ValueError):
        NetworkPointGraph(model.get_config(), model.state_dict(), point, neuron=(3, 2))
    with pytest.raises(ValueError, match="too many"):
        big = PlaneMLP((40, 40), ("tanh", "tanh"))
        NetworkPointGraph(big.get_config(), big.state_dict(), point, label)


def test_a_featured_regressor_round_trips_through_a_file(tmp_path):
    model = PlaneMLP((5,), ("sigmoid",), seed=2, features=("x2", "sinx1"), task="regress")
    path = checkpoint.save_model(tmp_path / "r.npz", model, {"dataset": "gaussians"})
    back = checkpoint.load_model(path, PlaneMLP).model
    assert back.features == ("x2", "sinx1") and back.task == "regress"
    X = np.random.default_rng(0).normal(size=(5, 2))
    assert [s.data for s in back.forward(X)[0]] == [s.data for s in model.forward(X)[0]]
