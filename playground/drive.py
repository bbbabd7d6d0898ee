"""How the runner (playground/runner.py) drives a training generator: one loop, `drive()`, that
iterates it and decides when a report goes to the GUI, on a worker thread or in a child process.

A report goes only when
- the GUI has handled the last one (back-pressure: a slow view gets fewer reports, never a queue),
- and at least `interval` has passed since the last one, the largest of
  - 1 / max_rate (25 a second),
  - the snapshot's cost / SNAPSHOT_SHARE (copying and measuring for the view may take 5% of
    the training time, no more),
  - the GUI's cost of applying a report / GUI_SHARE (the view may keep the GUI thread busy
    10% of the time; on a thread it also holds the GIL that the training needs).
The last report of a run, and the one where a pause lands, always go.

In a child process (runner mode "process"), `relay()` runs on the worker thread: it forks the
child, passes it the GUI's wishes (ready + cost, pause, resume, stop, live settings) and emits
what it sends back; the child runs `drive()` with a gate that reads those messages.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
import traceback
from multiprocessing.connection import wait as wait_for

SNAPSHOT_SHARE = 0.05  # of the worker's time that snapshots may take
GUI_SHARE = 0.10  # of the GUI thread's time that applying reports may take
CHILD_KILL_S = 1.0  # the longest wait for a child to exit before it is killed
# The child trains at a lower priority, so the window's input and paints come first when cores
# are short (several tabs training); $PLAYGROUND_CHILD_NICE overrides it (0: the window's).
try:
    CHILD_NICE = int(os.environ.get("PLAYGROUND_CHILD_NICE", "5"))
except ValueError:
    CHILD_NICE = 5
_FORK_LOCK = threading.Lock()  # one fork at a time: gc.freeze() / unfreeze() are process-wide


def error_message(e: Exception) -> str:
    return f"{type(e).__name__}: {e}"


def close_quietly(gen) -> None:
    """Close a training generator (None: never made); an error in its own cleanup must not hide
    the run's result or keep the worker from saying it finished."""
    if gen is None:
        return
    try:
        gen.close()
    except Exception:
        pass


def drive(gen, emit, snapshot, gate, min_interval: float, max_steps=None, cooperative=False) -> int:
    """Iterate `gen`, sending snapshots through `emit` as `gate` allows; return the steps taken."""
    steps, pending, last_emit, snap_cost = 0, None, float("-inf"), 0.0

    def send(report):
        nonlocal snap_cost
        t0 = time.perf_counter()
        shot = snapshot(report)
        snap_cost = 0.5 * snap_cost + 0.5 * (time.perf_counter() - t0)  # smoothed over a few
        emit(shot)

    for report in gen:
        steps += 1
        now = time.monotonic()
        interval = max(min_interval, snap_cost / SNAPSHOT_SHARE, gate.gui_cost / GUI_SHARE)
        if now - last_emit >= interval and gate.ready():
            send(report)
            pending, last_emit = None, now
        else:
            pending = report
        if max_steps is not None and steps >= max_steps:
            break
        while gate.paused() and not gate.stopped():
            if pending is not None and gate.ready():  # show where the pause landed
                send(pending)
                pending = None
            gate.wait(0.05)
        if gate.stopped():
            break
        if cooperative:
            time.sleep(0)  # hand the GIL to a waiting GUI thread between steps
    if pending is not None:  # the last report always goes, ready or not
        send(pending)
    return steps


class Handoff:
    """The GUI thread's word to the driver: "handled the last report; it took `cost` s"."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ready, self._cost = True, 0.0

    def handled(self, cost: float) -> None:  # GUI thread
        with self._lock:
            self._ready, self._cost = True, cost

    def take(self) -> tuple[bool, float]:  # worker: (whether a report may go now, the GUI's cost)
        with self._lock:
            ready, self._ready = self._ready, False
            return ready, self._cost

    def is_ready(self) -> bool:
        with self._lock:
            return self._ready


class ThreadGate:
    """The GUI's wishes as a worker thread reads them: events and the handoff, set by the GUI."""

    def __init__(self, stop: threading.Event, unpaused: threading.Event, handoff: Handoff):
        self.stop, self.unpaused, self.handoff = stop, unpaused, handoff
        self.gui_cost = 0.0

    def ready(self) -> bool:  # taking the turn: the next report waits for the next handled()
        ready, self.gui_cost = self.handoff.take()
        return ready

    def paused(self) -> bool:
        return not self.unpaused.is_set()

    def stopped(self) -> bool:
        return self.stop.is_set()

    def wait(self, seconds):
        self.unpaused.wait(seconds)


