"""Issue 15 offscreen: the network view (features, neuron heatmaps, weighted lines), the test
curve, regression, live settings, lessons and links, and the bridge to the Graph page."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from models.autograd.model import PlaneMLP
from playground.tabs.autograd.link import read_link
from playground.tabs.autograd.tab import AutogradTab


@pytest.fixture
def tab(open_tab):
    tab = open_tab(AutogradTab)
    tab.pages.setCurrentWidget(tab.train_page)
    return tab


def run_steps(tab, qtbot, n):
    page = tab.train_page
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        page.start(max_steps=n)


def click_item(view, key):
    """Click the middle of the network view's item for `key` (a real mouse click)."""
    item = view.cells.get(key) or view.wires[key]
    if key[0] == "W":  # lines cross: a point along it where it is the topmost item
        points = [view.mapFromScene(item.path().pointAtPercent(t / 40)) for t in range(2, 39)]
        pos = next(p for p in points if view.itemAt(p) is item)
    else:
        pos = view.mapFromScene(item.mapToScene(item.boundingRect().center()))
    view.mousePressEvent(_press(view, pos))


def _press(view, pos: QPoint):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QMouseEvent

    return QMouseEvent(QMouseEvent.MouseButtonPress, QPointF(pos), QPointF(view.mapToGlobal(pos)),
                       Qt.LeftButton, Qt.LeftButton, Qt.NoModifier)


def test_the_network_is_drawn_with_a_line_per_weight(tab):
    page = tab.train_page
    view = page.network_view
    assert page.model.sizes == [2, 8, 8, 1]
    wires = [k for k in view.wires if k[0] == "W"]
    assert len(wires) == 2 * 8 + 8 * 8 + 8 * 1
    assert len([k for k in view.wires if k[0] == "b"]) == 8 + 8 + 1
    assert len(view.cells) == 7 + 8 + 8 + 1  # every feature, used or not
    W = page.view_.weights["W1"]
    j, i = np.unravel_index(np.abs(W).argmax(), W.shape)
    thick = view.wires[("W", 1, j, i)].pen()
    k, m = np.unravel_index(np.abs(W).argmin(), W.shape)
    thin = view.wires[("W", 1, k, m)].pen()
    assert thick.widthF() > thin.widthF()  # width is |w|
    signs = {view.wires[("W", 1, a, b)].pen().color().name() for a in range(8) for b in range(8)
             if W[a, b] > 0}
    assert len(signs) == 1  # one colour per sign ...
    neg = [(a, b) for a in range(8) for b in range(8) if W[a, b] < 0][0]
    assert view.wires[("W", 1, *neg)].pen().color().name() not in signs  # ... and another
    assert view.wires[("W", 1, *neg)].pen().style() == Qt.DashLine  # not colour alone


def test_clicking_a_feature_changes_the_first_layers_width(tab):
    page = tab.train_page
    view = page.network_view
    click_item(view, ("n", 0, 4))  # x1·x2
    assert page.model.features == ("x1", "x2", "x1x2")
    assert page.model.sizes[0] == 3 and page.model.state_dict()["W0"].shape == (8, 3)
    assert len([k for k in view.wires if k[:2] == ("W", 0)]) == 3 * 8
    click_item(view, ("n", 0, 0))  # x1 off
    assert page.model.features == ("x2", "x1x2")
    click_item(view, ("n", 0, 1))
    click_item(view, ("n", 0, 4))  # down to nothing is refused
    assert page.model.features == ("x1x2",)


def test_hovering_or_pinning_a_neuron_shows_its_heatmap_big(tab):
    page = tab.train_page
    view, plane = page.network_view, page.plane
    view.neuron_hovered.emit(2, 3)
    grid, title = plane.neuron
    assert "2.4" in title and np.array_equal(grid, page.view_.neurons[2][3])
    view.neuron_hovered.emit(-1, -1)
    assert plane.neuron is None  # back to the output
    click_item(view, ("n", 1, 0))
    assert page.pinned == (1, 0) and plane.neuron is not None
    view.neuron_hovered.emit(-1, -1)
    assert np.array_equal(plane.neuron[0], page.view_.neurons[1][0])  # pinned stays
    click_item(view, ("n", 1, 0))
    assert page.pinned is None and plane.neuron is None


def test_a_clicked_weight_shows_value_and_grad_and_takes_an_edit(tab, qtbot):
    page = tab.train_page
    run_steps(tab, qtbot, 2)
    click_item(page.network_view, ("W", 0, 2, 1))
    assert page.selected == ("W0", (2, 1))
    value = page.model.state_dict()["W0"][2, 1]
    grad = page.model.grad_dict()["W0"][2, 1]
    text = page.inspect.weight_label.text()
    assert "w1.3.2" in text and "from x₂" in text
    assert f"{value:+.4f}" in text and f"{grad:+.4g}" in text and grad != 0
    page.inspect.edit.setText("0.75")
    qtbot.keyClick(page.inspect.edit, Qt.Key_Return)
    assert page.model.layers[0].neurons[2].w[1].data == 0.75
    assert "+0.7500" in page.inspect.weight_label.text()
    click_item(page.network_view, ("b", 2, 0))  # the output's bias square
    assert page.selected == ("b2", (0,))


