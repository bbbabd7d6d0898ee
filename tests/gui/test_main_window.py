"""The app shell: five tabs, shortcuts, presentation mode, settings, clean closing, errors, shots."""
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from playground import runner as runner_module
from playground import settings
from playground import style as app_style
from playground.main_window import MainWindow
from playground.registry import TABS


def forever():
    step = 0
    while True:
        step += 1
        time.sleep(0.005)
        yield {"step": step, "loss": 1.0}


def test_five_tabs_in_order(main_window):
    titles = [main_window.tabs.tabText(i) for i in range(main_window.tabs.count())]
    assert titles == ["Autograd", "Bigram", "Names MLP", "Digits", "Attention"]
    assert [main_window.tabs.widget(i).name for i in range(5)] == [t.name for t in TABS]


def test_ctrl_number_switches_tabs(main_window, qtbot):
    for i in (3, 5, 1):
        qtbot.keyClick(main_window, Qt.Key(Qt.Key_0 + i), Qt.ControlModifier)
        assert main_window.tabs.currentIndex() == i - 1


def test_presentation_mode_makes_text_at_least_24px(main_window, qtbot):
    assert QApplication.font().pixelSize() < 24
    main_window.presentation_action.trigger()
    st = app_style.current()
    assert st.presentation and st.scale >= 1.75
    assert QApplication.font().pixelSize() >= 24
    assert st.pen_width >= 3
    main_window.presentation_action.trigger()
    assert QApplication.font().pixelSize() < 24


def test_presentation_mode_fits_a_1280_wide_projector(main_window, qtbot):
    # Every tab is visited: a tab's minimum width only counts once its pages are built.
    main_window.presentation_action.trigger()
    for i in range(main_window.tabs.count()):
        main_window.tabs.setCurrentIndex(i)
        QApplication.processEvents()
    widest = main_window.minimumSizeHint().width()
    main_window.presentation_action.trigger()
    assert widest <= 1280, f"presentation mode needs a window {widest} px wide"


def test_zoom_in_out_reset(main_window, qtbot):
    base = QApplication.font().pixelSize()
    qtbot.keyClick(main_window, Qt.Key_Equal, Qt.ControlModifier)
    assert QApplication.font().pixelSize() > base
    qtbot.keyClick(main_window, Qt.Key_0, Qt.ControlModifier)
    assert QApplication.font().pixelSize() == base
    qtbot.keyClick(main_window, Qt.Key_Minus, Qt.ControlModifier)
    assert QApplication.font().pixelSize() < base


def test_settings_round_trip(qtbot):
    first = MainWindow(restore=True)
    qtbot.addWidget(first)
    first.resize(700, 500)  # within the offscreen screen (800x600)
    first.tabs.setCurrentIndex(3)
    first.theme_actions["dark"].trigger()
    first.presentation_action.trigger()
    first.close()
    second = MainWindow(restore=True)
    qtbot.addWidget(second)
    assert second.tabs.currentIndex() == 3
    assert app_style.current().theme == "dark" and app_style.current().presentation
    assert (second.width(), second.height()) == (700, 500)
    assert settings.read("view/theme", "light") == "dark"
    second.theme_actions["light"].trigger()
    second.presentation_action.trigger()
    second.tabs.setCurrentIndex(0)
    second.close()


def test_closing_mid_training_leaves_no_thread(qtbot):
    window = MainWindow(restore=False)
    qtbot.addWidget(window)
    window.show()
    tab = window.current_tab()
    run = tab.make_runner()
    run.start(forever)
    qtbot.wait(50)
    assert runner_module.running_threads()
    t0 = time.monotonic()
    window.close()
    assert time.monotonic() - t0 < 2.0
    assert not runner_module.running_threads()


def test_a_model_that_raises_shows_an_error_and_the_app_survives(main_window, qtbot):
    def broken():
        yield {"step": 1, "loss": 1.0}
        raise ValueError("weights exploded")

    tab = main_window.current_tab()
    run = tab.make_runner()
    with qtbot.waitSignal(run.finished, timeout=5000):
        run.start(broken)
    qtbot.waitUntil(lambda: "weights exploded" in main_window.last_error, timeout=2000)
    assert "Training stopped" in main_window.last_error
    assert main_window.isVisible()
    with qtbot.waitSignal(run.finished, timeout=5000):  # and it trains again
        run.start(lambda: iter([{"step": 1, "loss": 0.5}]))


@pytest.mark.parametrize("name", [t.name for t in TABS])
def test_shot_writes_a_non_blank_png_for_each_tab(name, tmp_path, qapp):
    from playground.app import take_shot

    out = take_shot(name, tmp_path / f"{name}.png", size=(1200, 800))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)
    pixels = np.frombuffer(image.convertToFormat(QImage.Format_Grayscale8).constBits(), np.uint8)
    assert pixels.std() > 5  # something is drawn, not a flat colour


def test_the_window_can_show_before_its_first_tab_is_built(qtbot):
    from playground.main_window import UnbuiltTab

    window = MainWindow(restore=False, build_first=False)
    qtbot.addWidget(window)
    window.show()
    try:
        assert isinstance(window.tabs.currentWidget(), UnbuiltTab) and not window.built_tabs()
        assert not window.open_action.isEnabled()  # nothing to open into yet
        window.build_first_tab()
        assert [t.name for t in window.built_tabs()] == [TABS[0].name]
        assert window.tabs.currentWidget() is window.built_tabs()[0]
    finally:
        window.shutdown()


def test_a_window_never_opens_larger_than_its_screen(qtbot):
    from PySide6.QtGui import QGuiApplication

    room = QGuiApplication.primaryScreen().availableGeometry()
    first = MainWindow(restore=True)  # fresh settings: the default size, larger than the offscreen screen
    qtbot.addWidget(first)
    assert first.width() <= room.width() and first.height() <= room.height()
    first.resize(room.width() + 400, room.height() + 300)  # remembered from a larger screen
    first.close()
    second = MainWindow(restore=True)
    qtbot.addWidget(second)
    assert second.width() <= room.width() and second.height() <= room.height()
    second.close()
