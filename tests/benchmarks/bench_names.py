"""Our names MLP against PyTorch on the reference's `names-step` workload.

    python tests/benchmarks/bench_names.py --ref-python /root/refenv/bin/python [--rounds 3]

Runs ../shared/bench/torch_reference.py names-step with the reference interpreter, and the same
workload with models.names.model in a process of its own, alternating `rounds` times: vocab 27,
context 3, embedding 10, hidden 200 tanh (with biases), output 27, batch 32 drawn from 200,000
random examples, cross-entropy, plain SGD lr 0.1, float32. Ours is the real training code path:
the `models.names.train.train` generator (minibatch draw, forward, backward, update, report).
Each process reports the median over 7 rounds of 2,000 steps after a warm-up round, as the
reference does. Prints each side's median microseconds per step and last `ratio=<ours / reference>`.

`--threads N` limits both sides to N threads (default: each library's own choice, which is what
the ratio is defined with); at these tiny sizes one thread is often faster for torch.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_names.py --gui [--seconds 6]

measures instead the Names MLP tab in the real window (bench_gui.py's meters) while it trains with
its Health page showing, for the lecture MLP and for a deep stack of 6 Linear-BatchNorm-Tanh
blocks: event-loop lag p50/p99, the worst stall, and steps a second in the window vs headless.
Issue 12's budget, on an idle 2-core machine: p99 <= 50 ms, no stall over 150 ms, speed >= 0.85.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time

import benchlib
from benchlib import REPO

LINE = re.compile(r"names-step: ([0-9.eE+-]+) us per step")


def our_workload(rounds: int = 7, steps: int = 2000) -> None:
    """names_step() of the reference, with our model and training generator; prints the same line."""
    sys.path.insert(0, str(REPO))
    import numpy as np

    from models.core.data import Vocab
    from models.names.data import NamesData
    from models.names.model import PRESETS, NamesModel
    from models.names.train import NamesTrainConfig, train

    rng = np.random.default_rng(1)
    xs = rng.integers(0, 27, (200000, 3))  # (N, 3) random contexts, as the reference draws them
    ys = rng.integers(0, 27, 200000)  # (N,)
    empty_x, empty_y = np.zeros((0, 3), np.intp), np.zeros(0, np.intp)
    data = NamesData(Vocab(tuple(".abcdefghijklmnopqrstuvwxyz")), 3, xs, ys, empty_x, empty_y, empty_x, empty_y)
    model = NamesModel(PRESETS["mlp"], data.vocab, seed=1)
    steps_total = (rounds + 1) * steps
    run = train(model, data, NamesTrainConfig(steps=steps_total, batch_size=32, lr=0.1, schedule="constant", seed=1))
    times = []
    for r in range(rounds + 1):  # the first round is a warm-up
        t0 = time.perf_counter()
        for _ in range(steps):
            report = next(run)
        if r:
            times.append((time.perf_counter() - t0) / steps * 1e6)
    print(f"names-step: {statistics.median(times):.4g} us per step (models.names.model, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, loss {report.loss:.3f})")


def gui_depths(seconds: float, depths=(1, 6)) -> None:
    """The Health page live at each depth, measured as bench_gui.py measures every tab."""
    import bench_gui

    started: dict = {}
    bench_gui.capture_generators(started, False)
    app, window = bench_gui.make_window()
    Lag, Steps, Inputs = bench_gui.build_meters()
    meters = (Lag(), Steps, Inputs(*bench_gui.make_probes(window)))
    args = argparse.Namespace(seconds=seconds, pages={"names": "health"}, no_headless=False)
    print(f"names Health page while training, {seconds:g} s a run, {bench_gui.load()}")
    print(f"{'depth':>5} {'p50':>5} {'p99':>5} {'stall':>6} {'steps/s':>8} {'headless':>8} {'ratio':>5}")
    for depth in depths:
        tab, rc, _ = bench_gui.open_for_training(window, "names", {})
        tab.model_form.set_values({"n_layers": depth, "batchnorm": depth > 1})
        bench_gui.pump(120, until=lambda: bench_gui.ready(tab, rc) and tab.model.config.n_layers == depth)
        r = bench_gui.one_tab(window, "names", args, meters, started)
        print(f"{depth:>5} {bench_gui.fmt(r['p50'], '.1f'):>5} {bench_gui.fmt(r['p99']):>5} "
              f"{bench_gui.fmt(r['stall']):>6} {bench_gui.fmt(r['gui'], '.1f'):>8} "
              f"{bench_gui.fmt(r['head'], '.1f'):>8} {bench_gui.fmt(r['ratio'], '.2f'):>5}", flush=True)
    window.shutdown()
    print(f"  {bench_gui.load()}")


def main():
    p = benchlib.parser(__doc__)
    p.add_argument("--ours", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--gui", action="store_true", help="the tab's Health page live at depths 1 and 6")
    p.add_argument("--seconds", type=float, default=6.0, help="with --gui: training time per depth")
    args = p.parse_args()
    if args.ours:
        return our_workload()
    if args.gui:
        return gui_depths(args.seconds)
    ref, ours = benchlib.alternate(args, [benchlib.TORCH_REFERENCE, "names-step"], [__file__, "--ours"], LINE)
    ref, ours = [float(m.group(1)) for m in ref], [float(m.group(1)) for m in ours]
    benchlib.report("models.names.model", ref, ours, "us per step")


if __name__ == "__main__":
    main()
