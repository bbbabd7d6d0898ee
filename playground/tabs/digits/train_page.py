"""The Train page of the Digits tab: settings, Train/Pause/Stop, live loss and accuracy curves,
the confusion matrix and a gallery of misclassified test digits (click one to try it)."""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from models.digits.mnist import load_mnist
from models.digits.net import ARCHITECTURES, MLP, MLPConfig, parse_arch
from models.digits.train import TrainConfig, Training
from playground.runner import copy_arrays
from playground.widgets.controls import BoolField, ChoiceField, ControlsForm, FloatField, IntField
from playground.widgets.heatmap import Heatmap
from playground.widgets.loss_plot import LossPlot
from playground.widgets.run_controls import RunControls
from playground.tabs.digits.views import TileGrid

GALLERY = 40  # misclassified digits shown
FIELDS = [
    ChoiceField("arch", "Architecture", ARCHITECTURES, "784-128-10",
                tooltip="Layer widths: 784 pixels in, one or two hidden ReLU layers, 10 digits out"),
    FloatField("lr", "Learning rate", 0.05, 1e-5, 5.0, decimals=4,
               tooltip="Step size (the peak: it decays along a cosine to 0 over the run)"),
    IntField("batch_size", "Batch size", 64, 1, 4096, tooltip="Images per step"),
    IntField("epochs", "Epochs", 3, 1, 200, tooltip="Passes over the 60,000 training images"),
    ChoiceField("optimizer", "Optimizer", ("momentum", "sgd", "adam"), "momentum",
                tooltip="SGD with momentum 0.9, plain SGD, or Adam (try lr 0.001 for Adam)"),
    BoolField("augment", "Augmentation", True,
              tooltip="Random shifts, rotations, sizes, slant and stroke weight: slower to fit "
                      "MNIST, much better at reading what people draw"),
]


