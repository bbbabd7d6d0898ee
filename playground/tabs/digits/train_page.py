"""The Train page of the Digits tab: settings, Train/Pause/Stop, live loss and accuracy curves,
the confusion matrix with each digit's accuracy, and a gallery of misclassified test digits
(click one to try it). The net the tab reads with is scored on the test set in a job the first
time the page shows it, so a shipped or loaded net arrives complete.

While training, each report updates only what shows: a hidden page keeps the latest numbers and
draws them when shown, and the live weights cross (at most every LIVE_EVERY s) only for a page
that reads drawings with them."""
from __future__ import annotations

import copy
import functools
import threading

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QGridLayout, QGroupBox, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QToolButton,
                               QVBoxLayout, QWidget)

from models.digits.augment import SLOPPY, AugmentConfig
from models.digits.cnn import CNN, CNNConfig
from models.digits.mnist import SIZES, load_mnist
from models.digits.net import ARCHITECTURES, MLP, MLPConfig, parse_arch
from models.digits.train import DigitsData, DigitsTrainConfig, snapshot, train
from playground.widgets.controls import ChoiceField, ControlsForm, FloatField, IntField
from playground.widgets.loss_plot import LossPlot
from playground.widgets.run_controls import RunControls
from playground.tabs.digits.confusion import ConfusionView
from playground.tabs.digits.files import LABELS, evaluate_weights, kind_of
from playground.tabs.digits.views import TileGrid

