"""Issue 19 on the Autograd tab: clicking a box moves no control and the first typed value
lands; grads are never half fresh (a new input resets them all, Forward greys the old ones);
the tiny-MLP plane's field covers the whole view, a click at the view's edge adds a point, and
the controls stay live while training (the field follows the view mid-run)."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from models.autograd.plane import plot_bounds
from playground.tabs.autograd.tab import AutogradTab


@pytest.fixture
def tab(open_tab):
    return open_tab(AutogradTab)


def where(widget, tab):
    """The widget's rectangle in the tab's coordinates."""
    return widget.geometry().translated(widget.parentWidget().mapTo(tab, QPoint(0, 0)))


def click_box(qtbot, view, index):
    shape = view.nodes[("v", index)].shape
    pos = view.mapFromScene(shape.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=pos)


def test_clicking_a_box_moves_no_control_and_the_first_typed_value_lands(tab, qtbot):
    page = tab.graph_page
    tab.activateWindow()
    controls = [page.value_edit, page.check_box, *page.buttons.values()]
    before = [where(w, tab) for w in controls]
    x1 = page.view.values.index(page.graph.leaves["x1"])
    click_box(qtbot, page.view, x1)
    assert page.selected == x1 and "a leaf" in page.node_label.text()  # the box grew ...
    assert [where(w, tab) for w in controls] == before  # ... and nothing moved
    qtbot.waitUntil(page.value_edit.hasFocus, timeout=2000)
    qtbot.keyClicks(QApplication.focusWidget(), "3.5")  # typed straight away, where focus is
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Return)
    assert page.graph.leaves["x1"].data == 3.5
    for _ in range(4):
        page.backward_step()  # the chain-rule box grows and shrinks
    page.view.node_clicked.emit(page.view.values.index(page.graph.root))  # an op: no edit
    assert [where(w, tab) for w in controls] == before
    assert not page.value_edit.isEnabled()


def test_a_new_input_value_resets_every_grad_together(tab, qtbot):
    page = tab.graph_page
    page.backward_all()
    assert page.graph.leaves["x1"].grad == pytest.approx(-1.5)
    page.view.node_clicked.emit(page.view.values.index(page.graph.leaves["x1"]))
    page.value_edit.setText("3.5")
    qtbot.keyClick(page.value_edit, Qt.Key_Return)
    assert page.graph.leaves["x1"].data == 3.5
    assert all(v.grad == 0.0 for v in page.view.values)  # leaves and ops alike
    assert not page.stale and not any(n.stale for n in page.view.nodes.values())
    assert all(n.shown[n.grad_row] == "grad 0.0000" for k, n in page.view.nodes.items() if k[0] == "v")
    page.backward_all()  # fresh grads of the new point, not sums with the old one
    assert page.graph.leaves["w1"].grad == pytest.approx(3.5 * (1 - page.graph.root.data ** 2))


def test_forward_greys_the_inputs_old_grads_until_backward_refills_them(tab):
    page = tab.graph_page
    page.backward_all()
    page.forward()
    leaves = {n: page.graph.leaves[n] for n in ("x1", "x2", "w1", "w2", "b")}
    kept = {n for n, v in leaves.items() if v.grad != 0.0}
    assert kept == {"x1", "x2", "w1", "b"}  # w2's grad was 0
    assert all(v.grad == 0.0 for v in page.view.values if v.parents)  # the ops are new
    index = {v: i for i, v in enumerate(page.view.values)}
    stale = {k[1] for k, n in page.view.nodes.items() if n.stale}
    assert stale == {index[leaves[n]] for n in kept}  # exactly the old grads are marked
    page.view.node_clicked.emit(index[leaves["x1"]])
    assert "from the last backward pass" in page.node_label.text()
    page.backward_all()
    assert not any(n.stale for n in page.view.nodes.values())
    assert leaves["x1"].grad == pytest.approx(-3.0)  # they accumulated, as the lesson says


# -- the tiny-MLP page's plane -----------------------------------------------------------------------
def wide_plane(tab, qtbot):
    page = tab.train_page
    tab.pages.setCurrentWidget(page)
    tab.resize(1800, 700)  # a plot wider than tall: the view shows more x than the data's range
    with qtbot.waitSignal(page.plane.view_changed, timeout=3000, raising=False):
        pass
    qtbot.waitUntil(lambda: page.bounds == page.plane.visible_bounds(), timeout=3000)
    return page


def image_extent(plane):
    r = plane.image.mapRectToView(plane.image.boundingRect())
    return r.left(), r.right(), r.top(), r.bottom()


def test_the_field_covers_the_whole_view_and_a_click_at_its_edge_adds_a_point(tab, qtbot):
    page = wide_plane(tab, qtbot)
    x0, x1, y0, y1 = page.plane.visible_bounds()
    data = plot_bounds(page.data().X)
    assert x1 - x0 > (data[1] - data[0]) * 1.2  # the white bands of issue 19 would be here
    left, right, bottom, top = image_extent(page.plane)
    assert left <= x0 and right >= x1 and bottom <= y0 and top >= y1
    vb = page.plane.getPlotItem().vb
    rect = vb.sceneBoundingRect()
    n = len(page.data().y)
    for x in (rect.left() + 3, rect.right() - 3):  # just inside the view's left and right edges
        pos = page.plane.mapFromScene(QPointF(x, rect.center().y()))
        qtbot.mouseClick(page.plane.viewport(), Qt.LeftButton, pos=pos)
    added = page.data().X[n:]
    assert len(added) == 2
    assert added[0, 0] < data[0] and added[1, 0] > data[1]  # outside the data, inside the view


def test_controls_stay_live_while_training_and_the_field_follows_the_view(tab, qtbot):
    page = tab.train_page
    page.data_box.points.setValue(40)
    page.training.decay.setChecked(False)  # a constant rate: the status shows the one we set
    page = wide_plane(tab, qtbot)
    box, training = page.data_box, page.training
    live = [training.lr, training.rate, training.reg, training.batch, training.loss,
            training.decay, box.dataset, box.points, box.noise, box.test, box.seed,
            page.show_test, page.discretize, training.run_controls.stop_button]
    try:
        page.run_controls.start_button.click()
        qtbot.waitUntil(lambda: len(page.loss_plot.series("train")[0]) >= 2, timeout=20000)
        assert all(w.isEnabled() for w in live), [type(w).__name__ for w in live if not w.isEnabled()]
        training.lr.setValue(0.5)  # reaches the run
        qtbot.waitUntil(lambda: page.status.text().endswith("lr 0.5"), timeout=20000)
        tab.resize(1000, 900)  # now taller than wide: the view, and the field, change
        qtbot.waitUntil(lambda: page.view_.bounds == page.plane.visible_bounds(), timeout=20000)
        left, right, bottom, top = image_extent(page.plane)
        x0, x1, y0, y1 = page.plane.visible_bounds()
        assert left <= x0 and right >= x1 and bottom <= y0 and top >= y1
    finally:
        with qtbot.waitSignal(tab.runner.finished, timeout=20000):
            tab.runner.stop()
    assert np.isfinite(page.view_.grid).all()
