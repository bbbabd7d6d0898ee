"""The side panel boxes of the tiny-MLP page: Data, Training and Lesson. They only hold
settings and say when they change; the page (train_page.py) acts on them."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout,
                               QGroupBox, QLabel, QLineEdit, QRadioButton, QSlider, QSpinBox,
                               QVBoxLayout, QWidget)

from models.autograd.model import LOSS_NAMES, LOSSES
from models.autograd.toy_data import CLASSIFICATION, REGRESSION
from playground import shortcuts
from playground.tabs.autograd.link import HIDEABLE, REGULARISATION
from playground.widgets.run_controls import RunControls
from playground.widgets.side_panel import button, hrow

DATASET_NAMES = {"moons": "Two moons", "circles": "Circles", "xor": "XOR", "spiral": "Spiral",
                 "blobs": "Gaussian blobs", "plane": "Plane", "gaussians": "Gaussian hills"}
NOISE_STEP = 0.05  # the noise slider moves in these steps, 0 to 1


class DataBox(QGroupBox):
    """Which points: problem, data set, how many, the test split, noise, seed; clicked points."""
    changed = Signal()  # the points must be made again

    def __init__(self, parent=None):
        super().__init__("Data", parent)
        self.problem = compact(QComboBox())
        self.problem.addItems(["Classification", "Regression"])
        self.problem.setToolTip("Classification: two classes, the sign of the output is the "
                                "class. Regression: a number at each point, learned with MSE")
        self.dataset = compact(QComboBox())
        self.dataset.setToolTip("The toy problem in the plane")
        self._fill_datasets()
        self.points = spin(QSpinBox(), 10, 500, 200, "Points before the split (the engine is "
                           "scalar: a step costs about 0.15 ms per training point for an 8-8 net)")
        self.test = spin(QSpinBox(), 0, 90, 50, "Share of the points held out as test data: "
                         "never trained on, they show how well the net generalises")
        self.test.setSuffix(" %")
        self.noise = QSlider(Qt.Horizontal)
        self.noise.setRange(0, round(1 / NOISE_STEP))
        self.noise.setValue(2)
        self.noise.setToolTip("How far points scatter from the clean shape; moving it makes "
                              "both sets again, even while training")
        self.noise_label = QLabel()
        self.seed = spin(QSpinBox(), 0, 9999, 1, "Seed of the points and the split: same seed, "
                         "same data")
        self.click_class = QRadioButton("Click: blue (−1)")
        self.click_class.setChecked(True)
        self.click_class.setToolTip("Left click on the plane adds a training point of this "
                                    "class; Shift+click adds the other class")
        other = QRadioButton("red (+1)")
        other.setToolTip(self.click_class.toolTip())
        self.clear_added = button("Remove added points", "Forget the points you clicked in")
        self.form = QFormLayout(self)
        self.form.addRow("Problem", self.problem)
        self.form.addRow("Data", self.dataset)
        self.form.addRow("Points", self.points)
        self.form.addRow("Test data", self.test)
        self.noise_row = hrow(self.noise, self.noise_label)
        self.form.addRow("Noise", self.noise_row)
        self.form.addRow("Seed", self.seed)
        self.form.addRow(hrow(self.click_class, other))
        self.form.addRow(self.clear_added)
        self.rows = {"noise": (self.noise_row,), "split": (self.test,)}  # rows a lesson may hide
        self.problem.currentIndexChanged.connect(self._on_problem_changed)
        self.dataset.currentIndexChanged.connect(self._on_setting_changed)
        for w in (self.points, self.test, self.seed):
            w.valueChanged.connect(self._on_setting_changed)
        self.noise.valueChanged.connect(self._on_setting_changed)
        self._show_noise()

    def name(self) -> str:
        return self.dataset.currentData()

    def noise_value(self) -> float:
        return self.noise.value() * NOISE_STEP

    def task(self) -> str:
        return "regress" if self.problem.currentIndex() == 1 else "classify"

    def set_values(self, dataset: str, points: int, noise: float, seed: int, test: float) -> None:
        """Show these settings without emitting `changed` (the caller makes the data)."""
        widgets = (self.problem, self.dataset, self.points, self.noise, self.seed, self.test)
        for w in widgets:
            w.blockSignals(True)
        self.problem.setCurrentIndex(1 if dataset in REGRESSION else 0)
        self._fill_datasets()
        self.dataset.setCurrentIndex(max(0, self.dataset.findData(dataset)))
        self.points.setValue(points)
        self.noise.setValue(round(noise / NOISE_STEP))
        self.seed.setValue(seed)
        self.test.setValue(round(test * 100))
        for w in widgets:
            w.blockSignals(False)
        self._show_noise()
        self.click_class.parentWidget().setEnabled(self.task() == "classify")

    def _fill_datasets(self) -> None:
        self.dataset.blockSignals(True)
        self.dataset.clear()
        for name in (REGRESSION if self.problem.currentIndex() == 1 else CLASSIFICATION):
            self.dataset.addItem(DATASET_NAMES[name], name)
        self.dataset.blockSignals(False)

    def _show_noise(self) -> None:
        self.noise_label.setText(f"{self.noise_value():.2f}")

    @Slot()
    def _on_problem_changed(self, *_) -> None:
        self._fill_datasets()
        self.click_class.parentWidget().setEnabled(self.task() == "classify")
        self.changed.emit()

    @Slot()
    def _on_setting_changed(self, *_) -> None:
        self._show_noise()
        self.changed.emit()


class TrainingBox(QGroupBox):
    """How to learn: loss, learning rate and its decay, regularisation, batch size; Train."""
    live_changed = Signal()  # learning rate or regularisation: applied to a running run

    def __init__(self, runner, parent=None):
        super().__init__("Training", parent)
        self.loss = compact(QComboBox())
        for key in LOSSES:
            self.loss.addItem(LOSS_NAMES[key], key)
        self.loss.setToolTip("max-margin: mean relu(1 − y·score), micrograd's demo; MSE: mean "
                             "(score − y)²; BCE: −log σ(y·score). Regression always uses MSE")
        self.lr = spin(QDoubleSpinBox(), 0.001, 10.0, 1.0, "SGD step size; change it while "
                       "training and the next step uses it", step=0.1, decimals=3)
        self.decay = QCheckBox("Decay lr to ⅒ in 100 steps")
        self.decay.setChecked(True)
        self.decay.setToolTip("micrograd's demo: lr · (1 − 0.9 · step / 100), then flat")
        self.reg = compact(QComboBox(), 5)
        self.reg.addItems([r.upper() if r != "none" else "None" for r in REGULARISATION])
        self.reg.setCurrentIndex(REGULARISATION.index("l2"))
        self.reg.setToolTip("A penalty on the weights added to the loss. L2: rate·Σw², shrinks "
                            "every weight a little; L1: rate·Σ|w|, drives useless ones to 0. "
                            "Live while training")
        self.rate = spin(QDoubleSpinBox(), 0.0, 0.5, 1e-4, "The regularisation rate (live while "
                         "training)", step=1e-3, decimals=5)
        self.batch = spin(QSpinBox(), 0, 500, 0, "Training points per step, drawn at random; "
                          "all: every point each step (micrograd's demo)")
        self.batch.setSpecialValueText("all")
        self.run_controls = RunControls(runner, step=True, start_text="Train")
        self.run_controls.start_button.setToolTip("Train until you pause or stop")
        self.run_controls.step_button.setToolTip("One SGD step")
        shortcuts.bind(self.run_controls.start_button, "autograd.train")
        shortcuts.bind(self.run_controls.step_button, "autograd.step")
        self.form = QFormLayout(self)
        self.form.addRow("Loss", self.loss)
        self.form.addRow("Learning rate", self.lr)
        self.form.addRow(self.decay)
        self.form.addRow("Regularisation", self.reg)
        self.form.addRow("Rate", self.rate)
        self.form.addRow("Batch size", self.batch)
        self.form.addRow(self.run_controls)
        self.rows = {"training": (self.loss, self.lr, self.decay),
                     "regularisation": (self.reg, self.rate), "batch": (self.batch,)}
        for w in (self.lr, self.rate):
            w.valueChanged.connect(self._on_live_changed)
        self.reg.currentIndexChanged.connect(self._on_live_changed)

    def set_values(self, loss: str, lr: float, decay: bool, reg: str, rate: float,
                   batch: int) -> None:
        """Show these settings without emitting any change."""
        widgets = (self.loss, self.lr, self.decay, self.reg, self.rate, self.batch)
        for w in widgets:
            w.blockSignals(True)
        self.loss.setCurrentIndex(max(0, self.loss.findData(loss)))
        self.lr.setValue(lr)
        self.decay.setChecked(decay)
        self.reg.setCurrentIndex(REGULARISATION.index(reg))
        self.rate.setValue(rate)
        self.batch.setValue(batch)
        for w in widgets:
            w.blockSignals(False)

    def regularisation(self) -> dict:
        """{"weight_decay", "l1"}: the rate on the chosen penalty, 0 on the other."""
        kind, rate = REGULARISATION[self.reg.currentIndex()], self.rate.value()
        return {"weight_decay": rate if kind == "l2" else 0.0, "l1": rate if kind == "l1" else 0.0}

    @Slot()
    def _on_live_changed(self, *_) -> None:
        self.live_changed.emit()


class LessonBox(QGroupBox):
    """Hide what a lesson does not need, and the page's state as a link to share."""
    hidden_changed = Signal()
    apply_requested = Signal(str)  # a pasted link
    copy_requested = Signal()

    def __init__(self, parent=None):
        super().__init__("Lesson", parent)
        grid = QGridLayout()
        self.hide_boxes = {}
        for n, name in enumerate(HIDEABLE):
            box = QCheckBox(name)
            box.setToolTip(f"Hide the {name} controls (saved in the link)")
            box.toggled.connect(self.hidden_changed)
            grid.addWidget(box, n // 2, n % 2)
            self.hide_boxes[name] = box
        self.link = QLineEdit()
        self.link.setPlaceholderText("playground:autograd?…")
        self.link.setToolTip("The page's settings as text: copy it into a lesson plan, paste "
                             "one here and press Apply")
        self.link.returnPressed.connect(self._on_apply_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Hide:"))
        inner = QWidget()
        inner.setLayout(grid)
        layout.addWidget(inner)
        layout.addWidget(self.link)
        layout.addWidget(hrow(
            button("Copy link", "Put the current settings, as a link, here and on the clipboard",
                   self.copy_requested.emit),
            button("Apply link", "Set the page up as the link says", self._on_apply_clicked)))

    def hidden(self) -> tuple[str, ...]:
        return tuple(n for n, b in self.hide_boxes.items() if b.isChecked())

    def set_hidden(self, names) -> None:
        for n, b in self.hide_boxes.items():
            b.blockSignals(True)
            b.setChecked(n in names)
            b.blockSignals(False)
        self.hidden_changed.emit()

    @Slot()
    def _on_apply_clicked(self) -> None:
        self.apply_requested.emit(self.link.text())


def compact(combo: QComboBox, chars: int = 10) -> QComboBox:
    """A combo box whose minimum width is `chars` characters, not its longest item: the side
    panel's width then never depends on when its items were measured (it was 463 or 515 px)."""
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


def spin(box, lo, hi, value, tip, step=None, decimals=None):
    """A spin box with its range, value and tooltip."""
    if decimals is not None:
        box.setDecimals(decimals)
    box.setRange(lo, hi)
    if step is not None:
        box.setSingleStep(step)
    box.setValue(value)
    box.setToolTip(tip)
    return box
