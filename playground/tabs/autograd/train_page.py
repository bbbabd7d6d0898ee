"""The Autograd tab's second page: a tiny MLP of Values learning a toy problem in the plane, drawn
the way TensorFlow Playground draws it (network view, neuron heatmaps, weighted lines, train and
test loss), trained on the Value engine in the tab's Runner.

The run steps the model in a child process (runner.start(..., model=, live=)): the engine's
Python never holds the window's GIL. The GUI thread owns the model only while no run goes on;
the trained weights (and the last step's grads) come back into it when the run ends. During a
run it applies the snapshots (models.autograd.train.snapshot: the plane, every neuron's grid
and thumbnail, computed next to the run at the view's rate) and sends changes of the learning
rate, the regularisation and edited weights through a `Live` object. Other changes (data,
batch size, loss) restart the run where it stands: same model, same step count. A hidden page
keeps only the last snapshot and draws it when shown.

Speed (tests/benchmarks/bench_autograd.py, bench_gui.py): a 2-8-8-1 net on 100 points takes
~13 ms of CPU a step. What limits it: every step makes ~4,000 Python Value objects, sorts them
and walks them back; in its own process that costs the window nothing.
"""
from __future__ import annotations

from functools import partial

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from models.autograd import features as feats
from models.autograd.model import PlaneMLP
from models.autograd.plane import plot_bounds
from models.autograd.toy_data import MAX_POINTS, PlaneData, make_dataset, split
from models.autograd.train import AutogradTrainConfig, Live, evaluate, snapshot, train, view_of
from playground import style as app_style
from playground.tabs.autograd.inspect_box import InspectBox
from playground.tabs.autograd.lesson import LessonMixin
from playground.tabs.autograd.network_form import NetworkForm
from playground.tabs.autograd.network_view import NetworkView
from playground.tabs.autograd.plane import DecisionPlane
from playground.tabs.autograd.selection import RESOLUTION, SelectionMixin
from playground.tabs.autograd.text import TRAIN_EXPLAIN
from playground.tabs.autograd.train_controls import DataBox, LessonBox, TrainingBox
from playground.tabs.autograd.weights_io import WeightsFileMixin
from playground.widgets.explain import ExplainPanel
from playground.widgets.loss_plot import LossPlot
from playground.widgets.side_panel import SidePanel
from playground.widgets.weights_box import WeightsBox

FIGURE_MIN_PX = 720  # presentation mode: the network and the plane need this much width; where
# the window cannot give it beside the controls (a 1024-wide projector) it folds them


