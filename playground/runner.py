"""The one training runner every tab uses: a generator from models/ driven off the GUI thread.

    runner = Runner(self)
    runner.reported.connect(self._on_runner_reported)     # a @Slot on a GUI-thread object
    runner.start(lambda: train(model, data, config))       # the generator is made in the worker

After each step the driver checks the stop flag and the pause gate, and sends a report when the
GUI has handled the previous one and at most `max_rate` a second (always the last one): a GUI
that falls behind gets fewer reports, never a queue of them. Reports cross as snapshots:
`snapshot(report)` runs next to the generator (default: copy every NumPy array in a dict/list),
so the GUI never reads live model arrays. Errors arrive as `failed(message)`.

Where the generator runs (`mode()`, $PLAYGROUND_RUNNER; measured in tests/benchmarks/bench_gui.py):
- "thread": on a QThread, as napari/superqt do. Its Python holds the GIL, which the GUI thread
  needs for every slot and paint.
- "yield": the same, and the worker gives the GIL away after every step (time.sleep(0)).
- "process": a QThread worker drives the generator in a forked child process and relays its
  reports (pickled through a pipe): the GUI's GIL stays free. Only for runs that name the `model`
  they train (start(..., model=m)): its state_dict() comes back into `m` when the run ends; the
  generator must touch nothing else that the GUI reads afterwards. Elsewhere (no fork), or for
  runs without a model, the run stays on a thread.
Pattern and pitfalls: docs/ARCHITECTURE.md (Qt side) — never terminate() a thread, keep references
to thread and worker until the thread finished, receivers are slots on GUI-thread objects.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
import time
import traceback
import weakref
from multiprocessing.connection import wait as wait_for

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from models.core.training import copy_arrays

MODES = ("thread", "yield", "process")
DEFAULT_MODE = "thread"
CHILD_KILL_S = 1.0  # on shutdown, a child that has not stopped this long is ended by force
_FORK_LOCK = threading.Lock()  # one fork at a time: gc.freeze() / unfreeze() are process-wide

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


def _message(e: Exception) -> str:
    return f"{type(e).__name__}: {e}"


def drive(gen, emit, snapshot, gate, min_interval: float, max_steps, cooperative=False) -> int:
    """Iterate `gen`, sending snapshots through `emit` as `gate` allows; return the steps taken.
    The same loop runs on a worker thread and in a child process (only the gate differs)."""
    steps, pending, last_emit = 0, None, float("-inf")
    for report in gen:
        steps += 1
        now = time.monotonic()
        if now - last_emit >= min_interval and gate.ready():
            emit(snapshot(report))
            pending, last_emit = None, now
        else:
            pending = report
        if max_steps is not None and steps >= max_steps:
            break
        while gate.paused() and not gate.stopped():
            if pending is not None and gate.ready():  # show where the pause landed
                emit(snapshot(pending))
                pending = None
            gate.wait(0.05)
        if gate.stopped():
            break
        if cooperative:
            time.sleep(0)  # hand the GIL to a waiting GUI thread between steps
    if pending is not None:  # the last report always goes, ready or not
        emit(snapshot(pending))
    return steps


class _ThreadGate:
    """The GUI's wishes as a worker thread reads them: threading.Events set by the GUI thread."""

    def __init__(self, stop, unpaused, ready):
        self.stop, self.unpaused, self._ready = stop, unpaused, ready

    def ready(self) -> bool:  # the GUI handled the last report; taking the turn clears it
        if self._ready.is_set():
            self._ready.clear()
            return True
        return False

    def paused(self) -> bool:
        return not self.unpaused.is_set()

    def stopped(self) -> bool:
        return self.stop.is_set()

    def wait(self, seconds):
        self.unpaused.wait(seconds)


class _PipeGate:
    """The same wishes inside the child process: messages from the relaying worker thread."""

    def __init__(self, conn):
        self.conn, self._ready, self._paused, self._stopped = conn, True, False, False
        self._parent = os.getppid()

    def _read(self, timeout=0.0):
        while self.conn.poll(timeout):
            what = self.conn.recv()
            self._ready |= what == "ready"
            self._stopped |= what == "stop"
            self._paused = (what == "pause") or (self._paused and what != "resume")
            timeout = 0.0

    def ready(self) -> bool:
        self._read()
        taken, self._ready = self._ready, False
        return taken

    def paused(self) -> bool:
        self._read()
        return self._paused

    def stopped(self) -> bool:
        if os.getppid() != self._parent:  # the app died: an orphan must not train on
            self._stopped = True
        return self._stopped

    def wait(self, seconds):
        self._read(seconds)


def _child_main(conn, make_generator, snapshot, min_interval, max_steps, model):
    """The child process's whole life: drive the generator, send back reports and the model."""
    steps, gen, failed = 0, None, ""
    try:
        gen = make_generator()
        steps = drive(gen, lambda r: conn.send(("report", r)), snapshot, _PipeGate(conn), min_interval,
                      max_steps)
    except Exception as e:  # a model error must reach the GUI as a message
        traceback.print_exc()
        failed = _message(e)
    finally:
        if gen is not None:
            try:
                gen.close()
            except Exception:
                pass
    try:
        conn.send(("done", steps, failed, model.state_dict() if model is not None else None))
    except Exception as e:  # e.g. a report that cannot be pickled
        conn.send(("done", steps, failed or _message(e), None))


