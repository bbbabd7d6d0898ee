"""The training runner with a fake model: reports on the GUI thread, throttling, pause, resume,
stop, errors, single steps; in each of its modes (a thread, a yielding thread, a child process)."""
import os
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QObject, QThread, Slot

from playground import drive
from playground import runner as runner_module
from playground.runner import Runner, copy_arrays

MODES = [m for m in runner_module.MODES if m != "process" or runner_module.can_fork()]


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


class Weights:
    """The smallest model a process-mode run can bring back: state_dict / load_state_dict."""

    def __init__(self):
        self.w = np.zeros(3)

    def state_dict(self):
        return {"w": self.w.copy()}

    def load_state_dict(self, arrays):
        self.w[...] = arrays["w"]


class ModeRunner(Runner):
    """A Runner fixed to one mode; in process mode every run names a model (a throwaway one
    unless the test gives its own), as runs must to go to a child process."""

    def start(self, make_generator, snapshot=copy_arrays, max_steps=None, model=None):
        if self.how == "process" and model is None:
            model = Weights()
        return super().start(make_generator, snapshot, max_steps, model=model)


@pytest.fixture(params=MODES)
def rig(qtbot, request):
    runner, sink = ModeRunner(how=request.param), Sink()
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
    assert runner.last_how == runner.how
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
    if runner.how == "process":
        pytest.skip("the snapshot runs in the child process: its calls are not seen here")
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


@pytest.mark.parametrize("how", MODES)
def test_shutdown_joins_a_busy_thread(qtbot, how):
    runner = ModeRunner(how=how)
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


def test_a_slow_gui_gets_fewer_reports_never_a_queue(qtbot, rig):
    """Back-pressure: the next report waits until the GUI handled the last one, so a view that
    takes 150 ms per report falls behind by at most one report, and Stop is seen at once."""
    runner, sink = rig
    handled = []

    def slow(report):  # connected directly: runs on the GUI thread as a tab's slot would
        time.sleep(0.15)
        handled.append(time.monotonic())

    runner.reported.connect(slow)
    runner.start(lambda: counting(None, delay=0.001))
    qtbot.wait(1200)
    t0 = time.monotonic()
    with qtbot.waitSignal(runner.finished, timeout=2000):
        runner.stop()
    assert time.monotonic() - t0 < 0.6  # at most the report in hand and the last one
    assert len(handled) <= 1.3 / 0.15 + 2  # not 25 a second piling up
    assert sink.reports[-1]["step"] == sink.finished[-1]


def test_a_costly_snapshot_is_taken_less_often(qtbot, rig):
    """A view whose snapshot costs 40 ms gets one every ~0.8 s (5% of the time), not 25 a
    second (100% of it): training in the window keeps its speed."""
    runner, sink = rig

    def costly(report):
        time.sleep(0.04)
        return copy_arrays(report)

    runner.start(lambda: counting(None, delay=0.001), snapshot=costly)
    qtbot.wait(1500)
    with qtbot.waitSignal(runner.finished, timeout=2000):
        runner.stop()
    assert 2 <= len(sink.reports) <= 5  # the first, one or two paced ones, the last
    assert sink.finished[-1] > 400  # ~1.4 s of 1 ms steps, barely slowed by the snapshots


