"""The one training runner every tab uses: a generator from models/ driven off the GUI thread.

    runner = Runner(self)
    runner.reported.connect(self._on_runner_reported)     # a @Slot on a GUI-thread object
    runner.start(lambda: train(model, data, config))       # the generator is made in the worker

After each step the driver checks the stop flag and the pause gate, and sends a report when the
GUI has handled the last one, paced so that snapshots and the view's work stay within a share of
the time (playground/drive.py): a slow view gets fewer reports, never a queue of them, and the
last report always arrives. Reports cross as snapshots: `snapshot(report)` runs next to the
generator (default: copy every NumPy array in a dict/list), so the GUI never reads live model
arrays. Errors arrive as `failed(message)`.

Where the generator runs (`mode()`, $PLAYGROUND_RUNNER; measured by tests/benchmarks/bench_gui.py):
- "thread": on a QThread, as napari/superqt do. Its Python holds the GIL, which the GUI thread
  needs for every slot and paint: with several tabs training, the window stalls for seconds.
- "yield": the same, and the worker gives the GIL away after every step (time.sleep(0)).
- "process" (the default where fork() exists): a QThread worker drives the generator in a
  forked child process (at a lower CPU priority than the window) and relays its reports,
  pickled through a pipe; the GUI's GIL stays free. Only for runs that name the `model` they
  train, start(..., model=m): its state_dict() comes back into `m` when the run ends, so the
  generator must change nothing else that the GUI reads afterwards. Settings the GUI changes
  during a run travel through `live=`, an object with take() (what changed since the last
  take(), falsy when nothing did; the generator calls it) and put(changes): the runner takes
  them here and puts them into the child's copy. Runs without a model stay on a thread.
Stop and pause keep their bounds in every mode (the end of the current step); shutdown() (the
window closing) ends a child process at once, where a thread can only be waited for.
Pattern and pitfalls: docs/ARCHITECTURE.md (Qt side) — never terminate() a thread, keep references
to thread and worker until the thread finished, receivers are slots on GUI-thread objects.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
import traceback
import weakref

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from models.core.training import copy_arrays
from playground.drive import Handoff, ThreadGate, close_quietly, drive, error_message, relay

MODES = ("thread", "yield", "process")
DEFAULT_MODE = "process"

_live_threads: "weakref.WeakSet[QThread]" = weakref.WeakSet()


def mode() -> str:
    """The runner's strategy: $PLAYGROUND_RUNNER if it names one of MODES, else DEFAULT_MODE."""
    chosen = os.environ.get("PLAYGROUND_RUNNER", "").strip().lower()
    return chosen if chosen in MODES else DEFAULT_MODE


def can_fork() -> bool:
    """Child processes by fork() (Linux): the generator and its closure need no pickling."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def running_threads() -> list[QThread]:
    """Every runner thread still running (the test suite fails a test that leaves one)."""
    return [t for t in list(_live_threads) if t.isRunning()]


class _Worker(QObject):
    """Lives on the worker thread; iterates the generator (or relays a child that does)."""
    reported = Signal(int, object)  # run id, snapshot
    failed = Signal(int, str)
    finished = Signal(int, int)  # run id, steps taken

    def __init__(self, run_id, make_generator, snapshot, max_rate, max_steps, events, how, model, live):
        super().__init__()
        self.run_id, self.make_generator, self.snapshot = run_id, make_generator, snapshot
        self.min_interval = 1.0 / max_rate
        self.max_steps, self.how, self.model, self.live, self.events = max_steps, how, model, live, events

    def _emit(self, report):
        self.reported.emit(self.run_id, report)

    def _fail(self, text):
        self.failed.emit(self.run_id, text)

    @Slot()
    def run(self):
        steps, gen = 0, None
        try:
            if self.how == "process":
                steps = relay(self.make_generator, self.snapshot, self.min_interval, self.max_steps,
                              self.model, self.live, self._emit, self._fail, self.events)
            else:
                stop, unpaused, handoff, _ = self.events
                gen = self.make_generator()
                steps = drive(gen, self._emit, self.snapshot, ThreadGate(stop, unpaused, handoff),
                              self.min_interval, self.max_steps, cooperative=self.how == "yield")
        except Exception as e:  # a model error must reach the GUI as a message, not kill the app
            traceback.print_exc()
            self._fail(error_message(e))
        finally:
            close_quietly(gen)
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

    def __init__(self, parent=None, max_rate: float = 25.0, how: str | None = None):
        super().__init__(parent)
        self.max_rate = max_rate
        self.how = how  # one of MODES, or None: the module's mode() at each start
        self._run_id = 0
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._handoff = Handoff()
        self._closing = threading.Event()
        self._state = "idle"
        self.last_how = ""  # where the last run ran: "thread", "yield" or "process"

    @property
    def state(self) -> str:
        return self._state

    def is_busy(self) -> bool:
        """True from start() until the run's thread has finished."""
        return self._thread is not None

    def start(self, make_generator, snapshot=copy_arrays, max_steps: int | None = None, model=None,
              live=None) -> bool:
        """Run make_generator() off the GUI thread. Returns False (and does nothing) while busy.
        `model`: what the generator trains in place (state_dict / load_state_dict); naming it lets
        the run go to a child process in "process" mode. `live`: the run's channel for settings
        changed during it (take() / put(changes)), carried into the child there."""
        if self.is_busy():
            return False
        how = self.how or mode()
        if how == "process" and (model is None or not can_fork()):
            how = "thread"
        self.last_how = how
        self._run_id += 1
        self._stop, self._unpaused, self._closing = threading.Event(), threading.Event(), threading.Event()
        self._unpaused.set()
        self._handoff = Handoff()
        thread = QThread()
        worker = _Worker(self._run_id, make_generator, snapshot, self.max_rate, max_steps,
                         (self._stop, self._unpaused, self._handoff, self._closing), how, model, live)
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
        """Stop and wait (bounded) for the thread; for closeEvent. True when nothing is left running.
        A run in a child process is ended at once (its model keeps the state it had before)."""
        thread = self._thread
        if thread is None:
            return True
        self._closing.set()
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
            t0 = time.perf_counter()
            try:
                self.reported.emit(report)
            finally:  # handled: the driver may send the next one, paced by what this one cost
                self._handoff.handled(time.perf_counter() - t0)

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