class _Worker(QObject):
    """Lives on the worker thread; iterates the generator (or relays a child that does)."""
    reported = Signal(int, object)  # run id, snapshot
    failed = Signal(int, str)
    finished = Signal(int, int)  # run id, steps taken

    def __init__(self, run_id, make_generator, snapshot, max_rate, max_steps, events, how, model):
        super().__init__()
        self.run_id, self.make_generator, self.snapshot = run_id, make_generator, snapshot
        self.min_interval = 1.0 / max_rate
        self.max_steps, self.how, self.model = max_steps, how, model
        self.stop, self.unpaused, self.ready, self.closing = events

    def _emit(self, report):
        self.reported.emit(self.run_id, report)

    @Slot()
    def run(self):
        steps, gen = 0, None
        try:
            if self.how == "process":
                steps = self._relay()
            else:
                gen = self.make_generator()
                steps = drive(gen, self._emit, self.snapshot, _ThreadGate(self.stop, self.unpaused, self.ready),
                              self.min_interval, self.max_steps, cooperative=self.how == "yield")
        except Exception as e:  # a model error must reach the GUI as a message, not kill the app
            traceback.print_exc()
            self.failed.emit(self.run_id, _message(e))
        finally:
            if gen is not None:
                try:
                    gen.close()
                except Exception:
                    pass
            self.finished.emit(self.run_id, steps)

    def _relay(self) -> int:
        """Start the child, pass it the GUI's wishes, emit what it reports; its model comes back."""
        ctx = multiprocessing.get_context("fork")
        conn, child_conn = ctx.Pipe()
        proc = ctx.Process(target=_child_main, daemon=True, name="playground-run",
                           args=(child_conn, self.make_generator, self.snapshot, self.min_interval,
                                 self.max_steps, self.model))
        with _FORK_LOCK:
            gc.freeze()  # the child's collector leaves the parent's objects (and Qt's wrappers) alone
            try:
                proc.start()
            finally:
                gc.unfreeze()
        child_conn.close()
        told = {"paused": False, "stop": False, "ready": True}
        stop_at, steps = None, 0
        try:
            while True:
                if self.stop.is_set() and not told["stop"]:
                    conn.send("stop")
                    told["stop"], stop_at = True, time.monotonic()
                paused = not self.unpaused.is_set()
                if paused != told["paused"]:
                    conn.send("pause" if paused else "resume")
                    told["paused"] = paused
                if self.ready.is_set() and not told["ready"]:
                    conn.send("ready")
                    told["ready"] = True
                if self.closing.is_set() and stop_at is not None and time.monotonic() - stop_at > CHILD_KILL_S:
                    proc.kill()  # closing, and a step longer than the bound: a process may be ended
                    proc.join()
                    return steps
                if not wait_for([conn, proc.sentinel], timeout=0.02):
                    continue
                try:
                    message = conn.recv()
                except EOFError:  # the child died without a word
                    if not told["stop"]:
                        raise RuntimeError(f"the training process ended unexpectedly (exit code {proc.exitcode})")
                    return steps
                if message[0] == "report":
                    self.ready.clear()
                    told["ready"] = False
                    self._emit(message[1])
                else:
                    _, steps, failed, state = message
                    if state is not None:
                        self.model.load_state_dict(state)
                    if failed:
                        self.failed.emit(self.run_id, failed)
                    return steps
        finally:
            conn.close()
            proc.join(CHILD_KILL_S)
            if proc.is_alive():
                proc.kill()
                proc.join()


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
        self._ready = threading.Event()
        self._closing = threading.Event()
        self._state = "idle"
        self.last_how = ""  # where the last run ran: "thread", "yield" or "process"

    @property
    def state(self) -> str:
        return self._state

    def is_busy(self) -> bool:
        """True from start() until the run's thread has finished."""
        return self._thread is not None

    def start(self, make_generator, snapshot=copy_arrays, max_steps: int | None = None, model=None) -> bool:
        """Run make_generator() off the GUI thread. Returns False (and does nothing) while busy.
        `model`: what the generator trains in place (state_dict / load_state_dict); naming it lets
        the run go to a child process in "process" mode."""
        if self.is_busy():
            return False
        how = self.how or mode()
        if how == "process" and (model is None or not can_fork()):
            how = "thread"
        self.last_how = how
        self._run_id += 1
        self._stop, self._unpaused, self._ready, self._closing = (threading.Event() for _ in range(4))
        self._unpaused.set()
        self._ready.set()
        thread = QThread()
        worker = _Worker(self._run_id, make_generator, snapshot, self.max_rate, max_steps,
                         (self._stop, self._unpaused, self._ready, self._closing), how, model)
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
            try:
                self.reported.emit(report)
            finally:
                self._ready.set()  # handled: the worker may send the next one

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
