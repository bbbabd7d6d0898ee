"""One-shot work off the GUI thread: loading a file, a gradient check, an evaluation.

    self.jobs = Jobs(self)
    self.jobs.submit("load", load_words, path, done=self._on_words_loaded)   # a slot of ours

`fn(*args)` runs on a worker thread; its result comes back to `done(result)` on the GUI thread,
an exception as `failed(name, message)` (the tab shows it). Jobs have names: submitting a job
of a name that is still running makes the older one's result stale, and it is dropped. `fn` must
not touch widgets or any attribute the GUI thread reads; it gets its inputs as arguments.
"""
from __future__ import annotations

import threading
import traceback
import weakref

from PySide6.QtCore import QObject, Signal, Slot

_live: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()


def running_jobs() -> list[threading.Thread]:
    """Job threads still running (the test suite fails a test that leaves one)."""
    return [t for t in list(_live) if t.is_alive()]


class Jobs(QObject):
    """The one-shot runner of a tab. Signals arrive on the GUI thread."""
    _finished = Signal(str, int, object, str)  # name, ticket, result, error ("" when none)
    failed = Signal(str, str)  # name, message for the user
    busy_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._tickets: dict[str, int] = {}
        self._callbacks: dict[tuple[str, int], object] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._finished.connect(self._on_finished)

    def submit(self, name: str, fn, *args, done=None) -> int:
        """Run fn(*args) on a new thread; `done(result)` gets the result if it is still wanted."""
        ticket = self._tickets.get(name, 0) + 1
        self._tickets[name] = ticket
        self._callbacks = {k: v for k, v in self._callbacks.items() if k[0] != name}
        if done is not None:
            self._callbacks[(name, ticket)] = done
        was_busy = self.is_busy()
        thread = threading.Thread(target=self._work, args=(name, ticket, fn, args),
                                  name=f"job-{name}", daemon=True)
        self._threads[f"{name}#{ticket}"] = thread
        _live.add(thread)
        thread.start()
        if not was_busy:
            self.busy_changed.emit(True)
        return ticket

    def is_busy(self, name: str | None = None) -> bool:
        return any(t.is_alive() for k, t in self._threads.items() if name is None or k.startswith(f"{name}#"))

    def cancel(self, name: str) -> None:
        """Drop the result of the running job of this name (the work itself runs out)."""
        self._tickets[name] = self._tickets.get(name, 0) + 1

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Wait (bounded) for every job; True when none is left running."""
        for k in list(self._tickets):
            self.cancel(k)
        for t in list(self._threads.values()):
            t.join(timeout_ms / 1000)
        return not self.is_busy()

    def _work(self, name, ticket, fn, args):  # on the worker thread: touches nothing of the GUI's
        try:
            result, error = fn(*args), ""
        except Exception as e:  # every error reaches the user as a sentence, never kills the app
            traceback.print_exc()
            result, error = None, _message(e)
        try:
            self._finished.emit(name, ticket, result, error)
        except RuntimeError:  # the owner was deleted meanwhile: nobody wants the result
            pass

    @Slot(str, int, object, str)
    def _on_finished(self, name, ticket, result, error):
        self._threads = {k: t for k, t in self._threads.items() if t.is_alive() or k != f"{name}#{ticket}"}
        callback = self._callbacks.pop((name, ticket), None)
        if self._tickets.get(name) == ticket:
            if error:
                self.failed.emit(name, error)
            elif callback is not None:
                callback(result)
        if not self.is_busy():
            self.busy_changed.emit(False)


def _message(e: Exception) -> str:
    text = str(e)
    if isinstance(e, (ValueError, OSError)) and text:
        return text
    return f"{type(e).__name__}: {text}" if text else type(e).__name__
