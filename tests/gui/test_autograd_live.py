"""Issue 12 on the tiny-MLP page: the run steps in a child process and its weights come back;
settings stay live; a hidden page draws nothing until it is shown; no switch-interval games."""
import sys

import numpy as np
import pytest

from playground import runner as runner_module
from playground.tabs.autograd.tab import AutogradTab


@pytest.fixture
def tab(open_tab):
    tab = open_tab(AutogradTab)
    tab.pages.setCurrentWidget(tab.train_page)
    tab.train_page.data_box.points.setValue(40)  # small data: quick steps
    return tab


def test_the_run_is_in_a_child_and_its_weights_and_grads_come_back(tab, qtbot):
    page = tab.train_page
    before = page.model.state_dict()
    interval = sys.getswitchinterval()
    last = []
    tab.runner.reported.connect(lambda r: last.append(r.payload))
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        assert page.start(max_steps=4)
        assert sys.getswitchinterval() == interval  # the GIL is not handed round faster
    if runner_module.can_fork() and runner_module.mode() == "process":  # the default on Linux
        assert tab.runner.last_how == "process"
    assert page.step == 4
    shown = last[-1]  # the last step's snapshot: what the child's model was when it ended
    after = page.model.state_dict()
    assert not np.array_equal(after["W0"], before["W0"])
    for name, value in shown.weights.items():
        assert np.array_equal(after[name], value), name
        assert np.array_equal(page.model.grad_dict()[name], shown.grads[name]), name
    assert np.array_equal(page.view_.weights["W1"], after["W1"])  # the idle view is the model's


def test_a_stopped_run_continues_where_it_stood(tab, qtbot):
    page = tab.train_page
    page.run_controls.start_button.click()
    qtbot.waitUntil(lambda: len(page.loss_plot.series("train")[0]) >= 3, timeout=30000)
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        tab.runner.stop()
    first, trained = page.step, page.model.state_dict()
    assert first >= 3
    seen = []
    tab.runner.reported.connect(lambda r: seen.append(r))
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        page.start(max_steps=1)
    assert seen[-1].step == first + 1  # one more step, on the weights that came back
    moved = page.model.state_dict()["W0"] - trained["W0"]
    assert 0 < np.abs(moved).max() < 0.5  # one small step from there, not from the start


def test_a_hidden_page_keeps_the_last_report_and_draws_it_when_shown(tab, qtbot):
    page = tab.train_page
    cell = page.network_view.cells[("n", 1, 0)]
    drawn_grid, drawn_image = page.plane.grid, cell.image
    tab.pages.setCurrentWidget(tab.graph_page)
    assert not page.isVisible()
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        page.start(max_steps=3)
    assert page.step == 3 and page.view_ is not None
    assert page.plane.grid is drawn_grid and cell.image is drawn_image  # nothing drawn unseen
    tab.pages.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.plane.grid is not drawn_grid, timeout=5000)
    assert np.array_equal(page.plane.grid, page.view_.grid)
    assert cell.image is not drawn_image


def test_an_edited_weight_reaches_the_child_while_it_trains(tab, qtbot):
    page = tab.train_page
    page.training.lr.setValue(0.001)  # tiny steps: the edit stays visible in the weights
    page.training.decay.setChecked(False)
    page.training.reg.setCurrentIndex(0)
    page.run_controls.start_button.click()
    try:
        qtbot.waitUntil(lambda: len(page.loss_plot.series("train")[0]) >= 2, timeout=30000)
        page._on_weight_clicked("W1", (2, 3))
        page.inspect.edit.setText("1.75")
        page.inspect.edit.returnPressed.emit()
        shown = []
        tab.runner.reported.connect(lambda r: shown.append(r.payload.weights["W1"][2, 3]))
        qtbot.waitUntil(lambda: bool(shown) and abs(shown[-1] - 1.75) < 0.01, timeout=30000)
    finally:
        with qtbot.waitSignal(tab.runner.finished, timeout=30000):
            tab.runner.stop()
    assert abs(page.model.state_dict()["W1"][2, 3] - 1.75) < 0.01  # and came back with the rest
