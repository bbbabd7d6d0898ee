"""The Attention tab, issues 19 and 20: each task keeps its own model, settings and curve; Train
continues a trained model and its curve; the labels follow training; a diverging run keeps the
last finite weights; a new alphabet asks before it drops a trained model; long text and large or
strange files never freeze the window; the head grid stays readable on a projector."""
import os
import re
import time

import numpy as np
import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication

from playground import theme
from playground import style as app_style
from playground.tabs.attention.grid import MIN_SIDE_EM

GREEK = "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta\niota\nkappa\n" * 3


@pytest.fixture
def tab(attention_tab):
    return attention_tab


def switch(tab, task):
    tab.task_box.setCurrentIndex(tab.task_box.findData(task))
    assert tab.wait_for_jobs()
    assert tab.lab.task == task


def use_tiny_model(tab):
    tab.set_model(tab.lab.new_model(n_layer=1, n_head=2, n_embd=16), [], "tiny")


def train_for(qtbot, tab, steps, **values):
    tab.train_form.set_values({"steps": steps, "eval_every": 10, "batch_size": 16, **values})
    with qtbot.waitSignal(tab.runner.finished, timeout=60000):
        tab.run_controls.start_button.click()
    tab.wait_for_jobs()


def test_each_task_keeps_its_own_settings(tab):
    """Issue 19: attention temperature 0.32 on names, then Sort: "its answer: aacfhh (wrong)" and
    "Sorted exactly right: 100% -> 12%". Sort opens as trained; names gets its 0.32 back."""
    names_model = tab.model
    tab.experiments.temperature.set_value(0.32)
    tab.generate.top_k.setValue(3)
    switch(tab, "sort")
    assert tab.experiments.settings() == (1.0, True) and tab.generate.top_k.value() == 0
    assert "(right)" in tab.text_status.text() and tab.ctx.answer == tab.ctx.expected
    assert "100%" in tab.experiments.effect.text() and "→" not in tab.experiments.effect.text()
    switch(tab, "names")
    assert tab.experiments.settings() == (0.32, True) and tab.generate.top_k.value() == 3
    assert tab.model is names_model and tab.text_edit.text() == "emm"


def test_switching_tasks_keeps_a_trained_model_and_the_plot_follows_the_task(tab, qtbot):
    use_tiny_model(tab)
    train_for(qtbot, tab, 20)
    trained, weights = tab.model, tab.model.state_dict()
    switch(tab, "sort")  # the Training plot takes the sort task's curve and axes
    assert tab.loss_plot.series("val")[0].tolist() == [0, 60, 300, 1200, 3000]
    assert tab.loss_plot.series("train")[0].size == 0
    assert tab.loss_plot.getPlotItem().viewRange()[0][1] < 5000
    switch(tab, "names")
    assert tab.model is trained and tab.record.step == 20 and tab.unsaved
    np.testing.assert_array_equal(tab.model.state_dict()["head.W"], weights["head.W"])
    assert tab.loss_plot.series("train")[0][-1] == 20 and tab.loss_plot.getPlotItem().viewRange()[0][1] < 100


def test_train_on_the_shipped_model_continues_it_and_its_curve(tab, qtbot):
    assert tab.loss_plot.series("val")[0].tolist() == [0, 1200, 6000, 24000, 58500]  # shipped, complete
    assert tab.loss_plot._test_line is not None and "test 1.938" in tab.loss_plot._test_line.label.format
    assert "continues from step 58,500 at lr 1.0e-04" in tab.side.plan_label.text()
    tab.train_form.set_values({"batch_size": 16, "eval_every": 200})
    with qtbot.waitSignal(tab.runner.finished, timeout=60000):
        tab.run_controls.step_button.click()
    tab.wait_for_jobs()
    assert tab.record.step == 58_501 and tab.loss_plot.series("train")[0].tolist() == [58_501]
    xs, ys = tab.loss_plot.series("val")
    assert xs[-2:].tolist() == [58_500, 58_501] and abs(ys[-1] - ys[-2]) < 0.01  # joined, no false segment
    assert tab.loss_plot._test_line is None  # the test loss was of the weights before
    status = tab.weights.status_label.text()
    assert "shipped weights after 58,500 steps" in status and "then 1 step here: now step 58,501" in status
    assert "continues from step 58,501" in tab.side.plan_label.text()
    tab.side.continue_box.setChecked(False)
    assert "a new schedule: warm-up to lr" in tab.side.plan_label.text()


def test_the_labels_follow_the_weights_while_they_train(tab, qtbot):
    use_tiny_model(tab)
    tab.wait_for_jobs()
    tab.train_form.set_values({"steps": 100_000, "eval_every": 10, "batch_size": 8})
    tab.run_controls.start_button.click()
    try:
        qtbot.waitUntil(lambda: "(training…)" in tab.weights.status_label.text(), timeout=20000)
        assert re.search(r"then [\d,]+ steps? here: now step [\d,]+", tab.weights.status_label.text())

        def scored_step():
            found = re.search(r"\(step ([\d,]+)\)", tab.experiments.effect.text())
            return int(found.group(1).replace(",", "")) if found else 0
        qtbot.waitUntil(lambda: scored_step() >= 10, timeout=30000)  # "as trained" of the new weights
    finally:
        with qtbot.waitSignal(tab.runner.finished, timeout=20000):
            tab.run_controls.stop_button.click()
    assert "training…" not in tab.weights.status_label.text()


