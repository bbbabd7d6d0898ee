"""Issue 16 in the Names MLP tab: the lecture-experiment buttons, the deep stack's per-layer
health and weight pages, the learning-rate finder (progress, cancel, suggestion), top-k and
memorisation tags, responsiveness at depth 6, and a projector-sized window."""
import time

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from models.names.experiments import config_for
from playground.tabs.names.tab import NamesTab
from tests.gui.test_names_tab import change, settle


@pytest.fixture
def tab(open_tab, qtbot):
    tab = open_tab(NamesTab)
    settle(qtbot, tab)
    if tab.model_form.value("preset") != "mlp":
        change(qtbot, tab, preset="mlp")
    return tab


def press(qtbot, tab, key):
    with qtbot.waitSignal(tab.model_shown, timeout=30000):
        tab.side.experiment_buttons[key].click()
    settle(qtbot, tab)


def test_experiment_buttons_build_their_model_and_show_its_health(tab, qtbot):
    press(qtbot, tab, "wrong")
    assert tab.current_page() == "health" and tab.model_form.value("preset") == "custom"
    expected = config_for("wrong", tab.model.vocab.size)
    assert tab.model.config == expected and tab.model_form.value("out_scale") == "1"
    assert "confidently wrong" in tab.health.loss_label.text()
    assert tab.steps_done == 0
    press(qtbot, tab, "calm")
    assert "uniform guess, as it should be" in tab.health.loss_label.text()
    press(qtbot, tab, "saturated")
    assert tab.model.config.n_layers == 5 and tab.model.config.gain == 3.0
    qtbot.waitUntil(lambda: len(tab.health.act_plot.legend_texts()) == 5, timeout=10000)  # redraws are paced
    texts = tab.health.act_plot.legend_texts()
    assert len(texts) == 5 and all("% sat." in t for t in texts)
    assert min(int(t.split(": ")[1].split("%")[0]) for t in texts) >= 35
    assert tab.health.layer_box.count() == 5


def test_first_step_of_a_fresh_model_reads_out_its_loss(tab, qtbot):
    press(qtbot, tab, "wrong")
    with qtbot.waitSignal(tab.runner.finished, timeout=10000):
        tab.run_controls.step_button.click()
    settle(qtbot, tab)
    assert "Loss at step 0" in tab.health.loss_label.text() and "confidently wrong" in tab.health.loss_label.text()


def test_depth_6_shows_a_histogram_per_layer_and_weight_ratios(tab, qtbot):
    change(qtbot, tab, n_layers=6, batchnorm=True)
    assert tab.model.config.n_layers == 6 and tab.model_form.value("preset") == "custom"
    tab.show_page("health")
    assert len(tab.health.act_plot.legend_texts()) == 6 and len(tab.health.grad_plot.legend_texts()) == 6
    assert [tab.health.layer_box.itemText(i) for i in range(6)] == [f"tanh {k}" for k in range(1, 7)]
    tab.train_form.set_values({"steps": 60})
    with qtbot.waitSignal(tab.runner.finished, timeout=30000):
        tab.run_controls.start_button.click()
    settle(qtbot, tab)
    tab.show_page("weights")
    legend = tab.weights_page.weight_plot.legend_texts()
    assert [t.split()[0] for t in legend] == ["C"] + [f"W{k}" for k in range(1, 8)]
    assert all(float(t.split(": ")[1]) > 0 for t in legend)  # grad:data of each matrix
    xs, ys = tab.weights_page.ratio_plot.series("W1")
    assert len(xs) >= 1 and xs[-1] == 60 and -6 < ys[-1] < 0


