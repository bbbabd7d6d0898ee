"""GUI test fixtures: a test fails if it leaves a training thread running; style reset per test."""
import gc
import time

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication

from playground import jobs, runner, wheel_guard
from playground import style as app_style


@pytest.fixture(autouse=True, scope="session")
def collector_on_the_gui_thread(qapp):
    from playground.app import collect_on_gui_thread

    collect_on_gui_thread()  # as the app does: no cyclic GC pass on a job thread


@pytest.fixture(autouse=True)
def widgets_freed_on_the_gui_thread(qapp):
    """After each test (first in this file: it ends last), delete the widgets it closed and
    collect their Python wrappers here. Left to the cyclic collector, they are freed whenever
    some thread allocates, a job's or a runner's too, and Qt objects freed off the GUI thread
    crash later (seen: a segfault in a timer of a dead tab while the next test's jobs ran)."""
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    gc.collect()


@pytest.fixture(autouse=True)
def no_thread_left_running(qapp):
    yield
    deadline = time.monotonic() + 2.0
    while (runner.running_threads() or jobs.running_jobs()) and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)
    left = runner.running_threads() + jobs.running_jobs()
    assert not left, f"{len(left)} training or job thread(s) still running after the test"


@pytest.fixture(autouse=True)
def default_style(qapp):
    from playground import theme

    theme.apply(app_style.Style())
    yield
    theme.apply(app_style.Style())


@pytest.fixture
def main_window(qtbot):
    from playground.main_window import MainWindow

    window = MainWindow(restore=False)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    yield window
    window.shutdown()


@pytest.fixture
def projector(main_window):
    """The main window in presentation mode (turned off again after the test)."""
    main_window.presentation_action.trigger()
    yield main_window
    main_window.presentation_action.trigger()


@pytest.fixture
def digits_tab(open_tab, qtbot):
    """The Digits tab with both shipped nets and the MNIST test set loaded."""
    from playground.tabs.digits.tab import DigitsTab

    tab = open_tab(DigitsTab)
    qtbot.waitUntil(lambda: tab.nets["mlp"] is not None and tab.nets["cnn"] is not None
                    and tab.train_page.x_test is not None, timeout=20000)
    return tab


@pytest.fixture
def attention_tab(qtbot):
    """The Attention tab on the names task with its shipped model, every opening job done."""
    from playground import settings
    from playground.tabs.attention.tab import AttentionTab

    settings.write("attention/task", "names")
    tab = AttentionTab()
    qtbot.addWidget(tab)
    tab.resize(1500, 950)
    tab.show()
    tab.ensure_loaded()
    assert tab.wait_for_jobs()
    yield tab
    assert tab.shutdown(3000)


@pytest.fixture
def open_tab(qtbot):
    """open_tab(TabClass) -> the tab shown at 1400x900 with its defaults loaded; every tab it
    opened must shut down (no thread left) when the test ends."""
    opened = []

    def open_(cls):
        tab = cls()
        qtbot.addWidget(tab)
        tab.resize(1400, 900)
        tab.show()
        tab.ensure_loaded()
        wheel_guard.guard_tree(tab)  # as the main window does when it shows a tab
        opened.append(tab)
        return tab

    yield open_
    for tab in opened:
        assert tab.shutdown(3000)
