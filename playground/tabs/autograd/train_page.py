"""The Autograd tab's second page: a tiny MLP of Values learning to separate 2-D toy data,
trained in the tab's Runner, with the loss curve and the decision regions updated live."""
from __future__ import annotations

import sys
from functools import partial

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QPushButton, QRadioButton, QSpinBox,
                               QSplitter, QVBoxLayout, QWidget)

from models.autograd.model import LOSS_NAMES, LOSSES, PlaneMLP
from models.autograd.plane import plot_bounds
from models.autograd.toy_data import CLASSIFICATION, PlaneData, make_dataset
from models.autograd.train import AutogradTrainConfig, evaluate, snapshot, train, view_of
from models.core import checkpoint
from playground import shortcuts
from playground.tabs.autograd.network_form import NetworkForm
from playground.tabs.autograd.plane import DecisionPlane
from playground.widgets.explain import ExplainPanel
from playground.widgets.loss_plot import LossPlot
from playground.widgets.run_controls import RunControls
from playground.widgets.side_panel import SidePanel
from playground.widgets.weights_box import WeightsBox

RESOLUTION = 80  # decision-region grid: 6,400 points through NumPy per shown report
GIL_SWITCH_S = 0.001  # while training: the GUI waits at most ~1 ms for the GIL, not 5 ms
EXPLAIN = ("A neural net of Values",
           "The same engine as on the first page, now with a few hundred parameters: every "
           "weight is a Value, every step builds the graph of the loss over all points, calls "
           "backward() and nudges each weight against its grad (SGD). The colours show the "
           "class the network predicts everywhere; the line is where the score is 0. Click the "
           "plane to add points and watch the boundary bend around them.",
           "w ← w − lr · ∂loss/∂w")