@pytest.mark.skipif(not runner_module.can_fork(), reason="child processes by fork() only on Linux")
class TestProcessMode:
    def test_the_model_comes_back_trained(self, qtbot):
        model, runner, sink = Weights(), Runner(how="process"), Sink()
        runner.reported.connect(sink.on_reported)
        runner.finished.connect(sink.on_finished)

        def train():
            for step in range(1, 51):
                model.w += 1.0  # in place, in the child's copy
                yield {"step": step, "pid": os.getpid(), "w": model.w}

        with qtbot.waitSignal(runner.finished, timeout=10000):
            runner.start(train, model=model)
        assert runner.last_how == "process"
        assert sink.reports[-1]["pid"] != os.getpid() and sink.reports[-1]["step"] == 50
        assert sink.finished == [50]
        assert model.w.tolist() == [50.0, 50.0, 50.0]  # state_dict() of the child, loaded here

    def test_without_a_model_the_run_stays_on_a_thread(self, qtbot):
        runner = Runner(how="process")
        with qtbot.waitSignal(runner.finished, timeout=5000):
            runner.start(lambda: counting(3))
        assert runner.last_how == "thread"

    def test_shutdown_ends_a_child_stuck_in_a_long_step(self, qtbot):
        runner = Runner(how="process")

        def stuck():
            yield {"step": 1}
            time.sleep(60)  # a step far longer than any close may wait
            yield {"step": 2}

        runner.start(stuck, model=Weights())
        qtbot.wait(300)
        t0 = time.monotonic()
        assert runner.shutdown(3000)
        assert time.monotonic() - t0 < 0.5
        assert not runner.is_busy()

    def test_an_error_in_the_child_arrives_as_a_message(self, qtbot):
        runner, sink = Runner(how="process"), Sink()
        runner.failed.connect(sink.on_failed)

        def broken():
            yield {"step": 1}
            raise FloatingPointError("loss became NaN")

        with qtbot.waitSignal(runner.finished, timeout=10000):
            runner.start(broken, model=Weights())
        assert sink.errors == ["FloatingPointError: loss became NaN"]

    def test_live_settings_reach_the_child_and_it_trains_below_the_window(self, qtbot):
        """The GUI changes a setting mid-run: the runner carries it into the child's copy of the
        channel, which the generator reads before its next step."""

        class Live:
            def __init__(self):
                self.lock, self.changes, self.lr = threading.Lock(), {}, 0.1

            def set(self, **values):  # the GUI side
                with self.lock:
                    self.changes.update(values)

            def take(self):
                with self.lock:
                    taken, self.changes = self.changes, {}
                return taken

            def put(self, changes):  # the child's copy gets what the parent's took
                self.set(**changes)

        live, runner, sink = Live(), Runner(how="process"), Sink()
        runner.reported.connect(sink.on_reported)

        def train():
            step = 0
            while True:
                step += 1
                live.lr = live.take().get("lr", live.lr)
                time.sleep(0.002)
                yield {"step": step, "lr": live.lr, "nice": os.nice(0)}

        runner.start(train, model=Weights(), live=live)
        qtbot.waitUntil(lambda: len(sink.reports) >= 2, timeout=5000)
        live.set(lr=0.5)
        qtbot.waitUntil(lambda: sink.reports[-1]["lr"] == 0.5, timeout=2000)
        assert sink.reports[-1]["nice"] == os.nice(0) + drive.CHILD_NICE
        with qtbot.waitSignal(runner.finished, timeout=2000):
            runner.stop()


@pytest.mark.skipif(not runner_module.can_fork(), reason="needs fork")
def test_a_child_that_ends_first_still_hands_back_its_weights(qtbot, monkeypatch):
    """The child may finish (a single step) while the relay is still telling it things: the
    broken pipe must not lose the trained state the child left in it."""
    class Weights:
        w = 0

        def state_dict(self):
            return {"w": np.array(self.w)}

        def load_state_dict(self, state):
            self.w = int(state["w"])

    model = Weights()

    def one_step():
        model.w += 1
        yield {"step": model.w, "loss": 1.0}

    slow_emit = runner_module._Worker._emit

    def emit_then_stall(self, report):  # the relay thread descheduled right after a report
        slow_emit(self, report)
        time.sleep(0.1)

    monkeypatch.setattr(runner_module._Worker, "_emit", emit_then_stall)
    runner = Runner(how="process")
    failures = []
    runner.failed.connect(failures.append)
    for expected in (1, 2, 3):
        with qtbot.waitSignal(runner.finished, timeout=20_000):
            assert runner.start(one_step, model=model, max_steps=1)
        assert model.w == expected and not failures
