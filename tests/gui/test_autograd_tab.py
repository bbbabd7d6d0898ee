"""The Autograd tab offscreen: presets drawn and stepped, errors inline, node editing, the check,
training a few steps in the runner, clicked points, weights saved and loaded."""
import numpy as np
import pytest
from PySide6.QtCore import Qt

from models.autograd.expression import MLP_PRESET
from playground.tabs.autograd.tab import AutogradTab


@pytest.fixture
def tab(open_tab):
    return open_tab(AutogradTab)


def leaf(page, name):
    return page.graph.leaves[name]


def test_lecture_neuron_stepped_node_by_node(tab):
    page = tab.graph_page
    assert page.preset.currentText() == "Single neuron (lecture)"
    assert len(page.view.values) == 10
    assert page.view.nodes  # drawn
    assert page.graph.root.data == pytest.approx(0.7071, abs=1e-4)
    assert page.backward_step()
    assert "= <b>1</b>" in page.chain_label.text()  # the output's own grad
    while page.backward_step():
        pass
    grads = {n: leaf(page, n).grad for n in ("x1", "x2", "w1", "w2", "b")}
    assert grads == pytest.approx({"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5})
    assert page.step_count == 10
    assert not page.backward_step()  # done: nothing more until Forward or Zero grad
    page.zero_grad()
    assert all(v.grad == 0.0 for v in page.view.values)
    page.backward_all()
    assert leaf(page, "x1").grad == pytest.approx(-1.5)
    page.forward()
    page.backward_all()  # a second pass without zero_grad: the inputs' grads accumulate
    assert leaf(page, "x1").grad == pytest.approx(-3.0)


def test_chain_rule_panel_shows_the_product(tab):
    page = tab.graph_page
    page.load_preset("Worked example (x = 2)")
    while "the grad of z2<" not in page.chain_label.text():  # via y - z2 = y + z2 * -1
        assert page.backward_step()
    text = page.chain_label.text()
    assert "grad of z2" in text and "(-1.0000) × (6.0000)" in text and "-6.0000" in text
    assert "(z2 * -1)" in text
    z2 = next(v for v in page.view.values if v.label == "z2")
    assert page.view.nodes[("v", page.view.values.index(z2))].role == "current"


def test_check_shows_finite_differences_of_the_leaves(tab, qtbot):
    page = tab.graph_page
    page.load_preset("micrograd README")
    page.backward_all()
    page.check_box.setChecked(True)  # the check runs in a job
    a = page.view.values.index(leaf(page, "a"))
    qtbot.waitUntil(lambda: a in page.view.numeric, timeout=5000)
    assert page.view.numeric[a] == pytest.approx(138.8338, abs=1e-3)
    assert page.view.nodes[("v", a)].shown[-1].startswith("num 138.83")
    page.check_box.setChecked(False)
    assert page.view.numeric == {}


def test_bad_text_gives_an_inline_error_and_keeps_the_graph(tab):
    page = tab.graph_page
    before = page.graph
    for text, fragment in (("import os", "imports are not allowed"),
                           ("a = 0\nb = 1 / a", "division by zero"),
                           ("a = 1\nb = a.__class__", "attribute access"),
                           ("x" * 10_000, "characters long")):
        page.editor.setPlainText(text)
        assert not page.build()
        assert fragment in page.error_label.text()
        assert page.graph is before
    page.editor.setPlainText("x = 3\ny = x * x")
    assert page.build() and page.error_label.text() == ""
    assert page.graph.root.data == 9.0


def test_click_a_leaf_edit_it_and_forward(tab, qtbot):
    page = tab.graph_page
    page.load_preset("Worked example (x = 2)")
    index = page.view.values.index(leaf(page, "x"))
    page.view.node_clicked.emit(index)
    assert "data" in page.node_label.text() and page.value_edit.isEnabled()
    page.value_edit.setText("1")
    qtbot.keyClick(page.value_edit, Qt.Key_Return)
    assert page.graph.root.data == 36.0  # (10 - (1*3 + 1))^2
    op_index = page.view.values.index(page.graph.root)
    page.view.node_clicked.emit(op_index)
    assert "made by" in page.node_label.text() and not page.value_edit.isEnabled()


def test_mlp_preset_is_laid_out_and_drawn(tab, qtbot):
    page = tab.graph_page
    with qtbot.waitSignal(page.graph_shown, timeout=10000):  # a big graph: laid out in a job
        page.load_preset(MLP_PRESET)
    assert len(page.view.nodes) > 300
    assert page.view.layout_.width > 0
    page.backward_all()
    assert page.graph.leaves["x1"].grad != 0.0


def test_train_page_step_and_run(tab, qtbot):
    page = tab.train_page
    page.data_box.points.setValue(40)  # small data: quick steps
    assert len(page.data().y) == 20  # half of them: the other half is test data
    with qtbot.waitSignal(tab.runner.finished, timeout=20000):
        page.run_controls.step_button.click()
    assert page.step == 1
    xs, ys = page.loss_plot.series("train")
    assert list(xs) == [1.0] and np.isfinite(ys).all()
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        page.run_controls.start_button.click()
        qtbot.waitUntil(lambda: len(page.loss_plot.series("train")[0]) >= 3, timeout=20000)
        tab.runner.stop()
    assert page.step >= 3
    assert "accuracy" in page.status.text()


def test_clicked_points_join_the_data(tab):
    page = tab.train_page
    n = len(page.data().y)
    page._on_plane_point_clicked(0.1, 0.2, False)
    page._on_plane_point_clicked(0.3, 0.4, True)  # shift: the other class
    data = page.data()
    assert len(data.y) == n + 2 and list(data.y[-2:]) == [-1.0, 1.0]
    assert data.X[-1] == pytest.approx([0.3, 0.4])
    page.data_box.clear_added.click()
    assert len(page.data().y) == n


def test_weights_save_load_and_foreign_files(tab, tmp_path, qtbot):
    page = tab.train_page
    path = tmp_path / "mlp.npz"
    page.save(str(path))  # a job
    qtbot.waitUntil(lambda: "Saved" in page.weights.status_label.text(), timeout=5000)
    first = page.model.parameters()[0].data
    page.network.init_seed.setValue(7)  # a new seed: new weights at once
    assert page.model.parameters()[0].data != first
    with qtbot.waitSignal(page.weights_loaded, timeout=5000):
        page.load(str(path))
    assert page.model.parameters()[0].data == first
    junk = tmp_path / "junk.npz"
    junk.write_text("hello")
    with qtbot.waitSignal(tab.error_raised, timeout=1000) as signal:
        tab.open_file(str(junk))
    assert "junk.npz" in signal.args[0]


def test_prepare_shot_and_export_targets(tab):
    tab.prepare_shot()
    assert tab.graph_page.step_count == 5 and tab.graph_page.check_box.isChecked()
    labels = [label for label, _ in tab.export_targets()]
    assert labels[0] == "graph"
