"""The training runner with a fake model: reports on the GUI thread, throttling, pause, resume,
stop, errors, single steps."""
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QObject, QThread, Slot

from playground.runner import Runner, copy_arrays


def counting(n=None, delay=0.002, arr=None):
    """A fake training generator: one report per step, a shared array mutated in place."""
    step = 0
    while n is None or step < n:
        step += 1
        time.sleep(delay)
        if arr is not None:
            arr[:] = step
        yield {"step": step, "loss": 1.0 / step, "w": arr, "thread": threading.get_ident()}


class Sink(QObject):
    """Receives reports on the GUI thread, as a tab would."""

    def __init__(self):
        super().__init__()
        self.reports, self.errors, self.threads, self.finished = [], [], [], []

    @Slot(object)
    def on_reported(self, report):
        self.reports.append(report)
        self.threads.append(QThread.currentThread())

    @Slot(str)
    def on_failed(self, message):
        self.errors.append(message)

    @Slot(int)
    def on_finished(self, steps):
        self.finished.append(steps)


@pytest.fixture
def rig(qtbot):
    runner, sink = Runner(), Sink()
    runner.reported.connect(sink.on_reported)
    runner.failed.connect(sink.on_failed)
    runner.finished.connect(sink.on_finished)
    yield runner, sink
    runner.shutdown(2000)


def test_reports_arrive_on_the_gui_thread_as_copies(qtbot, rig):
    runner, sink = rig
    arr = np.zeros(3)
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(lambda: counting(20, arr=arr))
    assert sink.reports[-1]["step"] == 20  # the last report always arrives
    assert all(t is QThread.currentThread() for t in sink.threads)
    assert sink.reports[0]["thread"] != threading.get_ident()  # the model ran elsewhere
    assert sink.reports[-1]["w"] is not arr
    arr[:] = -1
    assert sink.reports[-1]["w"][0] == 20  # a snapshot, not the live array
    assert sink.finished == [20]


def test_reports_are_throttled_to_25_a_second(qtbot, rig):
    runner, sink = rig
    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(lambda: counting(1000, delay=0.0005))
    steps = [r["step"] for r in sink.reports]
    assert steps[-1] == 1000
    assert len(steps) < 40  # ~0.6 s of training: at most ~16 reports plus the last one
    assert steps == sorted(steps)


def test_pause_resume_and_stop_within_a_second(qtbot, rig):
    runner, sink = rig
    runner.start(lambda: counting(None))
    qtbot.waitUntil(lambda: len(sink.reports) >= 2, timeout=2000)
    runner.pause()
    assert runner.state == "paused"
    qtbot.wait(200)  # let the pause land and its report arrive
    paused_at = sink.reports[-1]["step"]
    qtbot.wait(300)
    assert sink.reports[-1]["step"] == paused_at  # nothing moves while paused
    runner.resume()
    qtbot.waitUntil(lambda: sink.reports[-1]["step"] > paused_at, timeout=1000)
    t0 = time.monotonic()
    with qtbot.waitSignal(runner.finished, timeout=1000):
        runner.stop()
    assert time.monotonic() - t0 < 1.0
    assert runner.state == "idle" and not runner.is_busy()


def test_stop_while_paused(qtbot, rig):
    runner, sink = rig
    runner.start(lambda: counting(None))
    qtbot.waitUntil(lambda: len(sink.reports) >= 1, timeout=2000)
    runner.pause()
    with qtbot.waitSignal(runner.finished, timeout=1000):
        runner.stop()


def test_a_model_error_arrives_as_a_message(qtbot, rig):
    runner, sink = rig

    def broken():
        yield {"step": 1, "loss": 1.0}
        raise FloatingPointError("loss became NaN")

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(broken)
    assert sink.errors == ["FloatingPointError: loss became NaN"]
    with qtbot.waitSignal(runner.finished, timeout=5000):  # and the runner can run again
        runner.start(lambda: counting(3))
    assert sink.reports[-1]["step"] == 3


def test_single_step_and_busy_refusal(qtbot, rig):
    runner, sink = rig
    with qtbot.waitSignal(runner.finished, timeout=5000):
        assert runner.start(lambda: counting(None), max_steps=1)
        assert not runner.start(lambda: counting(5))  # busy: refused, no overlap
    assert sink.finished == [1] and sink.reports[-1]["step"] == 1


def test_snapshot_runs_only_for_emitted_reports(qtbot, rig):
    runner, sink = rig
    calls = []

    def snapshot(report):
        calls.append(report["step"])
        return copy_arrays(report)

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(lambda: counting(500, delay=0.0002), snapshot=snapshot)
    assert len(calls) == len(sink.reports) < 100


def test_a_stopped_run_still_reports_where_it_stopped(qtbot, rig):
    runner, sink = rig
    runner.start(lambda: counting(None, delay=0.001))
    qtbot.waitUntil(lambda: len(sink.reports) >= 1, timeout=2000)
    with qtbot.waitSignal(runner.finished, timeout=2000):
        runner.stop()
    assert sink.reports[-1]["step"] == sink.finished[-1]  # the view shows the final state


def test_shutdown_joins_a_busy_thread(qtbot):
    runner = Runner()
    runner.start(lambda: counting(None))
    qtbot.wait(50)
    assert runner.shutdown(2000)
    assert not runner.is_busy()


def test_back_to_back_runs_each_finish_cleanly(qtbot, rig):
    runner, sink = rig
    for n in (1, 2, 3, 4):
        with qtbot.waitSignal(runner.finished, timeout=5000):
            runner.start(lambda n=n: counting(n, delay=0))
        assert sink.finished[-1] == n and not runner.is_busy()
