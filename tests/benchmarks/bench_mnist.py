"""Our MNIST MLP against PyTorch on the reference's `mnist-epoch` workload.

    python tests/benchmarks/bench_mnist.py --ref-python /root/refenv/bin/python [--rounds 3]

Runs ../shared/bench/torch_reference.py mnist-epoch with the reference interpreter, and the same
workload with our training generator (models.digits.train) in a process of its own, alternating
`rounds` times: 784-128-10 ReLU MLP, softmax cross-entropy, plain SGD lr 0.01, batch 64, one
shuffled epoch over 60,000 random float32 inputs with random labels (938 steps), no
augmentation and no evaluation (and, as in every training run of ours, the BLAS thread count
chosen by timing: models.core.blas). Each process reports the median of 3 epochs after a
warm-up epoch, as the reference does. Prints each side's median seconds per epoch and last
`ratio=<ours / reference>`.

    python tests/benchmarks/bench_mnist.py --latency

instead measures the Digits tab's live prediction: the time from a mouse-move event on the
canvas to the probability bars and the 28x28 view repainted (stroke painting, preprocess,
predict, saliency, painting), over strokes of real mouse events on the offscreen tab with the
shipped 784-800-10 net. Prints median and 95th percentile, last `latency_ms=<median>`.
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

LINE = re.compile(r"mnist-epoch: ([0-9.eE+-]+) s per epoch")


def our_workload(repeats: int = 3) -> None:
    """mnist_epoch() of the reference, driven through our training generator; prints the same line."""
    sys.path.insert(0, str(REPO))
    import numpy as np

    from models.digits.net import MLP, MLPConfig
    from models.digits.train import TrainConfig, Training

    rng = np.random.default_rng(0)
    x = rng.random((60000, 784), dtype=np.float32)  # (60000, 784)
    y = rng.integers(0, 10, 60000)  # (60000,)
    net = MLP(MLPConfig(sizes=(784, 128, 10), seed=0))
    times = []
    for epoch in range(repeats + 1):  # the first epoch is a warm-up
        config = TrainConfig(epochs=1, batch_size=64, lr=0.01, optimizer="sgd", schedule="constant",
                             augment=False, eval_every=-1, seed=epoch)
        steps = Training(net, x, y, config).run()
        t0 = time.perf_counter()
        for report in steps:
            pass
        if epoch:
            times.append(time.perf_counter() - t0)
    print(f"mnist-epoch: {statistics.median(times):.4g} s per epoch (models.digits.net, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, "
          f"{report['step']} steps, loss {report['loss']:.3f})")


def latency(strokes: int = 6) -> None:
    """Mouse-move event -> bars repainted, in ms, on the real tab (offscreen)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(REPO))
    import numpy as np
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from models.digits.strokes import TEMPLATES
    from playground.tabs.digits.tab import DigitsTab

    tab = DigitsTab()
    tab.resize(1400, 900)
    tab.show()
    tab.ensure_loaded()
    app.processEvents()
    canvas = tab.canvas
    rect = canvas._target()
    scale = rect.width() / canvas.resolution

    def send(kind, x, y, button, buttons):
        pos = QPointF(rect.x() + x * scale, rect.y() + y * scale)
        QApplication.sendEvent(canvas, QMouseEvent(kind, pos, canvas.mapToGlobal(pos), button, buttons,
                                                   Qt.NoModifier))

    times, saliency, cpu = [], [], []
    for k in range(strokes):
        tab.saliency_box.setChecked(k % 2 == 1)
        tab.clear()
        for stroke in TEMPLATES[k % 10][0]:
            pts = stroke * [140, 200] + [70, 40]
            send(QEvent.MouseButtonPress, *pts[0], Qt.LeftButton, Qt.LeftButton)
            for x, y in pts[1:]:
                t0, c0 = time.perf_counter(), time.thread_time()
                send(QEvent.MouseMove, x, y, Qt.NoButton, Qt.LeftButton)  # paints, predicts, updates
                tab.bars.repaint()  # paint now instead of at the next event-loop turn
                tab.input_view.repaint()
                (saliency if k % 2 else times).append((time.perf_counter() - t0) * 1e3)
                cpu.append((time.thread_time() - c0) * 1e3)
            send(QEvent.MouseButtonRelease, *pts[-1], Qt.LeftButton, Qt.NoButton)
            app.processEvents()
    for name, t in (("without saliency", times), ("with saliency", saliency)):
        print(f"stroke event -> bars repainted, {name}: median {np.median(t):.2f} ms, "
              f"95th percentile {np.percentile(t, 95):.2f} ms, max {max(t):.2f} ms over {len(t)} events")
    print(f"CPU time of the GUI thread per event (what a busy machine stretches): median {np.median(cpu):.2f} ms, "
          f"95th percentile {np.percentile(cpu, 95):.2f} ms")
    print(f"latency_ms={np.median(times + saliency):.2f}")
    tab.shutdown()


def main():
    p = benchlib.parser(__doc__)
    p.add_argument("--ours", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--latency", action="store_true", help="measure the Digits tab's stroke-to-bars latency")
    args = p.parse_args()
    if args.ours:
        return our_workload()
    if args.latency:
        return latency()
    ref, ours = benchlib.alternate(args, [benchlib.TORCH_REFERENCE, "mnist-epoch"], [__file__, "--ours"], LINE)
    ref, ours = [float(m.group(1)) for m in ref], [float(m.group(1)) for m in ours]
    benchlib.report("models.digits.net", ref, ours, "s per epoch")


if __name__ == "__main__":
    main()
