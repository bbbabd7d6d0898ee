"""The Train page of the Digits tab: settings, Train/Pause/Stop, live loss and accuracy curves,
the confusion matrix and a gallery of misclassified test digits (click one to try it)."""
from __future__ import annotations

import functools
import time

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from models.digits.augment import SLOPPY, AugmentConfig
from models.digits.cnn import CNN, CNNConfig
from models.digits.mnist import SIZES, load_mnist
from models.digits.net import ARCHITECTURES, MLP, MLPConfig, parse_arch
from models.digits.train import DigitsData, DigitsTrainConfig, snapshot, train
from playground.widgets.controls import ChoiceField, ControlsForm, FloatField, IntField
from playground.widgets.heatmap import Heatmap
from playground.widgets.loss_plot import LossPlot
from playground.widgets.run_controls import RunControls
from playground.tabs.digits.views import TileGrid

GALLERY = 40  # misclassified digits shown
CNN_ARCH = "CNN 16-32-128"  # the shipped CNN's shape (models.digits.cnn.CNNConfig())
LIVE_EVERY = 0.5  # seconds between live weight updates of the predictor while training
FIELDS = [
    ChoiceField("arch", "Architecture", ARCHITECTURES + (CNN_ARCH,), "784-128-10",
                tooltip="MLP layer widths (784 pixels in, one or two hidden ReLU layers, 10 digits out), "
                        "or the small CNN: two 5×5 convolutions with 2×2 max-pooling, then 128 hidden units"),
    FloatField("lr", "Learning rate", 0.05, 1e-5, 5.0, decimals=4,
               tooltip="Step size (the peak: it decays along a cosine to 0 over the run)"),
    IntField("batch_size", "Batch size", 64, 1, 4096, tooltip="Images per step"),
    IntField("epochs", "Epochs", 3, 1, 200, tooltip="Passes over the 60,000 training images"),
    ChoiceField("optimizer", "Optimizer", ("momentum", "sgd", "adam"), "momentum",
                tooltip="SGD with momentum 0.9, plain SGD, or Adam (try lr 0.001 for Adam)"),
    ChoiceField("augmentation", "Augmentation", ("sloppy", "classic", "none"), "sloppy",
                tooltip="Random distortions of each batch. classic: shifts, rotations, sizes, slant, stroke "
                        "weight; sloppy: stronger, plus wobble, gaps and stray specks, like children's drawings"),
]


def make_net(arch: str, seed: int = 0):
    """A fresh net for an Architecture choice."""
    if arch == CNN_ARCH:
        return CNN(CNNConfig(seed=seed))
    return MLP(MLPConfig(sizes=parse_arch(arch), seed=seed))


