"""Starting the app: the interactive window, or one offscreen screenshot of it."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication


def _quiet_offscreen(mode, context, message):
    """The offscreen platform warns about window hints it cannot honour; everything else prints."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


_collector = None


def collect_on_gui_thread() -> None:
    """Python's cyclic garbage collector runs in whichever thread allocates: a job's or a
    runner's too, and a Qt object freed off the GUI thread crashes the process later. So the
    automatic collector is switched off and a timer collects on the GUI thread (pyqtgraph's
    GarbageCollector). Idempotent; needs a QApplication."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=1.0)


def application() -> QApplication:
    app = QApplication.instance()
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        qInstallMessageHandler(_quiet_offscreen)
    if app is None:
        QCoreApplication.setOrganizationName("Playground")
        QCoreApplication.setApplicationName("Playground")
        from playground import debug

        app = debug.application_class()(sys.argv[:1])  # times slow slots when $PLAYGROUND_SLOW_SLOTS is set
    return app


def run_gui(lesson: str | None = None) -> int:
    """The app; with `lesson`, that .playground file opens once the window shows."""
    from playground.main_window import MainWindow

    app = application()
    window = MainWindow(build_first=False)
    app.aboutToQuit.connect(window.shutdown)
    window.show()  # up at once; the first tab fills it a moment later
    QTimer.singleShot(0, window.build_first_tab)
    if lesson:
        QTimer.singleShot(0, lambda: window.open_lesson(lesson))
    return app.exec()


LESSON_SHOT_TIMEOUT_S = 300.0


def take_shot(tab: str, out, size=(1600, 1000), presentation=False, theme="light", page: str | None = None,
              lesson: str | None = None) -> Path:
    """Render the real main window offscreen on `tab` (and `page`), after the tab loaded its default model
    and data, and write a PNG. With `lesson`, open that .playground lesson instead and show its
    first step. Uses a throwaway settings folder, so the picture does not depend
    on (or change) the user's remembered settings."""
    from playground import settings
    from playground import style as app_style

    os.environ[settings.CONFIG_ENV] = tempfile.mkdtemp(prefix="playground-shot-")
    from playground.main_window import MainWindow

    app = application()
    window = MainWindow(restore=False)
    window.setAttribute(Qt.WA_DeleteOnClose)  # deleted by the GUI thread when closed, never by a GC pass on a job thread
    window.set_style(app_style.Style(theme=theme, presentation=presentation))
    window.resize(*size)
    window.show()
    if lesson is not None:
        _open_lesson_now(app, window, lesson, presentation)
        page = None
    else:
        shown = window.show_tab(tab)
        shown.prepare_shot()
    if page is not None:
        try:
            shown.show_page(page)
        except KeyError as e:
            window.shutdown()
            raise ValueError(e.args[0]) from None
    if lesson is None:
        shown.wait_for_jobs()  # what the page started on being shown (a shipped net's scores) is in
    for _ in range(5):  # let layouts and deferred paints settle
        app.processEvents()
        QTimer.singleShot(20, lambda: None)
    image = window.grab().toImage()
    window.shutdown()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    saved = image.save(str(out), "PNG")
    window.close()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)  # freed here, on the GUI thread
    if not saved:
        raise OSError(f"could not write {out}")
    return out


def _open_lesson_now(app, window, path: str, presentation: bool) -> None:
    """Open a lesson and wait (processing events) until all of it is applied; ValueError with the
    reason when it cannot be opened."""
    import time

    from playground import style as app_style

    problems = []
    window.lessons.failed.connect(problems.append)
    window.open_lesson(path)
    deadline = time.monotonic() + LESSON_SHOT_TIMEOUT_S
    while window.lessons.session.busy() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    app.processEvents()
    if problems:
        window.shutdown()
        window.close()
        raise ValueError(problems[0])
    if presentation and not app_style.current().presentation:
        window.set_style(app_style.current().with_(presentation=True))
    if window.lessons.bar.steps:
        window.lessons.bar.show_step(0)  # again, now that the window has its final size
