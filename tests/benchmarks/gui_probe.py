"""The probes of bench_gui.py: the real window offscreen, its lag and stall meters, the inputs a
user sends, finding each tab's Train button and training page, and the slow-slot log."""
from __future__ import annotations

import os
import sys
import tempfile
import time

TICK_MS = 10
INPUT_EVERY_S = 0.2
TRAIN_WORDS = ("train", "training", "loss", "learn")  # pages to show when Train is not on a page


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


# -- the app --------------------------------------------------------------------------------------
def watch_stalls(lag, seconds: float):
    """A thread that prints every thread's Python stack when the lag timer has not ticked for
    `seconds`: where the GUI thread is while it stalls (often: waiting for the GIL)."""
    import threading
    import traceback

    gui = threading.get_ident()

    def watch():
        reported = None
        while True:
            time.sleep(seconds / 4)
            last = lag.ticks[-1] if lag.ticks else None
            if last is None or time.perf_counter() - last < seconds or last == reported:
                continue
            reported = last
            frames = sys._current_frames()
            print(f"--- stall: no tick for {time.perf_counter() - last:.1f} s; GUI thread:", file=sys.stderr)
            print("".join(traceback.format_stack(frames[gui])[-12:]), file=sys.stderr)
            for ident, frame in frames.items():
                if ident not in (gui, threading.get_ident()):
                    name = next((t.name for t in threading.enumerate() if t.ident == ident), ident)
                    print(f"  thread {name}: " + traceback.format_stack(frame)[-1].strip(), file=sys.stderr)
            frames = frame = None  # held frames keep their locals (Qt events) alive
            sys.stderr.flush()

    threading.Thread(target=watch, name="stall-watch", daemon=True).start()


def make_window():
    from playground import settings
    os.environ[settings.CONFIG_ENV] = tempfile.mkdtemp(prefix="playground-bench-")
    from playground.app import application
    from playground.main_window import MainWindow

    app = application()
    window = MainWindow(restore=False)
    window.resize(1400, 900)
    window.show()
    return app, window


def pump(seconds, until=None, tick=None) -> bool:
    """Run the event loop for `seconds` (or until until() is true), calling tick() ~60 times a second."""
    from PySide6.QtCore import QEventLoop, QTimer

    end = time.perf_counter() + seconds
    loop = QEventLoop()
    while time.perf_counter() < end:
        if until is not None and until():
            return True
        if tick is not None:
            tick()
        QTimer.singleShot(15, loop.quit)
        loop.exec()
    return until() if until is not None else True


def run_controls(tab):
    """The tab's Train button row: the RunControls whose button says Train, else the first."""
    from playground.widgets.run_controls import RunControls

    found = tab.findChildren(RunControls)
    if not found:
        raise SystemExit(f"{tab.name}: no RunControls under the tab")
    trains = [rc for rc in found if rc.start_button.text().replace("&", "").lower() == "train"]
    return (trains or found)[0]


def page_of(tab, widget) -> str | None:
    """The key of the tab's page that holds `widget`, if a page does."""
    pages = getattr(tab, "pages", None)
    w = widget
    while pages is not None and w is not None:
        i = pages.indexOf(w)
        if i >= 0:
            return tab.page_keys()[i]
        w = w.parentWidget()
    return None


def training_page(tab, rc, override: str | None) -> str | None:
    """The page to show while training: override, the page that holds rc, or a 'training' page."""
    if override:
        return override
    if getattr(tab, "pages", None) is None:
        return None
    return page_of(tab, rc) or next((k for k in tab.page_keys() if k in TRAIN_WORDS), None)


def ready(tab, rc) -> bool:
    return not tab.busy() and rc.start_button.isEnabled()


def open_for_training(window, name, pages) -> tuple:
    tab = window.show_tab(name)
    rc = run_controls(tab)
    if not pump(180, until=lambda: ready(tab, rc)):
        raise SystemExit(f"{name}: not ready to train after 180 s (busy={tab.busy()})")
    page = training_page(tab, rc, pages.get(name))
    if page:
        tab.show_page(page)
    return tab, rc, page or tab.current_page()


def click(button) -> float:
    """A real mouse click on `button`; returns the ms the GUI thread spent handling it."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    t0 = time.perf_counter()
    QTest.mouseClick(button, Qt.LeftButton)
    return (time.perf_counter() - t0) * 1000


# -- what is measured -----------------------------------------------------------------------------
def make_probes(window):
    """A slider and a text field in the status bar: plain widgets a user touches mid-run."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit, QSlider

    slider = QSlider(Qt.Horizontal)
    slider.setRange(0, 100)
    slider.setFixedWidth(120)
    text = QLineEdit()
    text.setFixedWidth(120)
    window.statusBar().addPermanentWidget(slider)
    window.statusBar().addPermanentWidget(text)
    return slider, text