class PipeGate:
    """The same wishes inside the child process: messages from the relaying worker thread."""

    def __init__(self, conn, live=None):
        self.conn, self.live = conn, live
        self._ready, self._paused, self._stopped, self.gui_cost = True, False, False, 0.0
        self._parent = os.getppid()

    def _read(self, timeout=0.0):
        while self.conn.poll(timeout):
            kind, value = self.conn.recv()
            if kind == "ready":
                self._ready, self.gui_cost = True, value
            elif kind in ("pause", "resume"):
                self._paused = kind == "pause"
            elif kind == "stop":
                self._stopped = True
            elif kind == "live":  # the GUI's settings, for the next step
                self.live.put(value)
            timeout = 0.0

    def ready(self) -> bool:
        self._read()  # once a step: pause, stop and live settings arrive here too
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


def _child_main(conn, make_generator, snapshot, min_interval, max_steps, model, live):
    """The child process's whole life: drive the generator, send back reports and the model."""
    steps, gen, failed = 0, None, ""
    try:
        os.nice(CHILD_NICE)
    except OSError:
        pass
    try:
        gate = PipeGate(conn, live)
        gen = make_generator()
        steps = drive(gen, lambda r: conn.send(("report", r)), snapshot, gate, min_interval, max_steps)
    except Exception as e:  # a model error must reach the GUI as a message
        traceback.print_exc()
        failed = error_message(e)
    finally:
        close_quietly(gen)
    try:
        conn.send(("done", steps, failed, model.state_dict() if model is not None else None))
    except Exception as e:  # e.g. a report that cannot be pickled
        conn.send(("done", steps, failed or error_message(e), None))


def relay(make_generator, snapshot, min_interval, max_steps, model, live, emit, fail, events) -> int:
    """On the worker thread: run the generator in a forked child, relay its reports to `emit`
    and its error to `fail`, pass it the GUI's wishes; load the trained state into `model`.
    `events` = (stop, unpaused, handoff, closing); returns the steps the child took. Closing
    (Runner.shutdown) kills the child at once: the model keeps its state from before the run."""
    stop, unpaused, handoff, closing = events
    ctx = multiprocessing.get_context("fork")
    conn, child_conn = ctx.Pipe()
    proc = ctx.Process(target=_child_main, daemon=True, name="playground-run",
                       args=(child_conn, make_generator, snapshot, min_interval, max_steps, model, live))
    with _FORK_LOCK:
        gc.freeze()  # the child's collector leaves the parent's objects (and Qt's wrappers) alone
        try:
            proc.start()
        finally:
            gc.unfreeze()
    child_conn.close()
    told_paused, stop_at, steps = False, None, 0

    def tell(message) -> None:
        try:
            conn.send(message)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the child has ended: what it sent last is still in the pipe, read below

    handoff.take()  # the child starts with its turn; the next "ready" is the GUI's
    try:
        while True:
            if stop.is_set() and stop_at is None:
                tell(("stop", None))
                stop_at = time.monotonic()
            if (not unpaused.is_set()) != told_paused:
                told_paused = not told_paused
                tell(("pause" if told_paused else "resume", None))
            ready, cost = handoff.take()
            if ready:
                tell(("ready", cost))
            if live is not None:
                changes = live.take()
                if changes:
                    tell(("live", changes))
            if closing.is_set():  # the window closes: nobody waits for the trained state
                proc.kill()  # (a process may be ended mid-step; a thread never). Not joined here:
                return steps  # unmapping a forked GB takes ~0.2 s; multiprocessing reaps it at exit
            if not wait_for([conn, proc.sentinel], timeout=0.02):
                continue
            try:
                kind, *rest = conn.recv()
            except EOFError:  # the child died without a word
                if stop_at is None:
                    raise RuntimeError(f"the training process ended unexpectedly (exit code {proc.exitcode})")
                return steps
            if kind == "report":
                emit(rest[0])
            else:
                steps, failed, state = rest
                if state is not None:
                    model.load_state_dict(state)
                if failed:
                    fail(failed)
                return steps
    finally:
        conn.close()
        if not closing.is_set():
            proc.join(CHILD_KILL_S)
            if proc.is_alive():
                proc.kill()
                proc.join()
