"""Issue 12, live while it learns: the slow-slot switch, and views that stay within a live
frame's budget (hidden heatmaps wait until shown, unchanged parts are not redrawn, long loss
curves are drawn at screen resolution). The runner's pacing is in test_runner.py; the whole app
is measured by tests/benchmarks/bench_gui.py."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QTabWidget, QWidget

from playground import debug
from playground.widgets.heatmap import Heatmap
from playground.widgets.loss_plot import LossPlot

REPO = Path(__file__).resolve().parents[2]

SLOW_APP = textwrap.dedent("""
    import time
    from PySide6.QtCore import QTimer
    from playground.app import application

    app = application()
    print(type(app).__name__, flush=True)

    def sluggish_slot():
        time.sleep(0.08)

    QTimer.singleShot(0, sluggish_slot)
    QTimer.singleShot(300, app.quit)
    app.exec()
""")


def run_app(env_value):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    env.pop(debug.ENV, None)
    if env_value is not None:
        env[debug.ENV] = env_value
    return subprocess.run([sys.executable, "-c", SLOW_APP], env=env, capture_output=True, text=True,
                          timeout=60, cwd=REPO)


def test_the_slow_slot_switch_names_the_slot_that_kept_the_gui_busy():
    out = run_app("30")
    assert out.stdout.split() == ["TimingApplication"]
    lines = [line for line in out.stderr.splitlines() if line.startswith("slow slot")]
    assert lines, out.stderr
    ms = float(lines[0].split()[2])
    assert 70 <= ms < 1000
    assert "MetaCall" in lines[0] and "sluggish_slot" in lines[0]  # the event, and the function in it


def test_without_the_switch_the_app_is_a_plain_qapplication_and_logs_nothing():
    out = run_app(None)
    assert out.stdout.split() == ["QApplication"]
    assert "slow slot" not in out.stderr
    assert debug.application_class() is QApplication or os.environ.get(debug.ENV)


@pytest.mark.parametrize("text, expected", [("16", 16.0), (" 40 ", 40.0), ("", None), ("no", None), ("0", None)])
def test_the_switch_reads_a_positive_number_of_milliseconds(monkeypatch, text, expected):
    monkeypatch.setenv(debug.ENV, text)
    assert debug.threshold_ms() == expected


def pages(qtbot, *widgets):
    """Widgets as pages of a shown QTabWidget, the first one showing."""
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    for i, w in enumerate(widgets):
        tabs.addTab(w, f"page {i}")
    tabs.resize(700, 500)
    tabs.show()
    QApplication.processEvents()
    return tabs


def test_a_hidden_heatmap_remembers_the_matrix_and_draws_it_when_shown(qtbot):
    heat = Heatmap(title="hidden")
    tabs = pages(qtbot, QWidget(), heat)
    values = np.arange(6.0).reshape(2, 3)
    heat.set_matrix(values, ["a", "b"], ["x", "y", "z"], cell_text=values.astype(int))
    assert np.array_equal(heat.values, values)  # the data is there at once
    assert heat.image.image is None and not heat._texts  # but nothing was drawn for a hidden page
    tabs.setCurrentIndex(1)
    QApplication.processEvents()
    assert np.array_equal(heat.image.image, values)
    assert [t.textItem.toPlainText() for t in heat._texts] == ["0", "1", "2", "3", "4", "5"]
    assert heat.plot.getAxis("bottom")._tickLevels[0] == [(0, "x"), (1, "y"), (2, "z")]


def test_a_heatmap_touches_only_the_cell_texts_and_ticks_that_changed(qtbot, monkeypatch):
    heat = Heatmap()
    tabs = pages(qtbot, heat)  # the pages own the heatmap: keep them
    assert tabs.currentWidget() is heat
    values = np.arange(9.0).reshape(3, 3)
    labels = list("abc")
    heat.set_matrix(values, labels, labels, cell_text=values.astype(int))
    calls = {"text": 0, "ticks": 0}
    for t in heat._texts:
        original = t.setText
        monkeypatch.setattr(t, "setText", lambda *a, _o=original, **k: (calls.__setitem__("text", calls["text"] + 1), _o(*a, **k)))
    axis = heat.plot.getAxis("left")
    original_ticks = axis.setTicks
    monkeypatch.setattr(axis, "setTicks", lambda *a: (calls.__setitem__("ticks", calls["ticks"] + 1), original_ticks(*a)))
    again = values.copy()
    again[1, 1] = 40.0  # one cell's number changes (and with the new top, the colours' scale)
    heat.set_matrix(again, labels, labels, cell_text=again.astype(int))
    assert calls["ticks"] == 0  # the same labels: the axis is not laid out again
    assert 1 <= calls["text"] < 9  # the changed number (and cells whose text colour flipped), not all nine
    assert heat._texts[4].textItem.toPlainText() == "40"


def test_a_long_noisy_loss_curve_is_drawn_at_screen_resolution_but_kept_whole(qtbot):
    plot = LossPlot(smoothing=0.0)
    qtbot.addWidget(plot)
    plot.resize(800, 500)
    plot.show()
    n = 50_000
    rng = np.random.default_rng(0)
    plot.set_series("train", np.arange(n), 2 + rng.standard_normal(n) * 0.1)
    for i in range(10):
        plot.add_point("train", n + i, 2.0)
    QApplication.processEvents()
    xs, ys = plot.series("train")
    assert len(xs) == n + 10 and ys[-1] == 2.0  # every point is kept (CSV export, lessons)
    with pytest.raises(ValueError):
        xs[0] = 1.0  # read-only views of the plot's own arrays
    drawn = plot._curves["train"].curve.getData()[0]
    assert len(drawn) <= 2 * plot.width() + 20  # min and max per pixel column, not 50,000 points
    assert plot._curves["train"].curve.opts["segmentedLineMode"] == "on"
