"""Lessons in the window: the script bar, a step pointing at its control, the menus, no lesson
while a tab trains, `playground FILE.playground`, `shot --lesson`, and the Journey view."""
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from playground.lessons import journey, menus, widget_state
from playground.lessons.fileformat import Step
from playground.lessons.journey_data import RUNGS, Figure
from tests.gui.test_lessons import TIMEOUT, new_window, open_lesson, settle, small_lesson  # noqa: F401 (a fixture)


def test_the_script_bar_walks_the_steps(qtbot, tmp_path, small_lesson):
    window = new_window(qtbot)
    assert open_lesson(qtbot, window, small_lesson) == []
    bar = window.lessons.bar
    assert bar.isVisible() and bar.index == 0 and bar.count_label.text() == "1 / 2"
    assert window.current_tab().name == "bigram" and window.current_tab().current_page() == "sample"
    assert not bar.back_action.isEnabled() and bar.next_action.isEnabled()
    bar.next_action.trigger()
    assert bar.index == 1 and window.current_tab().name == "autograd"
    assert "no control" in bar.problem  # a control this version lacks is said, not fatal
    bar.back()
    assert bar.index == 0 and window.current_tab().name == "bigram"
    qtbot.keyClick(window, Qt.Key_PageDown)
    assert bar.index == 1
    qtbot.keyClick(window, Qt.Key_PageUp)
    assert bar.index == 0
    bar.close_action.trigger()
    assert not bar.isVisible() and not bar.next_action.isEnabled()
    window.shutdown()


def test_a_step_points_at_its_control(qtbot):
    window = new_window(qtbot)
    tab = window.tab("autograd")
    control = tab.graph_page.check_box
    bar = window.lessons.bar
    bar.set_script([Step("Check", "", "autograd", "graph", widget_state.path_of(tab, control))])
    qtbot.waitUntil(lambda: bar.marker.isVisible(), timeout=5000)
    assert bar.problem == "" and bar.marker.target is control
    window.shutdown()


# -- menus, recent lessons, refusals ---------------------------------------------------------

def test_recent_lessons_and_help_lessons(qtbot, small_lesson):
    window = new_window(qtbot)
    assert open_lesson(qtbot, window, small_lesson) == []
    assert str(small_lesson.resolve()) == menus.recent()[0]
    window.lessons._fill_recent()
    assert [a.data() for a in window.lessons.recent_menu.actions()][0] == str(small_lesson.resolve())
    titles = [a.text() for a in window.lessons.help_lessons_menu.actions()]
    assert len(titles) == 5 and titles[0].startswith("1.")
    window.shutdown()


def test_no_lesson_while_a_tab_trains(qtbot, tmp_path):
    window = new_window(qtbot)
    tab = window.show_tab("bigram")
    settle(qtbot, window)
    tab.neural.form.editors["steps"].setValue(100_000)
    tab.neural.start()
    qtbot.waitUntil(tab.is_training, timeout=5000)
    assert not window.lessons.save(str(tmp_path / "x.playground"))
    assert "training" in window.last_error
    assert not window.lessons.open(str(tmp_path / "x.playground"))
    tab.neural.runner.stop()
    settle(qtbot, window)
    window.shutdown()


# -- command line and shot -------------------------------------------------------------------

def test_playground_file_opens_the_lesson(monkeypatch, tmp_path, capsys, small_lesson):
    from playground import app, cli, system_libs

    opened = []
    monkeypatch.setattr(app, "run_gui", lambda lesson=None: opened.append(lesson) or 0)
    monkeypatch.setattr(system_libs, "check_display", lambda: "")
    assert cli.main([str(small_lesson)]) == 0 and opened == [str(small_lesson)]
    assert cli.main(["gui", str(small_lesson)]) == 0 and opened[-1] == str(small_lesson)
    assert cli.main([str(tmp_path / "missing.playground")]) == 2
    assert "no such lesson file" in capsys.readouterr().err


def test_shot_renders_a_lessons_first_step(tmp_path, small_lesson):
    from playground.app import take_shot

    out = take_shot(None, tmp_path / "lesson.png", size=(1280, 720), lesson=str(small_lesson))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 720)
    pixels = np.frombuffer(image.convertToFormat(QImage.Format_Grayscale8).constBits(), np.uint8)
    assert pixels.std() > 5


def test_shot_of_a_broken_lesson_is_an_error(tmp_path, capsys):
    from playground import cli

    bad = tmp_path / "bad.playground"
    bad.write_bytes(b"PK nonsense")
    assert cli.main(["shot", "--lesson", str(bad), "--out", str(tmp_path / "x.png")]) == 2
    assert "lesson" in capsys.readouterr().err


# -- the journey ---------------------------------------------------------------------------------

def test_the_journey_shows_every_rung_and_opens_tabs(qtbot, monkeypatch):
    monkeypatch.setattr(journey, "_shipped", {})
    monkeypatch.setattr(journey, "_shipped_job", lambda key: ("shipped", Figure(key, 2.0 + len(key) / 100, 10)))
    window = new_window(qtbot)
    for name in ("bigram", "names"):
        window.show_tab(name)
        settle(qtbot, window)
    view = window.lessons.show_journey()
    qtbot.waitUntil(lambda: not view.busy(), timeout=TIMEOUT)
    assert set(view.ladder.shipped) == {r.key for r in RUNGS} and not view.ladder.pending
    assert view.live["counts"].val_loss == float("inf")  # the tab's k = 0: why smoothing
    mlp = view.live["mlp"]  # the names tab starts on the shipped MLP: scored live, the same figure
    assert round(mlp.val_loss, 4) == 2.1058 and mlp.params == 11_897
    assert "in the tab" not in journey.describe(mlp) and "11,897 parameters" in journey.describe(mlp)
    row = view.ladder._rows()[[r.key for r in RUNGS].index("wavenet")]
    qtbot.mouseClick(view.ladder, Qt.LeftButton, pos=row.center().toPoint())
    assert window.current_tab().name == "names"
    settle(qtbot, window)
    view.close()
    window.shutdown()