class TrainPage(LessonMixin, SelectionMixin, WeightsFileMixin, QWidget):
    status_message = Signal(str)
    error_raised = Signal(str)
    weights_loaded = Signal()
    graph_opened = Signal(object, str)  # a NetworkPointGraph for the Graph page, what it is

    def __init__(self, runner, jobs, parent=None):
        super().__init__(parent)
        self.runner, self.jobs = runner, jobs
        self.model: PlaneMLP | None = None
        self.step = 0
        self.features = feats.DEFAULT
        self.split_data = PlaneData(np.zeros((0, 2)), np.zeros(0))
        self.added_X, self.added_y = [], []
        self.bounds = (-1.5, 1.5, -1.5, 1.5)  # the plane the field covers: the plot's whole view
        self.view_ = None  # the PlaneView on screen: copies, GUI-owned
        self.live: Live | None = None  # the running run's channel for live settings
        self.hovered = self.pinned = None  # (layer, j) of a neuron shown big
        self.selected = None  # (state_dict name, index) of the weight in the Selected box
        self._restart = False  # settings changed mid-run: start again when this run ends
        self._continuous = False
        self._stale = False  # a report arrived while the page was hidden: draw it when shown
        self._reported_step = 0  # the step of the last report shown
        self._failed = ""  # why the run on its way out failed (divergence), for the status

        self.data_box = DataBox()
        self.data_box.changed.connect(self._on_data_changed)
        self.data_box.clear_added.clicked.connect(self._on_clear_added_clicked)
        self.network = NetworkForm()
        self.network.error_raised.connect(self.error_raised)
        self.network.changed.connect(self._on_network_changed)
        self.training = TrainingBox(runner)
        self.training.live_changed.connect(self._on_live_changed)
        for w in (self.training.loss.currentIndexChanged, self.training.decay.toggled,
                  self.training.batch.valueChanged):
            w.connect(self._on_training_changed)
        self.training.run_controls.start_requested.connect(self._on_start_requested)
        self.training.run_controls.step_requested.connect(self._on_step_requested)
        self.run_controls = self.training.run_controls
        self.weights = WeightsBox("tiny MLP weights", "Autograd MLP weights (*.npz);;All files (*)",
                                  "mlp.npz", tab="autograd", shipped_tip=None,
                                  new_tip="Start again from random weights with these settings")
        self.weights.new_requested.connect(self._on_new_weights_requested)
        self.weights.load_requested.connect(self.load)
        self.weights.save_requested.connect(self.save)
        self.inspect = InspectBox()
        self.inspect.weight_edited.connect(self._on_weight_edited)
        self.inspect.graph_requested.connect(self._on_graph_requested)
        self.inspect.point_changed.connect(self._on_point_changed)
        self.lesson = LessonBox()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        bold = self.status.font()
        bold.setBold(True)  # only the weight: the size still follows zoom and presentation mode
        self.status.setFont(bold)
        self.explain = ExplainPanel(*TRAIN_EXPLAIN)
        self.explain.setMinimumHeight(180)
        self.side = SidePanel([self.status, self.data_box, self.training, self.network,
                               self.inspect, self.weights, self.lesson, self.explain])
        # locked while a run uses them (the rest applies live or restarts the run)
        self.locked = [self.data_box.problem, self.network]

        self.network_view = NetworkView()
        self.network_view.feature_toggled.connect(self._on_feature_toggled)
        self.network_view.neuron_hovered.connect(self._on_neuron_hovered)
        self.network_view.neuron_clicked.connect(self._on_neuron_clicked)
        self.network_view.weight_clicked.connect(self._on_weight_clicked)
        self.plane = DecisionPlane()
        self.plane.point_clicked.connect(self._on_plane_point_clicked)
        self.plane.view_changed.connect(self._on_plane_view_changed)
        self.loss_plot = LossPlot(title="Loss", x_label="step", y_label="loss")
        self.loss_plot.getPlotItem().getAxis("left").enableAutoSIPrefix(False)  # 0.2, not 200 (x0.001)
        self.show_test = QCheckBox("Show test data")
        self.show_test.setChecked(True)
        self.show_test.setToolTip("Draw the held-out points too (hollow)")
        self.discretize = QCheckBox("Discretize output")
        self.discretize.setToolTip("Colour the plane by the sign of the output only")
        for box in (self.show_test, self.discretize):
            box.toggled.connect(self._on_view_option_toggled)
        plots = _split(Qt.Vertical, (self.plane, self.loss_plot), (620, 300))
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        for w in (self.show_test, self.discretize):
            bar.addWidget(w)
        bar.addStretch(1)
        right_layout.addLayout(bar)
        right_layout.addWidget(_split(Qt.Horizontal, (self.network_view, plots), (520, 560)), 1)
        self.figure = right
        self.splitter = splitter = _split(Qt.Horizontal, (self.side, right), (420, 1100))
        splitter.setStretchFactor(1, 1)
        self._narrowed = False  # the controls were given only what they need (first show)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.init_lesson()

        self._on_style_changed(app_style.current())
        app_style.bus().changed.connect(self._on_style_changed)
        runner.reported.connect(self._on_runner_reported)
        runner.finished.connect(self._on_runner_finished)
        runner.failed.connect(self._on_runner_failed)
        runner.state_changed.connect(self._on_runner_state_changed)

    @Slot(object)
    def _on_style_changed(self, st) -> None:
        self.figure.setMinimumWidth(FIGURE_MIN_PX if st.presentation else 0)
        if self._narrowed:
            QTimer.singleShot(0, self, self._narrow_controls)  # once the new fonts are laid out

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale and self.view_ is not None:
            self._show_view(self.view_)
        if not self._narrowed:
            self._narrowed = True
            QTimer.singleShot(0, self, self._narrow_controls)

    @Slot()
    def _narrow_controls(self) -> None:
        """The controls get the width they need, the figure all the rest."""
        if self.side.is_collapsed():
            return
        total = sum(self.splitter.sizes())
        need = (self.side.widget().minimumSizeHint().width()  # measured now that it is shown
                + self.side.verticalScrollBar().sizeHint().width() + 6)
        side = max(self.side.minimumWidth(), need)
        self.splitter.setSizes([side, max(0, total - side)])

    # -- data and model --------------------------------------------------------------------------
    def load_defaults(self) -> None:
        self.make_data()
        self.make_model()

    def make_data(self) -> bool:
        box = self.data_box
        try:
            X, y = make_dataset(box.name(), box.points.value(), box.noise_value(), box.seed.value())
            self.split_data = split(X, y, box.test.value() / 100, box.seed.value())
        except ValueError as e:
            self.error_raised.emit(str(e))
            return False
        self.plane.set_bounds(plot_bounds(X))  # the view shows them (and more on one axis) ...
        self.bounds = self.plane.visible_bounds()  # ... and the field covers all it shows
        self._show_data()
        return True

    def data(self) -> PlaneData:
        """The training points (the split's plus the clicked ones) and the test points."""
        d = self.split_data
        if not self.added_X:
            return d
        return PlaneData(np.concatenate([d.X, self.added_X]), np.concatenate([d.y, self.added_y]),
                         d.X_test, d.y_test)

    def make_model(self) -> bool:
        try:
            self.model = PlaneMLP(self.network.hidden_sizes(), self.network.activations(),
                                  self.network.init_seed.value(), self.features,
                                  self.data_box.task())
        except ValueError as e:
            self.error_raised.emit(str(e))
            return False
        self.step = 0
        self.loss_plot.clear_data()
        self._model_changed()
        return True

    def _model_changed(self) -> None:
        m = self.model
        self.features = m.features
        self.network_view.set_network(m.features, m.sizes, m.activations)
        self.training.loss.setEnabled(m.task == "classify")
        self._show_model()

    def _show_data(self) -> None:
        d = self.data()
        self.plane.set_points(d.X, d.y, d.X_test, d.y_test)
        self.plane.set_mode(self.data_box.task(), self.discretize.isChecked(),
                            self.show_test.isChecked())
        self.inspect.set_points(len(d.y))

    def _show_model(self) -> None:
        """Everything from the model itself (only while no run uses it)."""
        self._show_view(view_of(self.model, self.bounds, RESOLUTION))
        d, m, loss = self.data(), self.model, self.config().loss
        text = f"{'-'.join(map(str, m.sizes))} network, {len(m.parameters())} weights · step " \
               f"{self.step}"
        for part, X, y in (("", d.X, d.y), ("test ", d.X_test, d.y_test)):
            if len(y):
                got = evaluate(m, X, y, loss)
                text += f" · {part}loss {got['loss']:.4f}"
                if "accuracy" in got:
                    text += f", {part}accuracy {got['accuracy']:.0%}"
        self.status.setText(text)

    def _show_view(self, view) -> None:
        self.view_ = view
        self._stale = not self.isVisible()
        if self._stale:
            return  # nobody sees it: showEvent draws the latest
        self.plane.show(view.grid, view.boundary, *self._neuron_grid(), bounds=view.bounds)
        self.network_view.set_view(view)
        self._show_selected()

    # -- training --------------------------------------------------------------------------------
    def config(self) -> AutogradTrainConfig:
        t = self.training
        return AutogradTrainConfig(loss=t.loss.currentData(), lr=t.lr.value(), eval_every=1,
                                   schedule="linear" if t.decay.isChecked() else "constant",
                                   batch_size=t.batch.value() or MAX_POINTS, **t.regularisation())

    def start(self, max_steps=None) -> bool:
        data = self.data()
        if len(data.y) == 0:
            self.error_raised.emit("There are no points to train on: add some by clicking.")
            return False
        self._continuous = max_steps is None
        self.live = Live(self.bounds)
        self._reported_step = self.step
        # model=: the run goes to a child process and its weights come back into self.model
        return self.runner.start(partial(train, self.model, data, self.config(), self.step,
                                         self.live),
                                 snapshot=partial(snapshot, bounds=self.live.bounds,
                                                  resolution=RESOLUTION),
                                 max_steps=max_steps, model=self.model, live=self.live)

    @Slot()
    def _on_start_requested(self) -> None:
        self.start()

    @Slot()
    def _on_step_requested(self) -> None:
        self.start(max_steps=1)

    @Slot(object)
    def _on_runner_reported(self, report) -> None:
        self._reported_step = report.step
        m = report.metrics
        self.loss_plot.add_point("train", report.step, m.get("train_loss", m["data_loss"]))
        if report.val_loss is not None:
            self.loss_plot.add_point("test", report.step, report.val_loss)
        self._show_view(report.payload)
        text = f"step {report.step} · loss {m.get('train_loss', m['data_loss']):.4f}"
        if report.val_loss is not None:
            text += f" · test loss {report.val_loss:.4f}"
        if "train_accuracy" in m:
            text += f" · accuracy {m['train_accuracy']:.0%}"
        if "test_accuracy" in m:
            text += f" (test {m['test_accuracy']:.0%})"
        self.status.setText(text + f" · lr {report.lr:.3g}")

    @Slot(str)
    def _on_runner_failed(self, message: str) -> None:
        self._failed = message.split(": ", 1)[-1]  # the tab shows the error too

    @Slot(int)
    def _on_runner_finished(self, steps: int) -> None:
        # a run that failed (diverged) counts no steps: the model is where the last report was
        self.step = max(self.step + steps, self._reported_step)
        if self.view_ is not None and self._reported_step == self.step:
            self.model.load_grad_dict(self.view_.grads)  # the last step's (its weights came back)
        self.live = None
        self._show_model()
        self.status_message.emit(f"Trained {self.step} steps")
        if self._failed:
            self.status.setText(f"Stopped: {self._failed} · " + self.status.text())
            self._failed, self._restart = "", False
        if self._restart:
            self._restart = False
            self.start()

    @Slot(str)
    def _on_runner_state_changed(self, state: str) -> None:
        idle = state == "idle"
        for w in self.locked:
            w.setEnabled(idle)
        self.weights.set_idle(idle)

    def _restart_run(self) -> None:
        """Settings a run cannot take live: stop it; it starts again when it has stopped."""
        self._restart = self._restart or self._continuous
        self.runner.stop()

    # -- settings --------------------------------------------------------------------------------
    @Slot()
    def _on_data_changed(self) -> None:
        self.added_X, self.added_y = [], []
        if not self.make_data():
            return
        if self.model is not None and self.model.task != self.data_box.task():
            # a new problem (locked mid-run): a new network, and a rate that suits its loss
            self.training.lr.setValue(0.3 if self.data_box.task() == "regress" else 1.0)
            self.make_model()
        elif self.runner.is_busy():
            self._restart_run()
        elif self.model is not None:
            self._show_model()

    @Slot()
    def _on_training_changed(self, *_) -> None:
        if self.runner.is_busy():
            self._restart_run()
        elif self.model is not None:
            self._show_model()

    @Slot()
    def _on_live_changed(self) -> None:
        if self.live is not None:
            self.live.set(lr=self.training.lr.value(), **self.training.regularisation())

    @Slot()
    def _on_network_changed(self) -> None:
        if not self.runner.is_busy():
            self.make_model()

    @Slot()
    def _on_new_weights_requested(self) -> None:
        if self.network.check():
            self.make_model()

    @Slot(str)
    def _on_feature_toggled(self, name: str) -> None:
        if self.runner.is_busy():
            self.error_raised.emit("Stop training to change the inputs: that makes a new network.")
            return
        chosen = set(self.features) ^ {name}
        if not chosen:
            self.error_raised.emit("The network needs at least one input.")
            return
        self.features = feats.check(chosen)
        self.make_model()


    @Slot(bool)
    def _on_view_option_toggled(self, _=False) -> None:
        self.plane.set_mode(self.data_box.task(), self.discretize.isChecked(),
                            self.show_test.isChecked())


def _split(orientation, widgets, sizes) -> QSplitter:
    splitter = QSplitter(orientation)
    for w in widgets:
        splitter.addWidget(w)
    splitter.setSizes(list(sizes))
    return splitter
