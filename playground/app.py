"""Starting the app: the interactive window, or one offscreen screenshot of it."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer, qInstallMessageHandler
from PySide6.QtWidgets import QApplication


def _quiet_offscreen(mode, context, message):
    """The offscreen platform warns about window hints it cannot honour; everything else prints."""
    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


def application() -> QApplication:
    app = QApplication.instance()
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        qInstallMessageHandler(_quiet_offscreen)
    if app is None:
        QCoreApplication.setOrganizationName("Playground")
        QCoreApplication.setApplicationName("Playground")
        app = QApplication(sys.argv[:1])
    return app


def run_gui() -> int:
    from playground.main_window import MainWindow

    app = application()
    window = MainWindow()
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    return app.exec()


def take_shot(tab: str, out, size=(1600, 1000), presentation=False, theme="light", page: str | None = None) -> Path:
    """Render the real main window offscreen on `tab` (and `page`), after the tab loaded its default model
    and data, and write a PNG. Uses a throwaway settings folder, so the picture does not depend
    on (or change) the user's remembered settings."""
    from playground import settings
    from playground import style as app_style

    os.environ[settings.CONFIG_ENV] = tempfile.mkdtemp(prefix="playground-shot-")
    from playground.main_window import MainWindow

    app = application()
    window = MainWindow(restore=False)
    window.set_style(app_style.Style(theme=theme, presentation=presentation))
    window.resize(*size)
    window.show()
    shown = window.show_tab(tab)
    shown.prepare_shot()
    if page is not None:
        try:
            shown.show_page(page)
        except KeyError as e:
            window.shutdown()
            raise ValueError(e.args[0]) from None
    for _ in range(5):  # let layouts and deferred paints settle
        app.processEvents()
        QTimer.singleShot(20, lambda: None)
    image = window.grab().toImage()
    window.shutdown()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out), "PNG"):
        raise OSError(f"could not write {out}")
    window.close()
    return out