class TrainPage(QWidget):
    """Trains a fresh net in the tab's runner. Signals: `weights_changed(MLP)` whenever the net to
    predict with changes (live during training, at the end, after loading); `digit_chosen(image)`
    when a gallery digit is clicked; `status(str)` for the status bar."""
    weights_changed = Signal(object)
    digit_chosen = Signal(object)
    status = Signal(str)

    def __init__(self, runner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.training: Training | None = None
        self.live_net: MLP | None = None
        self.x_test = self.y_test = None
        self.wrong = np.zeros(0, int)
        self.form = ControlsForm(FIELDS, settings_key="digits/train")
        self.controls = RunControls(runner, start_text="&Train")
        self.controls.start_requested.connect(self._on_controls_start_requested)
        runner.reported.connect(self._on_runner_reported)
        runner.finished.connect(self._on_runner_finished)
        runner.state_changed.connect(self._on_runner_state_changed)
        self.summary = QLabel("Train a net from scratch here, or keep the shipped one (99.1% on the test set).")
        self.summary.setWordWrap(True)

        self.loss_plot = LossPlot(title="Loss", x_label="step", y_label="cross-entropy", smoothing=0.9)
        self.acc_plot = LossPlot(title="Accuracy", x_label="epoch", y_label="accuracy (%)", smoothed=())
        for plot in (self.loss_plot, self.acc_plot):
            for axis in ("left", "bottom"):
                plot.getPlotItem().getAxis(axis).enableAutoSIPrefix(False)
        self.confusion = Heatmap(title="Confusion (test)", x_label="predicted", y_label="true", colorbar=False,
                                 cell_font_scale=0.75)
        self.confusion.setToolTip("Rows: the true digit; columns: the net's guess. Off the diagonal are its mistakes.")
        self.gallery = TileGrid("Misclassified test digits appear here after the first evaluation.")
        self.gallery.setToolTip("Test digits the net gets wrong (true → guess). Click one to load it as the input.")
        self.gallery.tile_clicked.connect(self._on_gallery_tile_clicked)

        settings_box = QGroupBox("Training")
        settings_box.setMaximumWidth(self.form.sizeHint().width() + 60)
        box = QVBoxLayout(settings_box)
        box.addWidget(self.form)
        box.addWidget(self.controls)
        box.addWidget(self.summary)
        gallery_box = QGroupBox("Misclassified (click to try)")
        QVBoxLayout(gallery_box).addWidget(self.gallery)
        top = QHBoxLayout()  # two independent rows: the settings never squeeze the matrix
        top.addWidget(settings_box, 0)
        top.addWidget(self.loss_plot, 1)
        top.addWidget(self.acc_plot, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.confusion, 1)
        bottom.addWidget(gallery_box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(bottom, 1)

    def set_test_set(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x_test, self.y_test = x, y

    # -- running -------------------------------------------------------------------------------
    def config(self) -> tuple[tuple, TrainConfig]:
        v = self.form.values()
        return parse_arch(v["arch"]), TrainConfig(
            epochs=int(v["epochs"]), batch_size=int(v["batch_size"]), lr=float(v["lr"]),
            optimizer=v["optimizer"], augment=bool(v["augment"]), seed=0)  # reproducible runs

    def start(self, data=None) -> bool:
        """Start training a fresh net; `data` = (x, y, x_test, y_test) replaces MNIST (tests)."""
        if self.runner.is_busy():
            return False
        sizes, config = self.config()
        net = MLP(MLPConfig(sizes=sizes, seed=config.seed))
        self.live_net = MLP(MLPConfig(sizes=sizes))  # the GUI's copy, filled from snapshots
        self.live_net.set_arrays(net.arrays())
        self.loss_plot.clear_data()
        self.acc_plot.clear_data()
        holder = {"last_copy": 0.0}

        def make_generator():  # runs in the worker: loading 60,000 digits does not freeze the GUI
            x, y, xt, yt = data if data is not None else (*load_mnist("train"), *load_mnist("test"))
            steps = max(1, -(-len(x) // config.batch_size))
            config.eval_every = max(20, steps // 4)  # four points per epoch on the curves
            self.training = Training(net, x, y, config, xt, yt)
            holder["training"] = self.training
            return self.training.run()

        def snapshot(report):  # worker thread, only for reports that reach the GUI
            out = copy_arrays(report)
            now = time.monotonic()
            if "test_acc" in report or now - holder["last_copy"] > 0.5:
                out["arrays"] = net.arrays()
                holder["last_copy"] = now
            out["total_steps"] = holder["training"].total_steps
            return out

        self.status.emit(f"Training {'-'.join(map(str, sizes))} from scratch…")
        self.weights_changed.emit(self.live_net)
        return self.runner.start(make_generator, snapshot=snapshot)

    @Slot()
    def _on_controls_start_requested(self):
        self.start()

    @Slot(object)
    def _on_runner_reported(self, r):
        if self.live_net is None:
            return
        self.loss_plot.add_point("train", r["step"], r["loss"])
        if "arrays" in r:
            self.live_net.set_arrays(r["arrays"])
            self.weights_changed.emit(self.live_net)
        if "test_acc" in r:
            self.acc_plot.add_point("train", r["epoch"], 100 * r["train_acc"])
            self.acc_plot.add_point("test", r["epoch"], 100 * r["test_acc"])
            self.show_evaluation(r["confusion"], r["wrong"], r["wrong_pred"])
            self.summary.setText(f"Step {r['step']:,} of {r['total_steps']:,} · epoch {r['epoch']:.2f} · "
                                 f"test accuracy {r['test_acc']:.2%} (best {r['best_acc']:.2%})")

    def show_evaluation(self, confusion: np.ndarray, wrong: np.ndarray, wrong_pred: np.ndarray) -> None:
        labels = [str(d) for d in range(10)]
        self.confusion.set_matrix(np.log1p(confusion), labels, labels, cell_text=confusion.astype(int))
        self.wrong = np.asarray(wrong)[:GALLERY]
        if self.x_test is not None and len(self.wrong):
            tiles = self.x_test[self.wrong].astype(np.float32) / 255
            captions = [f"{int(self.y_test[i])}→{int(p)}" for i, p in zip(self.wrong, wrong_pred[:GALLERY])]
            self.gallery.set_tiles(tiles, captions)
        else:
            self.gallery.set_tiles(np.zeros((0, 28, 28)))

    @Slot(int)
    def _on_runner_finished(self, steps):
        if self.live_net is None or self.training is None:
            return
        t = self.training  # the thread has finished: its arrays are ours to read now
        if t.best_accuracy >= 0:
            self.live_net.set_arrays(t.best_arrays)
            note = f"kept the best weights: test accuracy {t.best_accuracy:.2%}"
        else:
            self.live_net.set_arrays(t.net.arrays())
            note = "stopped before the first evaluation: kept the weights as they are"
        self.live_net.meta = {"test_accuracy": max(t.best_accuracy, 0.0), "steps": steps}
        self.weights_changed.emit(self.live_net)
        self.summary.setText(f"Done after {steps:,} steps; {note}.")
        self.status.emit(f"Training finished after {steps:,} steps; {note}.")
        self.training = None

    @Slot(str)
    def _on_runner_state_changed(self, state):
        self.form.set_editable(state == "idle")

    @Slot(int)
    def _on_gallery_tile_clicked(self, i):
        if 0 <= i < len(self.wrong) and self.x_test is not None:
            k = int(self.wrong[i])
            self.digit_chosen.emit(self.x_test[k].astype(np.float32) / 255)
            self.status.emit(f"Test digit #{k}: a {int(self.y_test[k])} the net misread.")