def test_saving_and_loading_keep_the_record(tab, qtbot, tmp_path):
    use_tiny_model(tab)
    train_for(qtbot, tab, 20)
    path = tmp_path / "mine.npz"
    tab.save_weights(path)
    assert tab.wait_for_jobs() and path.exists() and not tab.unsaved
    tab.opening.open_shipped()
    tab.wait_for_jobs()
    tab.load_weights(path)
    tab.wait_for_jobs()
    assert tab.model.config.n_layer == 1 and tab.record.step == 20
    assert tab.loss_plot.series("train")[0][-1] == 20 and tab.loss_plot.series("val")[0][-1] == 20
    assert "continues from step 20" in tab.side.plan_label.text()


def test_a_diverging_run_keeps_the_last_finite_weights(tab, qtbot):
    use_tiny_model(tab)
    tab.model.param("head.W")[...] = 3e38  # the next loss overflows
    before = tab.model.state_dict()
    errors = []
    tab.error_raised.connect(errors.append)
    tab.train_form.set_values({"steps": 50, "eval_every": 10, "batch_size": 8})
    with qtbot.waitSignal(tab.runner.finished, timeout=20000):
        tab.run_controls.start_button.click()
    assert errors and "diverged at step 1" in errors[0]
    for name, value in tab.model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    assert tab.run_controls.start_button.isEnabled() and tab.record.step == 0


def test_a_new_alphabet_asks_before_it_drops_a_trained_model(tab, qtbot, tmp_path, monkeypatch):
    use_tiny_model(tab)
    train_for(qtbot, tab, 5)
    trained, itos = tab.model, tab.lab.itos
    asked = []
    monkeypatch.setattr(tab, "confirm", lambda question: asked.append(question) or False)
    path = tmp_path / "greek.txt"
    path.write_text(GREEK)
    tab.open_file(str(path))
    tab.wait_for_jobs()
    assert asked and "not saved" in asked[0] and tab.model is trained and tab.lab.itos == itos
    monkeypatch.setattr(tab, "confirm", lambda question: True)
    tab.open_file(str(path))
    tab.wait_for_jobs()
    assert tab.model is not trained and tab.lab.itos == tuple(".abdeghiklmnopstz")
    assert "new random weights" in tab.weights.status_label.text()


def test_a_word_list_of_the_same_alphabet_keeps_the_trained_model(tab, qtbot, tmp_path):
    use_tiny_model(tab)
    train_for(qtbot, tab, 5)
    trained = tab.model
    path = tmp_path / "few.txt"
    path.write_text("\n".join(tab.words[:500]))
    tab.open_file(str(path))
    tab.wait_for_jobs()
    assert tab.model is trained and tab.unsaved and tab.record.step == 5 and "500 words" in tab.source_label.text()


def test_the_text_box_is_capped_and_typing_redraws_after_a_pause(tab, qtbot, monkeypatch):
    assert tab.text_edit.maxLength() == 48
    tab.text_edit.setText("x" * 1000)
    assert len(tab.text_edit.text()) == 48
    tab.wait_for_jobs()
    drawn = []
    show = tab.heads.show_maps
    monkeypatch.setattr(tab.heads, "show_maps", lambda *a: drawn.append(a[1]) or show(*a))
    tab.text_edit.clear()
    tab.wait_for_jobs()
    drawn.clear()
    qtbot.keyClicks(tab.text_edit, "annabelle")  # faster than the debounce
    tab.wait_for_jobs()
    assert 1 <= len(drawn) <= 3 and drawn[-1] == list(".annabelle")


def test_a_fifo_is_refused_at_once(tab, qtbot, tmp_path):
    fifo = tmp_path / "names.txt"
    os.mkfifo(fifo)
    with qtbot.waitSignal(tab.error_raised, timeout=5000) as blocker:
        tab.open_file(str(fifo))
    assert "not a regular file" in blocker.args[0]
    assert tab.wait_for_jobs(5) and tab.lab.task == "names"


def test_a_huge_word_list_loads_without_freezing_the_window(tab, tmp_path):
    rng = np.random.default_rng(0)
    codes, lengths = rng.integers(97, 123, (450_000, 8)).astype(np.uint8), rng.integers(3, 9, 450_000)
    words = [bytes(row[:n]).decode() for row, n in zip(codes, lengths)]  # a-z, 3 to 8 letters
    path = tmp_path / "huge.txt"
    path.write_text("\n".join(words))
    gaps, clock = [], QElapsedTimer()
    clock.start()

    def tick():
        gaps.append(clock.restart())
    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    started = time.monotonic()
    tab.open_file(str(path))
    assert tab.wait_for_jobs(120)
    timer.stop()
    assert "450,000 words" in tab.source_label.text() and time.monotonic() - started < 120
    assert max(gaps) < 1000, f"the window froze for {max(gaps)} ms"


def test_the_head_grid_stays_readable_on_a_projector(tab, qtbot):
    theme.apply(app_style.Style(presentation=True))
    tab.resize(1000, 700)
    QApplication.processEvents()
    grid = tab.heads.grid
    grid.resize(560, 300)  # what a 1024x768 projector leaves it
    grid.repaint()
    assert grid.one_layer and len(grid._rects) == tab.model.config.n_head
    assert min(r.width() for r in grid._rects.values()) >= MIN_SIDE_EM * app_style.current().font_px - 1
    button = grid._layer_buttons[1]
    qtbot.mouseClick(grid, Qt.LeftButton, pos=button.center().toPoint())
    assert tab.layer == 1 and "Layer 2" in tab.heads.big._title
    grid.resize(1400, 1100)
    grid.repaint()
    assert not grid.one_layer and len(grid._rects) == 16