def test_training_draws_a_test_curve_beside_the_training_loss(tab, qtbot):
    page = tab.train_page
    page.data_box.points.setValue(40)
    run_steps(tab, qtbot, 4)
    xs, train = page.loss_plot.series("train")
    _, test = page.loss_plot.series("test")
    assert len(xs) >= 1 and len(test) == len(train)
    d = page.data()
    assert len(d.y) == 20 and len(d.y_test) == 20
    assert "test loss" in page.status.text()
    page.show_test.setChecked(False)
    assert len(page.plane.test_scatter[1].data) == 0
    page.show_test.setChecked(True)
    assert len(page.plane.test_scatter[1].data) + len(page.plane.test_scatter[-1].data) == 20


def test_regression_mode_and_discretize(tab, qtbot):
    page = tab.train_page
    page.data_box.problem.setCurrentIndex(1)
    assert page.data_box.name() == "plane" and page.model.task == "regress"
    assert not page.training.loss.isEnabled()
    assert len(page.plane.targets.data) == len(page.data().y)  # points coloured by target
    run_steps(tab, qtbot, 3)
    assert page.loss_plot.series("train")[1][-1] < 1.0
    page.discretize.setChecked(True)
    assert set(np.unique(page.plane.values)) <= {-1.0, 0.0, 1.0}
    assert len(np.unique(page.plane.image.image.reshape(-1, 4), axis=0)) <= 3  # 2 colours (+ 0)


def test_lr_and_regularisation_change_live_and_noise_restarts(tab, qtbot):
    page = tab.train_page
    page.data_box.points.setValue(40)
    page.training.decay.setChecked(False)
    seen = []
    tab.runner.reported.connect(lambda r: seen.append(r.lr))
    page.start()
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=20000)
    page.training.lr.setValue(0.25)
    page.training.reg.setCurrentIndex(1)  # L1
    qtbot.waitUntil(lambda: seen[-1] == 0.25, timeout=20000)
    before = page.data().X.copy()
    page.data_box.noise.setValue(6)  # new points: the run restarts where it stands
    qtbot.waitUntil(lambda: tab.runner.is_busy() and page.step > 0, timeout=20000)
    assert not np.array_equal(page.data().X, before)
    with qtbot.waitSignal(tab.runner.finished, timeout=20000):
        tab.runner.stop()
    assert page.config().l1 == page.training.rate.value() and page.config().weight_decay == 0


def test_a_link_sets_the_page_up_and_hides_controls(tab, qtbot):
    page = tab.train_page
    link = ("playground:autograd?dataset=spiral&features=x1,x2,x1x2,sinx1,sinx2&hidden=6,4"
            "&act=relu,tanh&test=0.3&hide=noise,batch,explain")
    page.lesson.link.setText(link)
    page.lesson.link.returnPressed.emit()
    assert page.data_box.name() == "spiral"
    assert page.model.sizes == [5, 6, 4, 1] and page.model.activations == ["relu", "tanh", "linear"]
    assert len(page.data().y_test) == round(200 * 0.3)
    assert not page.explain.isVisible() and not page.data_box.noise_row.isVisible()
    assert not page.training.batch.isVisible() and page.training.lr.isVisible()
    page._on_lesson_copy_requested()
    assert read_link(page.lesson.link.text()) == read_link(link)
    with qtbot.waitSignal(tab.error_raised, timeout=1000) as bad:
        page._on_lesson_apply_requested("playground:autograd?hidden=0")
    assert "hidden" in bad.args[0] or "layers" in bad.args[0]
    page.side.set_collapsed(True)  # the window's Hide controls (Ctrl+H) folds the whole panel
    assert not page.lesson.isVisible()


def test_the_bridge_opens_the_live_numbers_on_the_graph_page(tab, qtbot):
    page, graph_page = tab.train_page, tab.graph_page
    page.data_box.points.setValue(40)
    run_steps(tab, qtbot, 3)
    page.inspect.point.setValue(5)
    with qtbot.waitSignal(graph_page.graph_shown, timeout=20000):
        page.inspect.loss_button.click()
    assert tab.pages.currentWidget() is graph_page
    graph = graph_page.graph
    d = page.data()
    x, label = d.X[5], d.y[5]
    _, loss = page.model.forward(x[None], [label], page.config().loss)
    page.model.backward()
    assert graph.root.data == pytest.approx(loss.data, abs=1e-12)
    w = page.model.layers[0].neurons[3].w[1]
    leaf = graph.leaves["w1.4.2"]
    assert leaf.data == w.data and leaf.grad == pytest.approx(w.grad, abs=1e-12)
    shown = graph_page.view.values.index(leaf)
    assert graph_page.view.nodes[("v", shown)].shown[-1] == f"grad {_fmt(w.grad)}"
    assert "training point #5" in graph_page.editor.toPlainText()
    tab.pages.setCurrentWidget(page)
    page._on_neuron_clicked(2, 1)
    with qtbot.waitSignal(graph_page.graph_shown, timeout=20000):
        page.inspect.neuron_button.click()
    h = page.model.layer_outputs(x[None])[2][0, 1]
    assert graph_page.graph.root.data == pytest.approx(h)


def _fmt(x):
    from playground.tabs.autograd.graph_view import fmt
    return fmt(x)


def test_loaded_regressor_switches_the_problem(tab, tmp_path, qtbot):
    from models.core import checkpoint

    path = checkpoint.save_model(tmp_path / "r.npz", PlaneMLP((3,), ("tanh",), task="regress",
                                                              features=("x1", "x2sq")))
    page = tab.train_page
    with qtbot.waitSignal(page.weights_loaded, timeout=5000):
        page.load(str(path))
    assert page.data_box.task() == "regress" and page.model.features == ("x1", "x2sq")
    assert page.network.hidden.text() == "3"
