"""Our MNIST MLP (and CNN) against PyTorch on the reference's `mnist-epoch` workload.

    python tests/benchmarks/bench_mnist.py --ref-python /root/refenv/bin/python [--rounds 3]

Runs ../shared/bench/torch_reference.py mnist-epoch with the reference interpreter, and the same
workload with our training generator (models.digits.train) in a process of its own, alternating
`rounds` times: 784-128-10 ReLU MLP, softmax cross-entropy, plain SGD lr 0.01, batch 64, one
shuffled epoch over 60,000 random float32 inputs with random labels (938 steps), no
augmentation and no evaluation (and, as in every training run of ours, the BLAS thread count
chosen by timing: models.core.blas). Each process reports the median of 3 epochs after a
warm-up epoch, as the reference does. Prints each side's median seconds per epoch and last
`ratio=<ours / reference>`.

    python tests/benchmarks/bench_mnist.py --cnn --ref-python /root/refenv/bin/python [--rounds 3]

instead times the digits CNN (models.digits.cnn, the shipped shape) against a torch CNN of the
same shape, defined below and run by the reference interpreter: conv 5x5 1->c1 pad 2, max-pool
2, ReLU, conv 5x5 c1->c2 pad 2, max-pool 2, ReLU, linear 49*c2 -> hidden, ReLU, linear -> 10;
softmax cross-entropy, SGD momentum 0.9 lr 0.05, batch 128, random float32 inputs with random
labels, no augmentation or evaluation. Each process times 3 runs of 60 steps after 10 warm-up
steps and reports the median as seconds per 60,000-image epoch (469 steps);
`ratio=<ours / reference>` last.

    python tests/benchmarks/bench_mnist.py --latency

instead measures the Digits tab's live prediction: the time from a mouse-move event on the
canvas to the probability bars and the 28x28 view repainted (stroke painting, preprocess with
its cleanup, both nets' predictions, the predictor's saliency, painting), over strokes of real
mouse events on the offscreen tab with the shipped nets and the CNN as the predictor. Prints
median, 95th and 99th percentile, last `latency_ms=<p99>`.
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
CNN_LINE = re.compile(r"cnn-epoch: ([0-9.eE+-]+) s per epoch")
CNN_SHAPE = {"c1": 16, "c2": 32, "hidden": 128}  # the shipped CNN (assets/weights/digits_cnn.npz)
CNN_BATCH, CNN_STEPS, CNN_EPOCH_STEPS = 128, 60, 469


def our_workload(repeats: int = 3) -> None:
    """mnist_epoch() of the reference, driven through our training generator; prints the same line."""
    sys.path.insert(0, str(REPO))
    import numpy as np

    from models.digits.net import MLP, MLPConfig
    from models.digits.train import DigitsData, DigitsTrainConfig, train

    rng = np.random.default_rng(0)
    x = rng.random((60000, 784), dtype=np.float32)  # (60000, 784)
    y = rng.integers(0, 10, 60000)  # (60000,)
    data = DigitsData(x, y)
    net = MLP(MLPConfig(sizes=(784, 128, 10), seed=0))
    times = []
    for epoch in range(repeats + 1):  # the first epoch is a warm-up
        config = DigitsTrainConfig.for_epochs(1, len(x), batch_size=64, lr=0.01, optimizer="sgd",
                                              schedule="constant", augment=False, eval_every=0, seed=epoch)
        steps = train(net, data, config)
        t0 = time.perf_counter()
        for report in steps:
            pass
        if epoch:
            times.append(time.perf_counter() - t0)
    print(f"mnist-epoch: {statistics.median(times):.4g} s per epoch (models.digits.net, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, "
          f"{report.step} steps, loss {report.loss:.3f})")


def our_cnn(repeats: int = 3) -> None:
    """The CNN workload through our training generator; prints a cnn-epoch line."""
    sys.path.insert(0, str(REPO))
    import numpy as np

    from models.digits.cnn import CNN
    from models.digits.train import DigitsData, DigitsTrainConfig, train

    rng = np.random.default_rng(0)
    data = DigitsData(rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000))
    net = CNN.from_config(CNN_SHAPE)
    config = DigitsTrainConfig(steps=10 + repeats * CNN_STEPS, batch_size=CNN_BATCH, lr=0.05, optimizer="momentum",
                               schedule="constant", augment=False, eval_every=0)
    gen = train(net, data, config)
    for _ in range(10):  # warm-up
        next(gen)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(CNN_STEPS):
            report = next(gen)
        times.append((time.perf_counter() - t0) / CNN_STEPS * CNN_EPOCH_STEPS)
    print(f"cnn-epoch: {statistics.median(times):.4g} s per epoch (models.digits.cnn {CNN_SHAPE}, "
          f"loss {report.loss:.3f})")


def torch_cnn(repeats: int = 3) -> None:
    """The same CNN workload in PyTorch (run by the reference interpreter)."""
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    c1, c2, hidden = CNN_SHAPE["c1"], CNN_SHAPE["c2"], CNN_SHAPE["hidden"]
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.random((60000, 1, 28, 28), dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, 10, 60000))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, c1, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(),
                          nn.Conv2d(c1, c2, 5, padding=2), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(),
                          nn.Linear(49 * c2, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    perm = torch.randperm(60000)

    def step(k):
        idx = perm[(k * CNN_BATCH) % 59904:(k * CNN_BATCH) % 59904 + CNN_BATCH]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for k in range(10):
        step(k)
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        for k in range(CNN_STEPS):
            loss = step(10 + r * CNN_STEPS + k)
        times.append((time.perf_counter() - t0) / CNN_STEPS * CNN_EPOCH_STEPS)
    print(f"cnn-epoch: {statistics.median(times):.4g} s per epoch (torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}, loss {float(loss):.3f})")


def latency(strokes: int = 20) -> None:
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
    deadline = time.monotonic() + 30
    while (tab.nets["cnn"] is None or tab.nets["mlp"] is None) and time.monotonic() < deadline:
        app.processEvents()  # the shipped nets load on a job thread
        time.sleep(0.01)
    assert tab.predictor == "cnn" and tab.net is not None
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
        print(f"stroke event -> bars repainted (CNN predictor, MLP beside it), {name}: median "
              f"{np.median(t):.2f} ms, 95th percentile {np.percentile(t, 95):.2f} ms, 99th percentile "
              f"{np.percentile(t, 99):.2f} ms, max {max(t):.2f} ms over {len(t)} events")
    print(f"CPU time of the GUI thread per event (what a busy machine stretches): median {np.median(cpu):.2f} ms, "
          f"95th percentile {np.percentile(cpu, 95):.2f} ms, 99th percentile {np.percentile(cpu, 99):.2f} ms")
    print(f"latency_ms={np.percentile(times + saliency, 99):.2f}")
    tab.shutdown()


def main():
    p = benchlib.parser(__doc__)
    p.add_argument("--ours", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--ours-cnn", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--torch-cnn", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--cnn", action="store_true", help="time the digits CNN against a torch CNN of the same shape")
    p.add_argument("--latency", action="store_true", help="measure the Digits tab's stroke-to-bars latency")
    args = p.parse_args()
    if args.ours:
        return our_workload()
    if args.ours_cnn:
        return our_cnn()
    if args.torch_cnn:
        return torch_cnn()
    if args.latency:
        return latency()
    if args.cnn:
        ref, ours = benchlib.alternate(args, [__file__, "--torch-cnn"], [__file__, "--ours-cnn"], CNN_LINE)
        ref, ours = [float(m.group(1)) for m in ref], [float(m.group(1)) for m in ours]
        return benchlib.report("models.digits.cnn", ref, ours, "s per epoch")
    ref, ours = benchlib.alternate(args, [benchlib.TORCH_REFERENCE, "mnist-epoch"], [__file__, "--ours"], LINE)
    ref, ours = [float(m.group(1)) for m in ref], [float(m.group(1)) for m in ours]
    benchlib.report("models.digits.net", ref, ours, "s per epoch")


if __name__ == "__main__":
    main()
