"""The one training runner every tab uses: a generator from models/ driven in a QThread.

    runner = Runner(self)
    runner.reported.connect(self._on_runner_reported)     # a @Slot on a GUI-thread object
    runner.start(lambda: train(model, data, config))       # the generator is made in the worker

The generator runs on the worker thread; after each step the worker checks the stop flag and the
pause gate, and emits at most `max_rate` reports a second (always the last one). Reports cross
threads as snapshots: `snapshot(report)` runs in the worker (default: copy every NumPy array in a
dict/list), so the GUI never reads live model arrays. Errors arrive as `failed(message)`.
Pattern and pitfalls: ../shared/DESIGN.md (Qt side) — never terminate(), keep references to
thread and worker until the thread finished, receivers are slots on GUI-thread objects.
"""
from __future__ import annotations

import threading
import time
import traceback
import weakref

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from models.core.training import copy_arrays

_live_threads: "weakref.WeakSet[QThread]" = weakref.WeakSet()


def running_threads() -> list[QThread]:
    """Every runner thread still running (the test suite fails a test that leaves one)."""
    return [t for t in list(_live_threads) if t.isRunning()]


class _Worker(QObject):
    """Lives on the worker thread; iterates the generator. Only the runner talks to it."""
    reported = Signal(int, object)  # run id, snapshot
    failed = Signal(int, str)
    finished = Signal(int, int)  # run id, steps taken

    def __init__(self, run_id, make_generator, snapshot, max_rate, max_steps, stop, unpaused):
        super().__init__()
        self.run_id, self.make_generator, self.snapshot = run_id, make_generator, snapshot
        self.min_interval = 1.0 / max_rate
        self.max_steps, self.stop, self.unpaused = max_steps, stop, unpaused

    @Slot()
    def run(self):
        steps, pending, last_emit, gen = 0, None, 0.0, None
        try:
            gen = self.make_generator()
            for report in gen:
                steps += 1
                now = time.monotonic()
                if now - last_emit >= self.min_interval:
                    self.reported.emit(self.run_id, self.snapshot(report))
                    pending, last_emit = None, now
                else:
                    pending = report
                if self.max_steps is not None and steps >= self.max_steps:
                    break
                while not self.unpaused.is_set() and not self.stop.is_set():
                    if pending is not None:  # show where the pause landed
                        self.reported.emit(self.run_id, self.snapshot(pending))
                        pending = None
                    self.unpaused.wait(0.05)
                if self.stop.is_set():
                    break
            if pending is not None:
                self.reported.emit(self.run_id, self.snapshot(pending))
        except Exception as e:  # a model error must reach the GUI as a message, not kill the app
            traceback.print_exc()
            self.failed.emit(self.run_id, f"{type(e).__name__}: {e}")
        finally:
            if gen is not None:
                try:
                    gen.close()
                except Exception:
                    pass
            self.finished.emit(self.run_id, steps)


class Runner(QObject):
    """Start / pause / resume / stop one training run at a time, on a fresh QThread per run.

    Signals (all delivered on the GUI thread): reported(report), failed(message),
    finished(steps), state_changed(state) with state in "idle", "running", "paused", "stopping".
    """
    reported = Signal(object)
    failed = Signal(str)
    finished = Signal(int)
    state_changed = Signal(str)

    def __init__(self, parent=None, max_rate: float = 25.0):
        super().__init__(parent)
        self.max_rate = max_rate
        self._run_id = 0
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._state = "idle"

    @property
    def state(self) -> str:
        return self._state

    def is_busy(self) -> bool:
        """True from start() until the run's thread has finished."""
        return self._thread is not None

    def start(self, make_generator, snapshot=copy_arrays, max_steps: int | None = None) -> bool:
        """Run make_generator() on a new thread. Returns False (and does nothing) while busy."""
        if self.is_busy():
            return False
        self._run_id += 1
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()
        thread = QThread()
        worker = _Worker(self._run_id, make_generator, snapshot, self.max_rate, max_steps,
                         self._stop, self._unpaused)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.reported.connect(self._on_worker_reported)
        worker.failed.connect(self._on_worker_failed)
        worker.finished.connect(self._on_worker_finished)
        # quit() is thread-safe; a direct call from the worker lets shutdown() wait without the
        # GUI thread having to deliver a queued quit first (which it cannot while it waits).
        worker.finished.connect(thread.quit, Qt.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker  # keep both alive until the thread finished
        _live_threads.add(thread)
        self._set_state("running")
        thread.start()
        return True

    def pause(self):
        if self._state == "running":
            self._unpaused.clear()
            self._set_state("paused")

    def resume(self):
        if self._state == "paused":
            self._unpaused.set()
            self._set_state("running")

    def stop(self):
        """Ask the run to end after its current step; finished() follows."""
        if self.is_busy():
            self._stop.set()
            self._unpaused.set()
            self._set_state("stopping")

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop and wait (bounded) for the thread; for closeEvent. True when nothing is left running."""
        thread = self._thread
        if thread is None:
            return True
        self.stop()
        done = thread.wait(timeout_ms)
        if done:
            self._on_thread_finished()
        return done

    def _set_state(self, state):
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    @Slot(int, object)
    def _on_worker_reported(self, run_id, report):
        if run_id == self._run_id:  # an earlier run's late reports are dropped
            self.reported.emit(report)

    @Slot(int, str)
    def _on_worker_failed(self, run_id, message):
        if run_id == self._run_id:
            self.failed.emit(message)

    @Slot(int, int)
    def _on_worker_finished(self, run_id, steps):
        self._last_steps = steps

    @Slot()
    def _on_thread_finished(self):
        sender = self.sender()
        if self._thread is None or (sender is not None and sender is not self._thread):
            return  # already cleaned up by shutdown(), or a late signal of an earlier run
        thread, worker = self._thread, self._worker
        thread.wait(1000)  # finished() is emitted just before the thread ends: let it end
        self._thread = self._worker = None
        worker.deleteLater()
        thread.deleteLater()
        self._set_state("idle")
        self.finished.emit(getattr(self, "_last_steps", 0))