class TrainPage(QWidget):
    status_message = Signal(str)
    error_raised = Signal(str)
    weights_loaded = Signal()

    def __init__(self, runner, jobs, parent=None):
        super().__init__(parent)
        self.runner, self.jobs = runner, jobs
        self.model = None
        self.step = 0
        self.base_X, self.base_y = np.zeros((0, 2)), np.zeros(0)
        self.added_X, self.added_y = [], []
        self.bounds = (-1.5, 1.5, -1.5, 1.5)
        self._restart = False  # points were added mid-run: start again when this run ends
        self._continuous = False
        self._switch_interval = None  # sys.getswitchinterval() to restore after a run

        # -- data ---------------------------------------------------------------------------------
        self.dataset = QComboBox()
        self.dataset.addItems(CLASSIFICATION)
        self.dataset.setToolTip("The toy problem: two classes in the plane")
        self.points = _spin(QSpinBox(), 10, 500, 100, "Number of points (the engine is scalar: "
                            "a step costs about 0.3 ms per point for a 16-16 net)")
        self.noise = _spin(QDoubleSpinBox(), 0.0, 1.0, 0.1, "How far points scatter from the "
                           "clean shape", step=0.05)
        self.data_seed = _spin(QSpinBox(), 0, 9999, 1, "Seed of the data: same seed, same points")
        for w in (self.dataset,):
            w.currentTextChanged.connect(self._on_data_settings_changed)
        for w in (self.points, self.noise, self.data_seed):
            w.valueChanged.connect(self._on_data_settings_changed)
        self.click_class = QRadioButton("Click adds blue (−1)")
        self.click_class.setChecked(True)
        self.click_class.setToolTip("Left click on the plane adds a point of this class; "
                                    "Shift+click adds the other class")
        other = QRadioButton("red (+1)")
        other.setToolTip(self.click_class.toolTip())
        click_row = QHBoxLayout()
        click_row.addWidget(self.click_class)
        click_row.addWidget(other)
        self.clear_added = QPushButton("Remove added points")
        self.clear_added.setToolTip("Forget the points you clicked in")
        self.clear_added.clicked.connect(self._on_clear_added_clicked)
        data_form = QFormLayout()
        data_form.addRow("Data", self.dataset)
        data_form.addRow("Points", self.points)
        data_form.addRow("Noise", self.noise)
        data_form.addRow("Seed", self.data_seed)
        data_form.addRow(click_row)
        data_form.addRow(self.clear_added)
        data_box = QGroupBox("Data")
        data_box.setLayout(data_form)

        # -- model --------------------------------------------------------------------------------
        self.network = NetworkForm()
        self.network.error_raised.connect(self.error_raised)
        self.weights = WeightsBox("tiny MLP weights", "Autograd MLP weights (*.npz);;All files (*)",
                                  "mlp.npz", tab="autograd", shipped_tip=None,
                                  new_tip="Start again from random weights with these settings")
        self.weights.new_requested.connect(self._on_new_weights_requested)
        self.weights.load_requested.connect(self.load)
        self.weights.save_requested.connect(self.save)

        # -- training -----------------------------------------------------------------------------
        self.loss = QComboBox()
        for key in LOSSES:
            self.loss.addItem(LOSS_NAMES[key], key)
        self.loss.setToolTip("max-margin: mean relu(1 − y·score), micrograd's demo; MSE: mean "
                             "(score − y)²; BCE: −log σ(y·score)")
        self.lr = _spin(QDoubleSpinBox(), 0.001, 10.0, 1.0, "SGD step size", step=0.1, decimals=3)
        self.decay = QCheckBox("Decay lr to a tenth over 100 steps")
        self.decay.setChecked(True)
        self.decay.setToolTip("micrograd's demo: lr · (1 − 0.9 · step / 100)")
        self.l2 = _spin(QDoubleSpinBox(), 0.0, 0.1, 1e-4, "Weight of the L2 penalty Σ w²",
                        step=1e-4, decimals=5)
        self.run_controls = RunControls(runner, step=True, start_text="Train")
        self.run_controls.start_button.setToolTip("Train until you pause or stop")
        self.run_controls.step_button.setToolTip("One SGD step on all points")
        shortcuts.bind(self.run_controls.start_button, "autograd.train")
        shortcuts.bind(self.run_controls.step_button, "autograd.step")
        self.run_controls.start_requested.connect(self._on_start_requested)
        self.run_controls.step_requested.connect(self._on_step_requested)
        train_form = QFormLayout()
        train_form.addRow("Loss", self.loss)
        train_form.addRow("Learning rate", self.lr)
        train_form.addRow(self.decay)
        train_form.addRow("L2", self.l2)
        train_form.addRow(self.run_controls)
        train_box = QGroupBox("Training")
        train_box.setLayout(train_form)
        # locked while a run uses them; clicking points onto the plane stays possible
        self.locked = [self.dataset, self.points, self.noise, self.data_seed, self.network,
                       self.loss, self.lr, self.decay, self.l2]

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("font-weight: bold")
        explain = ExplainPanel(*EXPLAIN)
        explain.setMinimumHeight(180)
        scroll = SidePanel([data_box, self.network, train_box, self.weights, self.status, explain])

        self.plane = DecisionPlane()
        self.plane.point_clicked.connect(self._on_plane_point_clicked)
        self.loss_plot = LossPlot(title="Loss", x_label="step", y_label="loss")
        plots = QSplitter(Qt.Vertical)
        plots.addWidget(self.plane)
        plots.addWidget(self.loss_plot)
        plots.setSizes([640, 300])
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(plots)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([440, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        runner.reported.connect(self._on_runner_reported)
        runner.finished.connect(self._on_runner_finished)
        runner.state_changed.connect(self._on_runner_state_changed)

    # -- data and model --------------------------------------------------------------------------
    def load_defaults(self) -> None:
        self.make_data()
        self.make_model()

    def make_data(self) -> None:
        self.base_X, self.base_y = make_dataset(self.dataset.currentText(), self.points.value(),
                                                self.noise.value(), self.data_seed.value())
        self.added_X, self.added_y = [], []
        self.bounds = plot_bounds(self.base_X)
        self.plane.set_bounds(self.bounds)
        self._show_data()

    def data(self):
        """All points: the generated set plus the clicked ones -> (X (n, 2), y (n,))."""
        if not self.added_X:
            return self.base_X, self.base_y
        return (np.concatenate([self.base_X, np.array(self.added_X)]),
                np.concatenate([self.base_y, np.array(self.added_y)]))

    def make_model(self) -> bool:
        try:
            self.model = PlaneMLP(self.network.hidden_sizes(), self.network.activations(),
                                  self.network.init_seed.value())
        except ValueError as e:
            self.error_raised.emit(str(e))
            return False
        self.step = 0
        self._clear_loss()
        self._show_model()
        return True

    def _show_data(self) -> None:
        X, y = self.data()
        self.plane.set_points(X, y)

    def _show_model(self) -> None:
        """Decision regions and accuracy from the model itself (only while no run uses it)."""
        X, y = self.data()
        view = view_of(self.model, self.bounds, RESOLUTION)
        self.plane.set_grid(view.grid, view.boundary)
        acc = evaluate(self.model, X, y)["accuracy"] if len(y) else 0.0
        sizes = "-".join(str(s) for s in self.model.sizes)
        self.status.setText(f"{sizes} network, {len(self.model.parameters())} parameters · "
                            f"step {self.step} · accuracy {acc:.0%} on {len(y)} points")

    # -- training --------------------------------------------------------------------------------
    def config(self) -> AutogradTrainConfig:
        return AutogradTrainConfig(loss=self.loss.currentData(), lr=self.lr.value(),
                                   schedule="linear" if self.decay.isChecked() else "constant",
                                   weight_decay=self.l2.value())

    def start(self, max_steps=None) -> bool:
        X, y = self.data()
        if len(y) == 0:
            self.error_raised.emit("There are no points to train on: add some by clicking.")
            return False
        model, data, config, start = self.model, PlaneData(X, y), self.config(), self.step
        self._continuous = max_steps is None
        if self._switch_interval is None:  # the engine never releases the GIL by itself:
            self._switch_interval = sys.getswitchinterval()  # hand it to the GUI more often
            sys.setswitchinterval(GIL_SWITCH_S)
        return self.runner.start(partial(train, model, data, config, start),
                                 snapshot=partial(snapshot, bounds=self.bounds,
                                                  resolution=RESOLUTION),
                                 max_steps=max_steps)

    @Slot()
    def _on_start_requested(self) -> None:
        self.start()

    @Slot()
    def _on_step_requested(self) -> None:
        self.start(max_steps=1)

    def _clear_loss(self) -> None:
        self.loss_plot.clear_data()

    def _add_loss(self, step: int, loss: float) -> None:
        self.loss_plot.add_point("train", step, loss)

    @Slot(object)
    def _on_runner_reported(self, report) -> None:
        self._add_loss(report.step, report.loss)
        self.plane.set_grid(report.payload.grid, report.payload.boundary)
        self.status.setText(f"step {report.step} · loss {report.loss:.4f} · accuracy "
                            f"{report.metrics['accuracy']:.0%} · lr {report.lr:.3g}")

    @Slot(int)
    def _on_runner_finished(self, steps: int) -> None:
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None
        self.step += steps
        self._show_model()
        if self._restart:
            self._restart = False
            self.start()

    @Slot(str)
    def _on_runner_state_changed(self, state: str) -> None:
        idle = state == "idle"
        for w in self.locked:
            w.setEnabled(idle)
        self.weights.set_idle(idle and not self.jobs.is_busy("weights"))
        if idle:
            self.status_message.emit(f"Trained {self.step} steps")

    # -- user input ------------------------------------------------------------------------------
    @Slot()
    def _on_data_settings_changed(self, *_) -> None:
        if not self.runner.is_busy():
            self.make_data()
            if self.model is not None:
                self._show_model()

    @Slot()
    def _on_new_weights_requested(self) -> None:
        if self.network.check():
            self.make_model()

    @Slot(float, float, bool)
    def _on_plane_point_clicked(self, x: float, y: float, shift: bool) -> None:
        label = -1.0 if self.click_class.isChecked() else 1.0
        self.added_X.append([x, y])
        self.added_y.append(-label if shift else label)
        self._data_changed()

    @Slot()
    def _on_clear_added_clicked(self) -> None:
        self.added_X, self.added_y = [], []
        self._data_changed()

    def _data_changed(self) -> None:
        self._show_data()
        if self.runner.is_busy():
            self._restart = self._continuous  # a running Train starts again with the new data
            self.runner.stop()
        else:
            self._show_model()

    # -- weights on disk (off the GUI thread) -----------------------------------------------------
    @Slot(str)
    def save(self, path: str) -> None:
        """Write the weights to `path` in a job (a copy of the model: training may start)."""
        meta = {"dataset": self.dataset.currentText(), "steps": self.step}
        self.jobs.submit("weights", checkpoint.save_model, path, self.model.copy(), meta,
                         done=self._on_weights_saved)

    @Slot(str)
    def load(self, path: str) -> None:
        """Read weights from `path` in a job; the model is swapped when it is done."""
        if self.runner.is_busy():
            self.error_raised.emit("Stop training before loading other weights.")
            return
        self.jobs.submit("weights", checkpoint.load_model, path, PlaneMLP,
                         done=self._on_weights_loaded)

    def _on_weights_saved(self, path) -> None:
        self.weights.set_status(f"Saved to {path.name}")
        self.status_message.emit(f"Saved the weights to {path}")

    def _on_weights_loaded(self, loaded) -> None:
        if self.runner.is_busy():  # Train was pressed while the file was read
            self.error_raised.emit("Stop training before loading other weights.")
            return
        self.model, self.step = loaded.model, 0
        self.network.set_architecture(self.model.sizes[1:-1], self.model.activations[:-1])
        self._clear_loss()
        self._show_model()
        self.weights.set_status("Loaded weights trained on "
                                f"{loaded.meta.get('dataset', 'unknown data')}")
        self.weights_loaded.emit()


def _spin(box, lo, hi, value, tip, step=None, decimals=None):
    if decimals is not None:
        box.setDecimals(decimals)
    box.setRange(lo, hi)
    if step is not None:
        box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    return box