def build_meters():
    """Qt classes defined once the QApplication exists."""
    from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Slot
    from PySide6.QtGui import QKeyEvent, QMouseEvent
    from PySide6.QtWidgets import QApplication

    class Lag(QObject):
        """A 10 ms timer; each tick's lateness is the event loop's lag."""

        def __init__(self):
            super().__init__()
            self.ticks: list[float] = []
            self.timer = QTimer(self)
            self.timer.setTimerType(Qt.PreciseTimer)
            self.timer.setInterval(TICK_MS)
            self.timer.timeout.connect(self._on_timer_timeout)
            self.timer.start()

        @Slot()
        def _on_timer_timeout(self):
            self.ticks.append(time.perf_counter())

        def stats(self, t0, t1) -> dict:
            ts = [t for t in self.ticks if t0 <= t <= t1]
            gaps = [(b - a) * 1000 for a, b in zip(ts, ts[1:])]
            if ts:  # a stall at either end of the window counts too
                gaps += [(ts[0] - t0) * 1000, (t1 - ts[-1]) * 1000]
            lags = [max(0.0, g - TICK_MS) for g in gaps]
            return {"p50": pct(lags, 50), "p99": pct(lags, 99), "stall": max(gaps, default=float("nan"))}

    class Steps(QObject):
        """(time, step) of every report a runner delivers."""

        def __init__(self):
            super().__init__()
            self.seen: list[tuple[float, int]] = []

        @Slot(object)
        def on_reported(self, report):
            step = getattr(report, "step", None)
            if step is None and isinstance(report, dict):
                step = report.get("step")
            if step is not None:
                self.seen.append((time.perf_counter(), int(step)))

        def rate(self, t0, t1) -> float:
            s = [x for x in self.seen if t0 <= x[0] <= t1]
            if len(s) < 3:
                return float("nan")
            (ta, sa), (tb, sb) = s[1], s[-1]  # from the second report: the first carries the set-up
            return (sb - sa) / (tb - ta) if tb > ta else float("nan")

    class Inputs(QObject):
        """Posts user input through the event queue and times it until its handler ran."""

        def __init__(self, slider, text):
            super().__init__()
            self.slider, self.text, self.canvas = slider, text, None
            self.pending: dict[str, float] = {}
            self.latency: list[float] = []
            self.kinds, self.turn, self.next_at = ["slider", "text"], 0, 0.0
            slider.valueChanged.connect(self._on_slider_value_changed)
            text.textChanged.connect(self._on_text_changed)

        def use_canvas(self, tab):
            """Strokes go to the tab's drawing canvas, if it has one (a widget with stroke_finished)."""
            if self.canvas is not None:
                try:
                    self.canvas.stroke_finished.disconnect(self._on_canvas_stroke_finished)
                except (RuntimeError, TypeError):
                    pass
            self.canvas = next((w for w in tab.findChildren(QObject)
                                if "Canvas" in type(w).__name__ and hasattr(w, "stroke_finished")), None)
            self.kinds = ["slider", "text"] + (["stroke"] if self.canvas is not None else [])
            if self.canvas is not None:
                self.canvas.stroke_finished.connect(self._on_canvas_stroke_finished)

        def reset(self):
            self.latency, self.pending = [], {}

        def tick(self):
            now = time.perf_counter()
            if now < self.next_at:
                return
            self.next_at = now + INPUT_EVERY_S
            kind = self.kinds[self.turn % len(self.kinds)]
            self.turn += 1
            if kind in self.pending:  # the last one is still not handled: do not pile up
                return
            self.pending[kind] = now
            post = QApplication.postEvent
            if kind == "stroke" and not self.canvas.isVisible():
                del self.pending[kind]  # a user draws only on a canvas that shows
                return
            if kind == "slider":  # one step right from the left end, else one step left: it always moves
                key = Qt.Key_Right if self.slider.value() <= self.slider.minimum() else Qt.Key_Left
                post(self.slider, QKeyEvent(QEvent.KeyPress, key, Qt.NoModifier))
            elif kind == "text":
                if len(self.text.text()) > 8:
                    post(self.text, QKeyEvent(QEvent.KeyPress, Qt.Key_Backspace, Qt.NoModifier))
                else:
                    post(self.text, QKeyEvent(QEvent.KeyPress, Qt.Key_A, Qt.NoModifier, "a"))
            else:
                c = self.canvas
                w, h = max(c.width(), 50), max(c.height(), 50)
                points = [QPointF(w * (0.4 + 0.04 * i), h * (0.3 + 0.07 * i)) for i in range(6)]

                def mouse(kind_, p, button, buttons):
                    return QMouseEvent(kind_, p, c.mapToGlobal(p), button, buttons, Qt.NoModifier)

                post(c, mouse(QEvent.MouseButtonPress, points[0], Qt.LeftButton, Qt.LeftButton))
                for p in points[1:]:
                    post(c, mouse(QEvent.MouseMove, p, Qt.NoButton, Qt.LeftButton))
                post(c, mouse(QEvent.MouseButtonRelease, points[-1], Qt.LeftButton, Qt.NoButton))
                if self.turn % 4 == 0:  # right click clears, as a user would
                    post(c, mouse(QEvent.MouseButtonPress, points[0], Qt.RightButton, Qt.RightButton))
                    post(c, mouse(QEvent.MouseButtonRelease, points[0], Qt.RightButton, Qt.NoButton))

        def _handled(self, kind):
            t = self.pending.pop(kind, None)
            if t is not None:
                self.latency.append((time.perf_counter() - t) * 1000)

        def finish(self):
            now = time.perf_counter()  # never handled within the run: count the wait so far
            self.latency += [(now - t) * 1000 for t in self.pending.values()]
            self.pending = {}

        @Slot(int)
        def _on_slider_value_changed(self, _):
            self._handled("slider")

        @Slot(str)
        def _on_text_changed(self, _):
            self._handled("text")

        @Slot()
        def _on_canvas_stroke_finished(self):
            self._handled("stroke")

    return Lag, Steps, Inputs


def slow_since(n: int, top: int = 4) -> list[str]:
    """The slowest GUI events logged since entry n (with $PLAYGROUND_SLOW_SLOTS set)."""
    from PySide6.QtWidgets import QApplication

    slow = getattr(QApplication.instance(), "slow", [])[n:]
    return [line for _, line in sorted(slow, key=lambda x: -x[0])[:top]]


def slow_count() -> int:
    from PySide6.QtWidgets import QApplication

    return len(getattr(QApplication.instance(), "slow", []))