def test_health_page_stays_responsive_while_a_depth_6_net_trains(tab, qtbot):
    """The window never waits long for a deep net's diagnostics: the health page redraws at most
    five times a second, and the GUI thread's longest waits stay short."""
    change(qtbot, tab, n_layers=6, batchnorm=True)
    tab.show_page("health")
    draws = []
    original = tab.health.refresh
    tab.health.refresh = lambda: (draws.append(time.monotonic()), original())
    tab.train_form.set_values({"steps": 1_000_000})
    with qtbot.waitSignal(tab.runner.reported, timeout=10000):
        tab.run_controls.start_button.click()
    stalls, start = [], time.monotonic()
    while time.monotonic() - start < 3.0:
        t0 = time.perf_counter()
        QApplication.processEvents()
        stalls.append(time.perf_counter() - t0)
        time.sleep(0.002)
    with qtbot.waitSignal(tab.runner.finished, timeout=10000):
        tab.runner.stop()
    settle(qtbot, tab)
    stalls.sort()
    assert len(draws) >= 3, f"{len(draws)} redraws in 3 s: not live"
    assert len(draws) <= 3.0 / 0.2 + 3, f"{len(draws)} redraws in 3 s: not throttled"
    assert stalls[int(0.95 * len(stalls))] < 0.1, f"95th percentile GUI stall {stalls[int(0.95 * len(stalls))]:.3f} s"


def test_lr_finder_runs_in_the_background_with_progress_cancel_and_a_suggestion(tab, qtbot):
    change(qtbot, tab, n_layers=6, batchnorm=True)  # a slow sweep (seconds), to cancel mid-way
    tab.show_page("lr")
    page = tab.lr_page
    with qtbot.waitSignal(tab.finder.reported, timeout=10000):
        page.find_button.click()
    assert not page.find_button.isEnabled() and page.cancel_button.isEnabled()
    with qtbot.waitSignal(tab.finder.finished, timeout=10000):
        page.cancel_button.click()
    assert "Cancelled" in page.result_label.text() and page.find_button.isEnabled()
    assert 0 < page.progress.value() < 1000
    change(qtbot, tab, preset="mlp")  # the lecture's model, for the suggestion
    before = {k: v.copy() for k, v in tab.model.state_dict().items()}
    with qtbot.waitSignal(tab.finder.finished, timeout=60000):
        page.find_button.click()
    sweep = page.sweep
    assert sweep.done and page.progress.value() == 1000 and len(page.smooth_curve.getData()[0]) == 1000
    assert 0.03 <= sweep.suggestion <= 0.3 and page.lowest_line.isVisible() and page.steepest_line.isVisible()
    assert f"{sweep.suggestion:.3g}" in page.result_label.text()
    page.use_lowest.click()
    assert tab.train_form.value("lr") == pytest.approx(sweep.suggestion, abs=1e-5)
    assert all(np.array_equal(before[k], v) for k, v in tab.model.state_dict().items())  # fresh weights swept


def test_samples_are_tagged_and_top_k_narrows_them(tab, qtbot):
    names = tab.sampler.trained_list
    texts = [names.item(i).text() for i in range(names.count())]
    assert all(any(t.endswith(tag) for tag in ("in train", "in val", "in test", "new")) for t in texts)
    assert "New names:" in tab.sampler.new_label.text()
    tab.sampler.top_k_box.setValue(1)
    tab.sampler.sample_button.click()
    qtbot.waitUntil(lambda: not tab.busy(), timeout=10000)
    assert len(set(names.names())) == 1  # top-1: every name is the argmax path


def test_fits_a_projector_in_presentation_mode(main_window, qtbot):
    main_window.resize(1280, 720)
    main_window.presentation_action.trigger()
    tab = main_window.show_tab("names")
    settle(qtbot, tab)
    try:
        for page in tab.page_keys():
            tab.show_page(page)
            QApplication.processEvents()
            assert tab.minimumSizeHint().width() <= 1280, page
            # folded to its strip by the window (the figures need the width), or not squeezed
            assert tab.side.is_collapsed() or tab.side.width() >= tab.side.minimumSizeHint().width(), \
                f"{page} squeezes the side panel"
            assert tab.pages.currentWidget().minimumSizeHint().width() <= tab.pages.width(), page
    finally:
        main_window.presentation_action.trigger()
