"""The slow-slot logger: a debug switch that names every GUI-thread event or slot that takes
longer than a budget, so that a regression in liveness is found in one run.

    PLAYGROUND_SLOW_SLOTS=16 playground      # log what keeps the GUI thread busy > 16 ms

Every event the GUI thread handles (a click, a key, a paint, a timer, a queued signal from a
worker) passes through QApplication.notify(); with the switch on, the application is a subclass
that times each outermost notify(). A watchdog thread samples the GUI thread's Python stack while
an event runs past the budget, so the log names the Python slot or paint that was running (the
outermost and innermost frames of our code and pyqtgraph's), not just "a MetaCall event".

Off (the default) it costs nothing: the application is a plain QApplication and nothing is timed.
A log line, on stderr:

    slow slot 48.2 ms: MetaCall -> Runner | playground/tabs/names/tab.py:293 _on_runner_reported
      … playground/widgets/heatmap.py:97 set_image (12 of 14 samples)
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

ENV = "PLAYGROUND_SLOW_SLOTS"
_OURS = ("playground", "models", "pyqtgraph")  # frames worth naming
_DISPATCHERS = ("playground/runner.py", "playground/jobs.py")  # they only pass a result on: name the slot


def threshold_ms() -> float | None:
    """The budget from $PLAYGROUND_SLOW_SLOTS in ms (None when unset, empty or not a number)."""
    text = os.environ.get(ENV, "").strip()
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None


def application_class() -> type[QApplication]:
    """QApplication, or the timing subclass when $PLAYGROUND_SLOW_SLOTS is set."""
    return TimingApplication if threshold_ms() is not None else QApplication


def _event_name(event) -> str:
    try:
        return QEvent.Type(event.type()).name
    except (ValueError, TypeError):
        return f"event {int(event.type())}"


def _receiver_name(receiver) -> str:
    try:
        name = receiver.objectName()
        return type(receiver).__name__ + (f"({name})" if name else "")
    except RuntimeError:  # deleted meanwhile
        return "a deleted object"


def _our_frames(frame) -> list[str]:
    """'file:line function' of the frames in our code and pyqtgraph's, outermost first (else the
    innermost frame of any code, e.g. a script's)."""
    out, innermost = [], None
    while frame is not None:
        path = frame.f_code.co_filename.replace("\\", "/")
        if path.endswith("playground/debug.py"):  # the logger's own notify(): what it wraps counts
            break
        if innermost is None:
            innermost = f"{path.rsplit('/', 1)[-1]}:{frame.f_lineno} {frame.f_code.co_name}"
        parts = path.split("/")
        for i, part in enumerate(parts):
            if part in _OURS:
                name = "/".join(parts[i:])
                if name not in _DISPATCHERS:
                    out.append(f"{name}:{frame.f_lineno} {frame.f_code.co_name}")
                break
        frame = frame.f_back
    return out[::-1] or ([innermost] if innermost else [])


class _Watchdog(threading.Thread):
    """Samples the GUI thread's stack while one event has run longer than the budget."""

    def __init__(self, app: "TimingApplication"):
        super().__init__(name="slow-slot-watchdog", daemon=True)
        self.app = app

    def run(self):
        period = max(0.002, self.app.budget / 4)
        while True:
            time.sleep(period)
            started = self.app._started  # one float read; the GUI thread writes it
            if started is None or time.perf_counter() - started < self.app.budget:
                continue
            frame = sys._current_frames().get(self.app._gui_ident)
            frames = _our_frames(frame) if frame is not None else []
            # Holding the frame would keep notify()'s event alive after Qt deleted it, and PySide
            # might then hand its stale wrapper out for a new object at the same address.
            frame = None
            if frames and self.app._started == started:
                self.app._samples.append((started, frames[0], frames[-1]))


class TimingApplication(QApplication):
    """A QApplication whose notify() logs events slower than $PLAYGROUND_SLOW_SLOTS ms."""

    def __init__(self, argv):
        super().__init__(argv)
        self.budget = (threshold_ms() or 16.0) / 1000
        self.log = sys.stderr
        self.slow: list[tuple[float, str]] = []  # (ms, line) of everything logged, for tests
        self._depth = 0
        self._started: float | None = None
        self._samples: list = []
        self._gui_ident = threading.get_ident()
        _Watchdog(self).start()

    def notify(self, receiver, event):
        if self._depth:  # nested (a slot running an event loop): the outermost call times it all
            return super().notify(receiver, event)
        self._depth, started = 1, time.perf_counter()
        self._started = started
        try:
            return super().notify(receiver, event)
        finally:
            self._depth, self._started = 0, None
            ms = (time.perf_counter() - started) * 1000
            if ms > self.budget * 1000:
                try:
                    what = f"{_event_name(event)} -> {_receiver_name(receiver)}"
                except Exception:  # never let the logger itself break an event
                    what = "an event"
                self._report(ms, what, started)

    def _report(self, ms: float, what: str, started: float) -> None:
        samples = [(outer, inner) for s, outer, inner in self._samples if s == started]
        self._samples = [s for s in self._samples if s[0] > started]
        line = f"slow slot {ms:.1f} ms: {what}"
        if samples:
            outer = Counter(o for o, _ in samples).most_common(1)[0][0]
            inner, n = Counter(i for _, i in samples).most_common(1)[0]
            line += f" | {outer}"
            if inner != outer:
                line += f"\n  … {inner} ({n} of {len(samples)} samples)"
        self.slow.append((ms, line))
        print(line, file=self.log, flush=True)
