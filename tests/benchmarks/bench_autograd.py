"""Our Value engine against the micrograd 0.1.0 package on micrograd's own demo workload.

    python tests/benchmarks/bench_autograd.py --ref-python /root/refenv/bin/python [--rounds 3]

Runs ../shared/bench/micrograd_reference.py with the reference interpreter and the same
workload written with models.autograd.engine (below, line for line the reference's loop) in a process
of its own, alternating `rounds` times. Prints each side's median seconds per pass, the loss
after the passes (the two must agree: same data, same initial weights, same updates), the time
to lay out and draw a few-hundred-node graph, the tab's training steps a second and the GUI's
lag meanwhile, and last `ratio=<ours / reference>`.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import benchlib
from benchlib import REPO

LINE = re.compile(r"pass: ([0-9.eE+-]+) s \(loss ([0-9.]+)\)")


def our_workload():
    """micrograd_reference.main() with our engine; prints the same line."""
    sys.path.insert(0, str(REPO))
    import random

    from models.autograd.engine import MLP, Value
    from models.autograd.toy_data import moons

    random.seed(1337)
    X, y = moons(100, 0.1, seed=1)
    X, y = X.tolist(), y.tolist()
    model = MLP(2, [16, 16, 1])
    times, loss = [], None
    for k in range(11):
        t0 = time.perf_counter()
        scores = [model([Value(a), Value(b)]) for a, b in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        if k:
            times.append(time.perf_counter() - t0)
    print(f"ours demo pass: {statistics.median(times):.4g} s (loss {loss.data:.4f})")


def layout_timing():
    """Seconds to build and lay out the op-by-op forward graph of MLP(2, [8, 8, 1]) on one point."""
    sys.path.insert(0, str(REPO))
    import random

    from models.autograd.engine import MLP
    from models.autograd.graph_layout import layout_value_graph

    model = MLP(2, [8, 8, 1], ["tanh", "tanh", "linear"], rng=random.Random(0), fused=False)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        out = model([0.5, -1.0])
        lay = layout_value_graph(out)
        times.append(time.perf_counter() - t0)
    print(f"layout of {len(lay.positions)} nodes: {statistics.median(times):.4g} s")


def gui_timing():
    """Offscreen: seconds to lay out and draw the MLP preset graph in the tab's GraphView, and
    the training page's steps a second (its defaults: 2-8-8-1 on 100 training points, full
    batch, network view and heatmaps live) with the GUI event loop's lag (timer overshoot)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO))
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtGui import QImage, QPainter

    from models.autograd.expression import MLPGraph
    from playground.app import application
    from playground.tabs.autograd.tab import AutogradTab

    app = application()
    tab = AutogradTab()
    tab.resize(1400, 900)
    tab.show()
    tab.ensure_loaded()
    view = tab.graph_page.view
    image = QImage(1000, 800, QImage.Format_ARGB32)
    times = []
    for _ in range(3):
        root = MLPGraph().forward()
        view.show_graph(root.parents[0])  # a different shape each time: a full layout and draw
        t0 = time.perf_counter()
        view.show_graph(root)
        painter = QPainter(image)
        view.render(painter)
        painter.end()
        times.append(time.perf_counter() - t0)
    print(f"graph of {len(view.nodes)} nodes laid out and drawn: "
          f"{statistics.median(times):.3f} s (median of 3)")

    page = tab.pages.widget(1)
    tab.pages.setCurrentWidget(page)
    lags, clock = [], QElapsedTimer()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: (lags.append(clock.restart() - 10)))
    clock.start()
    timer.start()
    page.start()
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)
    tab.runner.stop()
    steps = page.loss_plot.series("train")[0]
    tab.shutdown(5000)
    lags = sorted(lags[5:])
    done = int(steps[-1]) if len(steps) else 0
    sizes = "-".join(map(str, page.model.sizes))
    print(f"tab training {sizes} on {len(page.data().y)} points: {done / 8:.1f} steps/s "
          f"({done} steps, {len(steps)} redraws in 8 s); GUI lag meanwhile: median "
          f"{lags[len(lags) // 2]} ms, 95th percentile {lags[int(len(lags) * 0.95)]} ms, "
          f"max {lags[-1]} ms")


def main():
    p = benchlib.parser(__doc__, needs="micrograd==0.1.0")
    for mode in ("--ours", "--layout", "--gui"):
        p.add_argument(mode, action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.ours:
        return our_workload()
    if args.layout:
        return layout_timing()
    if args.gui:
        return gui_timing()
    ref, ours = benchlib.alternate(args, [benchlib.MICROGRAD_REFERENCE], [__file__, "--ours"], LINE)
    ref_loss, our_loss = ref[-1].group(2), ours[-1].group(2)
    ref, ours = [float(m.group(1)) for m in ref], [float(m.group(1)) for m in ours]
    print(f"micrograd 0.1.0: median {statistics.median(ref):.4g} s per pass {sorted(ref)} (loss {ref_loss})")
    print(f"models.autograd.engine: median {statistics.median(ours):.4g} s per pass {sorted(ours)} (loss {our_loss})")
    if ref_loss != our_loss:
        print(f"WARNING: losses differ ({our_loss} vs {ref_loss}): not the same workload")
    for mode in ("--layout", "--gui"):
        done = subprocess.run([sys.executable, __file__, mode], capture_output=True, text=True)
        print(done.stdout.strip() or f"{mode} failed: {done.stderr.strip()[-300:]}")
    print(f"ratio={statistics.median(ours) / statistics.median(ref):.4f}")


if __name__ == "__main__":
    main()