GALLERY = 40  # misclassified digits shown
CNN_ARCH = "CNN 16-32-128"  # the shipped CNN's shape (models.digits.cnn.CNNConfig())
LIVE_EVERY = 0.5  # seconds between live weight updates of the predictor while training
KEEP_SCORES = 4  # nets whose test results are remembered (the predictor toggles between two)
SETTINGS_SHARE = 0.35  # the settings column folds when it would take more of the page's width
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
    the run goes to a child process (or a worker), its reports arrive as snapshots, and the test
    set's scoring of a net runs in the tab's jobs. `reader_visible()` (set by the tab) says whether
    a page that reads drawings with the live weights shows."""
    weights_changed = Signal(object, object)  # net, meta (how it was made)
    digit_chosen = Signal(object)
    status = Signal(str)

    def __init__(self, runner, jobs, parent=None):
        super().__init__(parent)
        self.runner, self.jobs = runner, jobs
        self.reader_visible = lambda: True
        self.net = None  # the net the page describes when no run is on (the tab's predictor)
        self.scores: dict[int, tuple] = {}  # id(net) -> (net, its evaluation on the test set)
        self.cancel_scoring = threading.Event()  # the running scoring job's
        self.run_net = None  # the net a run trains (in the child: its state comes back at the end)
        self.live_net = None  # the GUI's copy of the net in training, filled from snapshots
        self.live_state: dict | None = None  # the newest weights from a report, not yet in live_net
        self.best_state: dict | None = None  # the best weights so far (from the reports)
        self.best_acc = -1.0
        self.losses: tuple[list, list] = ([], [])  # every reported (step, loss) of the run
        self.evals: list = []
        self.stale: set[str] = set()  # what a hidden page draws when shown: "loss", "acc"
        self.pending_eval = None  # (confusion, wrong, wrong_pred) not drawn yet
        self.x_test = self.y_test = None
        self.wrong = np.zeros(0, int)
        self.form = ControlsForm(FIELDS, settings_key="digits/train")
        self.form.changed.connect(self._on_form_changed)
        self.controls = RunControls(runner, start_text="&Train")
        self.controls.start_requested.connect(self._on_controls_start_requested)
        runner.reported.connect(self._on_runner_reported)
        runner.finished.connect(self._on_runner_finished)
        runner.state_changed.connect(self._on_runner_state_changed)
        self.summary = QLabel("Train a net from scratch here, or keep the shipped ones: their test results "
                              "show here.")
        self.summary.setWordWrap(True)
        self.summary.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # wraps, never widens the page
        self.settings_button = QToolButton()
        self.settings_button.setText("Settings")
        self.settings_button.setCheckable(True)
        self.settings_button.setChecked(True)
        self.settings_button.toggled.connect(self._on_settings_button_toggled)
        self._folded_by_user: bool | None = None  # None: the page's width decides

        self.loss_plot = LossPlot(title="Loss", x_label="step", y_label="cross-entropy", smoothing=0.9)
        self.acc_plot = LossPlot(title="Accuracy", x_label="epoch", y_label="accuracy (%)", smoothed=())
        for plot in (self.loss_plot, self.acc_plot):
            for axis in ("left", "bottom"):
                plot.getPlotItem().getAxis(axis).enableAutoSIPrefix(False)
        self.confusion = ConfusionView()
        self.gallery = TileGrid("Misclassified test digits appear here after the first evaluation.")
        self.gallery.setToolTip("Test digits the net gets wrong (true → guess). Click one to load it as the input.")
        self.gallery.tile_clicked.connect(self._on_gallery_tile_clicked)

        settings = QWidget()
        box = QVBoxLayout(settings)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.form)
        box.addStretch(1)
        self.settings_scroll = QScrollArea()  # on a short screen the settings scroll, never the figures
        self.settings_scroll.setWidgetResizable(True)
        self.settings_scroll.setFrameShape(QScrollArea.NoFrame)
        self.settings_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.settings_scroll.setWidget(settings)
        self.settings_box = QGroupBox("Training settings")
        self.settings_box.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Preferred)
        QVBoxLayout(self.settings_box).addWidget(self.settings_scroll)
        gallery_box = QGroupBox("Misclassified (click to try)")
        QVBoxLayout(gallery_box).addWidget(self.gallery)
        bar = QHBoxLayout()  # Train/Pause/Stop always in sight, the settings fold beside the figures
        bar.addWidget(self.controls, 0)
        bar.addWidget(self.settings_button, 0)
        bar.addWidget(self.summary, 1)
        figures = QGridLayout()  # the curves show from a run on; before, the test results take the height
        figures.addWidget(self.loss_plot, 0, 0)
        figures.addWidget(self.acc_plot, 0, 1)
        figures.addWidget(self.confusion, 1, 0)
        figures.addWidget(gallery_box, 1, 1)
        figures.setColumnStretch(0, 3)  # the matrix needs room for its labels and ten columns
        figures.setColumnStretch(1, 2)
        self.curves_of = None  # the net whose run the curves show (None: no curves)
        self._show_curves(False)
        body = QHBoxLayout()
        body.addWidget(self.settings_box, 0)
        body.addLayout(figures, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(body, 1)
        self._on_form_changed()

    def set_test_set(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x_test, self.y_test = x, y
        self.scores.clear()
        self._score_if_shown()

    def show_net(self, net) -> None:
        """The net the tab reads with changed (not a live one): show its test results, scoring it
        first if it was not yet (in a job, when the page shows)."""
        if self.live_net is not None or net is self.net:
            return
        self.net = net
        self._show_curves(net is self.curves_of)  # another net's history is not this one's
        for k in list(self.scores)[:-KEEP_SCORES]:  # the MLP's and the CNN's stay: scoring a CNN takes ~10 s
            del self.scores[k]
        self._score_if_shown()

    # -- the page's look ------------------------------------------------------------------------------
    def _show_curves(self, on: bool) -> None:
        self.loss_plot.setVisible(on)
        self.acc_plot.setVisible(on)

    def showEvent(self, event):
        super().showEvent(event)
        self._catch_up()
        self._score_if_shown()
        self._fit_settings()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit_settings()

    def _fit_settings(self) -> None:
        """The settings column shows whole (no truncated fields) or folds behind its button when it
        would take more than SETTINGS_SHARE of the width (a projector): the figures come first."""
        scroll = self.settings_scroll
        need = scroll.widget().minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4
        self.settings_scroll.setMinimumWidth(need)
        fold = self._folded_by_user if self._folded_by_user is not None else need > SETTINGS_SHARE * self.width()
        if self.settings_button.isChecked() == fold:
            self.settings_button.blockSignals(True)
            self.settings_button.setChecked(not fold)
            self.settings_button.blockSignals(False)
        self.settings_box.setVisible(not fold)

    @Slot(bool)
    def _on_settings_button_toggled(self, on):
        self._folded_by_user = not on
        self._fit_settings()

    @Slot(str, object)
    def _on_form_changed(self, *_):
        v = self.form.values()
        self.settings_button.setToolTip(f"Show or hide the training settings: {v['arch']}, lr {v['lr']:g}, batch "
                                        f"{v['batch_size']}, {v['epochs']} epochs, {v['optimizer']}, "
                                        f"{v['augmentation']} augmentation")

    # -- scoring a shipped or loaded net ----------------------------------------------------------
    def _score_if_shown(self) -> None:
        net = self.net
        if (net is None or self.x_test is None or self.live_net is not None or not self.isVisible()
                or self.runner.is_busy()):
            return
        if id(net) in self.scores and self.scores[id(net)][0] is net:
            if self.scores[id(net)][1] is not None:
                self._show_score(net, self.scores[id(net)][1])
            return  # scored, or being scored
        self.scores = {k: v for k, v in self.scores.items() if v[1] is not None}  # a job in flight is dropped
        self.scores[id(net)] = (net, None)
        self.confusion.set_title("Confusion (test): evaluating…")
        self.gallery.empty_text = f"Evaluating the {LABELS[kind_of(net)]} on the {len(self.y_test):,} test digits…"
        self.gallery.set_tiles(np.zeros((0, 28, 28)))
        self.summary.setText(f"Scoring the {LABELS[kind_of(net)]} on the {len(self.y_test):,} MNIST test digits…")
        self.cancel_scoring.set()  # an older job's net is not shown any more
        self.cancel_scoring = threading.Event()
        args = (type(net), net.get_config(), net.state_dict(), self.x_test, self.y_test, self.cancel_scoring)
        self.jobs.submit("evaluate", evaluate_weights, *args, done=functools.partial(self._on_scored, net))

    def _on_scored(self, net, result):
        if self.scores.get(id(net), (None,))[0] is not net or result is None:
            self.scores.pop(id(net), None)  # cancelled, or forgotten meanwhile (a new test set)
            return
        self.scores[id(net)] = (net, result)
        if net is self.net and self.live_net is None:
            self._show_score(net, result)

    def _show_score(self, net, result) -> None:
        self.show_evaluation(result["confusion"], result["wrong"], result["wrong_pred"])
        per_class = self.confusion.per_class()
        hardest = int(np.argmin(per_class))
        self.summary.setText(f"The {LABELS[kind_of(net)]} reads {result['test_acc']:.2%} of the "
                             f"{len(self.y_test):,} test digits right ({len(result['wrong'])} wrong); "
                             f"hardest: {hardest} ({per_class[hardest]:.1%}).")

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
        net = make_net(arch, config.seed)  # the run's (in a child process): the GUI never reads it during the run
        self.run_net = net
        self.live_net = copy.deepcopy(net)  # the same start, without a second random initialisation
        self.live_state, self.best_state, self.best_acc = None, None, -1.0
        self.losses, self.evals, self.stale, self.pending_eval = ([], []), [], set(), None
        self.cancel_scoring.set()  # the run is what the page shows now
        self.scores = {k: v for k, v in self.scores.items() if v[1] is not None}
        self.gallery.empty_text = "Misclassified test digits appear at the run's first evaluation."
        self.summary.setText(f"Training {arch}: the first evaluation comes after {config.eval_every} steps.")
        self.loss_plot.clear_data()
        self.acc_plot.clear_data()
        self.curves_of = self.live_net
        self._show_curves(True)
        self.confusion.set_title("Confusion (test)")

        def make_generator():  # runs in the child (or worker): loading 60,000 digits does not freeze the GUI
            sets = data if data is not None else (*load_mnist("train"), *load_mnist("test"))
            return train(net, DigitsData(*sets), config)

        self.status.emit(f"Training {arch} from scratch…")
        self.weights_changed.emit(self.live_net, {"training": True})
        return self.runner.start(make_generator, snapshot=functools.partial(snapshot, sent={}, state_every=LIVE_EVERY),
                                 model=net)

    @Slot()
    def _on_controls_start_requested(self):
        self.start()

    @Slot(object)
    def _on_runner_reported(self, r):
        if self.live_net is None:
            return
        shown = self.isVisible()
        self.losses[0].append(r.step)
        self.losses[1].append(r.loss)
        if shown and "loss" not in self.stale:
            self.loss_plot.add_point("train", r.step, r.loss)
        else:
            self.stale.add("loss")
        if "best_state" in r.payload:
            self.best_state = r.payload["best_state"]
        if "state" in r.payload:
            self.live_state = (r.step, r.payload["state"])
            if self.reader_visible():
                self.catch_up_live()
        evals = [e for e in r.payload["evals"] if "test_acc" in e]
        if len(evals) != len(self.evals):
            self.evals = evals
            self.stale.add("acc")
        e = r.payload.get("last_eval")  # present when it changed since the last report we got
        if e is not None:
            self.best_acc = e["best_acc"]
            self.pending_eval = (e["confusion"], e["wrong"], e["wrong_pred"])
            self.summary.setText(f"Step {e['step']:,} of {r.payload['total_steps']:,} · epoch {e['epoch']:.2f} · "
                                 f"test accuracy {e['test_acc']:.2%} (best {e['best_acc']:.2%})")
        if shown:
            self._catch_up()

    def catch_up_live(self) -> bool:
        """Put the newest reported weights into the live net (the tab calls this when a page that
        reads drawings shows); True when it did (weights_changed went out)."""
        if self.live_net is None or self.live_state is None:
            return False
        step, state = self.live_state
        self.live_state = None
        self.live_net.load_state_dict(state)
        self.weights_changed.emit(self.live_net, {"training": True, "steps": step})
        return True

    def _catch_up(self) -> None:
        """Draw what arrived while the page was hidden."""
        if "loss" in self.stale:
            self.stale.discard("loss")
            self.loss_plot.set_series("train", *self.losses)
        if "acc" in self.stale:
            self.stale.discard("acc")
            epochs = [e["epoch"] for e in self.evals]
            self.acc_plot.set_series("train", epochs, [100 * e["train_acc"] for e in self.evals])
            self.acc_plot.set_series("test", epochs, [100 * e["test_acc"] for e in self.evals])
        if self.pending_eval is not None:
            pending, self.pending_eval = self.pending_eval, None
            self.show_evaluation(*pending)

    def show_evaluation(self, confusion: np.ndarray, wrong: np.ndarray, wrong_pred: np.ndarray) -> None:
        self.confusion.set_counts(confusion)
        self.wrong = np.asarray(wrong)[:GALLERY]
        self.gallery.empty_text = "No test digit misread."
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
        else:  # the run's own net holds its last weights (back from the child process)
            self.live_net.load_state_dict(self.run_net.state_dict())
            note = "stopped before the first evaluation: kept the weights as they are"
        self._catch_up()
        net, self.live_net, self.live_state, self.run_net = self.live_net, None, None, None
        self.curves_of = net  # the curves stay with the net they trained
        meta = {"steps": steps, **({"test_accuracy": self.best_acc} if self.best_acc >= 0 else {})}
        self.summary.setText(f"Done after {steps:,} steps; {note}.")
        self.status.emit(f"Training finished after {steps:,} steps; {note}.")
        self.weights_changed.emit(net, meta)  # -> show_net(net): the kept weights are scored when shown

    @Slot(str)
    def _on_runner_state_changed(self, state):
        self.form.set_editable(state == "idle")

    @Slot(int)
    def _on_gallery_tile_clicked(self, i):
        if 0 <= i < len(self.wrong) and self.x_test is not None:
            k = int(self.wrong[i])
            self.digit_chosen.emit(self.x_test[k].astype(np.float32) / 255)
            self.status.emit(f"Test digit #{k}: a {int(self.y_test[k])} the net misread.")