class TrainPage(QWidget):
    """Trains a fresh net in the tab's runner. Signals: `weights_changed(net, meta)` whenever the net to
    predict with changes (live during training, at the end); `digit_chosen(image)` when a gallery
    digit is clicked; `status(str)` for the status bar. Everything here lives on the GUI thread:
    the worker only runs the generator, and its reports arrive as snapshots."""
    weights_changed = Signal(object, object)  # net, meta (how it was made) 
    digit_chosen = Signal(object)
    status = Signal(str)

    def __init__(self, runner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.live_net = None  # the GUI's copy of the net in training, filled from snapshots
        self.best_state: dict | None = None  # the best weights so far (from the reports)
        self.best_acc = -1.0
        self.last_live = 0.0
        self.x_test = self.y_test = None
        self.wrong = np.zeros(0, int)
        self.form = ControlsForm(FIELDS, settings_key="digits/train")
        self.controls = RunControls(runner, start_text="&Train")
        self.controls.start_requested.connect(self._on_controls_start_requested)
        runner.reported.connect(self._on_runner_reported)
        runner.finished.connect(self._on_runner_finished)
        runner.state_changed.connect(self._on_runner_state_changed)
        self.summary = QLabel("Train a net from scratch here, or keep the shipped ones (the predictor's score "
                              "is in the Weights box).")
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

        settings = QWidget()
        box = QVBoxLayout(settings)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.form)
        box.addWidget(self.controls)
        box.addWidget(self.summary)
        box.addStretch(1)
        scroll = QScrollArea()  # on a 720-line projector in presentation mode the settings scroll
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(settings)
        settings_box = QGroupBox("Training")
        settings_box.setMaximumWidth(self.form.sizeHint().width() + 60)
        QVBoxLayout(settings_box).addWidget(scroll)
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
    def config(self, n_train: int = SIZES["train"]) -> tuple[str, DigitsTrainConfig]:
        v = self.form.values()
        config = DigitsTrainConfig.for_epochs(
            int(v["epochs"]), n_train, batch_size=int(v["batch_size"]), lr=float(v["lr"]), optimizer=v["optimizer"],
            augment=v["augmentation"] != "none", augment_config=SLOPPY if v["augmentation"] == "sloppy" else AugmentConfig(),
            seed=0)  # reproducible runs
        steps_per_epoch = -(-n_train // config.batch_size)
        config.eval_every = max(20, steps_per_epoch // 4)  # four points per epoch on the curves
        return v["arch"], config

    def start(self, data=None) -> bool:
        """Start training a fresh net; `data` = (x, y, x_test, y_test) replaces MNIST (tests)."""
        if self.runner.is_busy():
            return False
        arch, config = self.config(len(data[0]) if data is not None else SIZES["train"])
        net = make_net(arch, config.seed)  # the worker's: the GUI never reads it
        self.live_net = make_net(arch)
        self.live_net.load_state_dict(net.state_dict())
        self.best_state, self.best_acc, self.last_live = None, -1.0, 0.0
        self.loss_plot.clear_data()
        self.acc_plot.clear_data()

        def make_generator():  # runs in the worker: loading 60,000 digits does not freeze the GUI
            sets = data if data is not None else (*load_mnist("train"), *load_mnist("test"))
            return train(net, DigitsData(*sets), config)

        self.status.emit(f"Training {arch} from scratch…")
        self.weights_changed.emit(self.live_net, {"training": True})
        return self.runner.start(make_generator, snapshot=functools.partial(snapshot, sent={}))

    @Slot()
    def _on_controls_start_requested(self):
        self.start()

    @Slot(object)
    def _on_runner_reported(self, r):
        if self.live_net is None:
            return
        self.loss_plot.add_point("train", r.step, r.loss)
        if "best_state" in r.payload:
            self.best_state = r.payload["best_state"]
        now = time.monotonic()
        if "last_eval" in r.payload or now - self.last_live > LIVE_EVERY:
            self.live_net.load_state_dict(r.payload["state"])
            self.weights_changed.emit(self.live_net, {"training": True, "steps": r.step})
            self.last_live = now
        evals = [e for e in r.payload["evals"] if "test_acc" in e]
        if evals and len(evals) != len(self.acc_plot.series("test")[0]):
            self.acc_plot.set_series("train", [e["epoch"] for e in evals], [100 * e["train_acc"] for e in evals])
            self.acc_plot.set_series("test", [e["epoch"] for e in evals], [100 * e["test_acc"] for e in evals])
        e = r.payload.get("last_eval")  # present when it changed since the last report we got
        if e is not None:
            self.best_acc = e["best_acc"]
            self.show_evaluation(e["confusion"], e["wrong"], e["wrong_pred"])
            self.summary.setText(f"Step {e['step']:,} of {r.payload['total_steps']:,} · epoch {e['epoch']:.2f} · "
                                 f"test accuracy {e['test_acc']:.2%} (best {e['best_acc']:.2%})")

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
        if self.live_net is None:
            return
        if self.best_state is not None:
            self.live_net.load_state_dict(self.best_state)
            note = f"kept the best weights: test accuracy {self.best_acc:.2%}"
        else:
            note = "stopped before the first evaluation: kept the weights as they are"
        meta = {"steps": steps, **({"test_accuracy": self.best_acc} if self.best_acc >= 0 else {})}
        self.weights_changed.emit(self.live_net, meta)
        self.summary.setText(f"Done after {steps:,} steps; {note}.")
        self.status.emit(f"Training finished after {steps:,} steps; {note}.")
        self.live_net = None

    @Slot(str)
    def _on_runner_state_changed(self, state):
        self.form.set_editable(state == "idle")

    @Slot(int)
    def _on_gallery_tile_clicked(self, i):
        if 0 <= i < len(self.wrong) and self.x_test is not None:
            k = int(self.wrong[i])
            self.digit_chosen.emit(self.x_test[k].astype(np.float32) / 255)
            self.status.emit(f"Test digit #{k}: a {int(self.y_test[k])} the net misread.")

