"""The Digits tab: draw a digit and watch an MLP written in NumPy read it, live; look inside it;
train your own on MNIST."""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QFileDialog, QHBoxLayout, QLabel, QRadioButton,
                               QSlider, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from models.core.checkpoint import CheckpointError
from models.digits.mnist import MnistError, load_mnist, load_pretrained
from models.digits.net import MLP, MLPConfig
from models.digits.photo import photo_to_canvas
from models.digits.preprocess import downsample, preprocess
from models.digits.strokes import draw_digit
from playground.tabs.base import Tab
from playground.tabs.digits.inside import InsidePage
from playground.tabs.digits.train_page import TrainPage
from playground.tabs.digits.views import DigitImage, ProbabilityBars
from playground.tabs.digits.canvas import DrawingCanvas
from playground.widgets.explain import ExplainPanel
from playground.widgets.side_panel import SidePanel, button, group, hrow

IMAGES = "*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff *.pgm *.ppm"
EXPLAIN = ("Reading handwriting",
           "Your drawing is cropped to its ink, scaled so its longer side is 20 pixels and placed in a "
           "28×28 square by its centre of mass, exactly as the MNIST digits were made. The 784 pixels go "
           "into a multi-layer perceptron: each hidden unit is a weighted sum of pixels passed through "
           "ReLU; ten outputs pass through softmax to become probabilities. <b>Saliency</b> is the "
           "gradient of the winning digit's score with respect to each input pixel, from the same "
           "backward pass that trains the net: red pixels would raise it if inked, blue lower it.",
           "p = softmax(W₂ · max(0, W₁ x + b₁) + b₂)")


class DigitsTab(Tab):
    open_filter = f"Images ({IMAGES});;Digits weights (*.npz);;All files (*)"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.net: MLP | None = None
        self.input = np.zeros((28, 28), np.float32)
        self.last_latency_ms = 0.0
        self._rng = np.random.default_rng()

        # -- the drawing page ----------------------------------------------------------------
        self.canvas = DrawingCanvas(size=280, pen_width=20)
        self.canvas.changed.connect(self._on_canvas_changed)
        self.input_view = DigitImage()
        self.bars = ProbabilityBars()
        self.input_note = QLabel("")
        self.input_note.setWordWrap(True)
        self.input_note.setAlignment(Qt.AlignTop | Qt.AlignHCenter)
        middle = QVBoxLayout()
        middle.addWidget(self.input_view, 3)
        middle.addWidget(self.input_note, 1)
        draw_page = QWidget()
        row = QHBoxLayout(draw_page)
        row.addWidget(self.canvas, 5)
        row.addLayout(middle, 3)
        row.addWidget(self.bars, 3)
        for keys, slot in ((QKeySequence.Undo, self.undo), (QKeySequence(Qt.Key_Delete), self.clear),
                           (QKeySequence(Qt.Key_Backspace), self.clear)):
            shortcut = QShortcut(keys, draw_page)
            shortcut.setContext(Qt.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        self.inside = InsidePage()
        self.runner = self.make_runner()
        self.train_page = TrainPage(self.runner)
        self.train_page.weights_changed.connect(self._on_train_page_weights_changed)
        self.train_page.digit_chosen.connect(self._on_train_page_digit_chosen)
        self.train_page.status.connect(self.status_message)
        self.runner.state_changed.connect(self._on_runner_state_changed)
        self.pages = QTabWidget()
        self.pages.addTab(draw_page, "&Draw")
        self.pages.addTab(self.inside, "&Inside the net")
        self.pages.addTab(self.train_page, "T&rain")
        self.pages.currentChanged.connect(self._on_pages_current_changed)

        # -- side panel ----------------------------------------------------------------------
        clear = button("&Clear", "Wipe the canvas (Delete, or right click on it)", self.clear)
        undo = button("&Undo", "Remove the last stroke (Ctrl+Z)", self.undo)
        example = button("&Example", "Draw a random digit the way a person might", self.draw_example)
        self.pen_slider = QSlider(Qt.Horizontal)
        self.pen_slider.setRange(4, 48)
        self.pen_slider.setValue(20)
        self.pen_slider.setToolTip("Pen width for new strokes, in canvas pixels (the canvas is 280 wide)")
        self.pen_slider.valueChanged.connect(self._on_pen_slider_changed)
        self.pen_label = QLabel("Pen width: 20")
        self.mode_group = QButtonGroup(self)
        self.centred_button = QRadioButton("Centred like MNIST")
        self.centred_button.setToolTip("Crop, scale to 20 px, centre of mass in the middle: what the net was trained on")
        self.raw_button = QRadioButton("Raw canvas")
        self.raw_button.setToolTip("The whole canvas shrunk to 28×28, no centring: see how much worse it reads")
        self.centred_button.setChecked(True)
        for i, b in enumerate((self.centred_button, self.raw_button)):
            self.mode_group.addButton(b, i)
        self.mode_group.idToggled.connect(self._on_mode_toggled)
        self.saliency_box = QCheckBox("&Saliency overlay")
        self.saliency_box.setToolTip("Colour each input pixel by the gradient of the guessed digit's score")
        self.saliency_box.toggled.connect(self._on_saliency_toggled)
        draw_box = group("Drawing", hrow(clear, undo, example), self.pen_label, self.pen_slider)
        input_box = group("The net sees", self.centred_button, self.raw_button, self.saliency_box)
        self.model_label = QLabel("No model yet")
        self.model_label.setWordWrap(True)
        self.save_button = button("Save weights…", "Save the current net's weights (.npz)", self._on_save_clicked)
        self.load_button = button("Load weights…", "Load a net saved by Playground (.npz)", self._on_load_clicked)
        self.shipped_button = button("Shipped net", "Go back to the net that ships with Playground",
                                      self._on_shipped_clicked)
        model_box = group("Model", self.model_label, hrow(self.save_button, self.load_button), self.shipped_button)
        self.explain = ExplainPanel(*EXPLAIN)
        self.explain.setMinimumHeight(180)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(SidePanel([draw_box, input_box, model_box, self.explain]))
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        QVBoxLayout(self).addWidget(self.splitter)

    # -- Tab hooks -------------------------------------------------------------------------------
    def load_defaults(self) -> None:
        try:
            self.set_net(load_pretrained())
        except (CheckpointError, OSError) as e:
            self.show_error(f"The shipped digits model could not be loaded ({e}); starting from an untrained net.")
            self.set_net(MLP(MLPConfig()))
        try:
            self.train_page.set_test_set(*load_mnist("test"))
        except (MnistError, OSError) as e:
            self.show_error(f"MNIST could not be read, so training is off: {e}")
            self.train_page.controls.setEnabled(False)

    def prepare_shot(self) -> None:
        self.ensure_loaded()
        self.canvas.set_image(draw_digit(4, np.random.default_rng(4), size=280, variant=1, height=0.7,
                                         width=20.0, slant=0.15))
        self.saliency_box.setChecked(True)
        self.refresh()

    def open_file(self, path: str) -> None:
        if path.lower().endswith(".npz"):
            self.load_weights(path)
            return
        image = QImage(path)
        if image.isNull():
            self.show_error(f"{path} is not an image this app can read (try PNG or JPEG).")
            return
        gray = image.convertToFormat(QImage.Format_Grayscale8)
        raw = np.frombuffer(gray.constBits(), np.uint8, gray.sizeInBytes())
        values = raw.reshape(gray.height(), gray.bytesPerLine())[:, :gray.width()].astype(np.float32) / 255
        try:
            ink, inverted = photo_to_canvas(values)
        except ValueError as e:
            self.show_error(f"{path}: {e}")
            return
        self.canvas.set_image(ink)
        self.pages.setCurrentIndex(0)
        kind = "dark ink on light paper" if inverted else "light ink on a dark background"
        self.status_message.emit(f"Opened {path} ({kind}).")

    def export_targets(self):
        return [("prediction", self.bars), ("input 28×28", self.input_view), ("canvas", self.canvas),
                ("loss", self.train_page.loss_plot), ("accuracy", self.train_page.acc_plot),
                ("confusion matrix", self.train_page.confusion), ("first-layer weights", self.inside.weights)]

    # -- model -------------------------------------------------------------------------------------
    def set_net(self, net: MLP) -> None:
        self.net = net
        acc = (getattr(net, "meta", None) or {}).get("test_accuracy")
        self.model_label.setText(f"{net.config.arch} MLP" + (f", {acc:.2%} on the MNIST test set" if acc else ""))
        self.refresh()

    def save_weights(self, path: str) -> None:
        try:
            self.net.save(path, meta=getattr(self.net, "meta", None))
        except OSError as e:
            self.show_error(f"Could not save {path}: {e}")
            return
        self.status_message.emit(f"Saved the {self.net.config.arch} weights to {path}.")

    def load_weights(self, path: str) -> bool:
        """Any digits net saved by Playground; a foreign or damaged file leaves the model as it is."""
        if self.runner.is_busy():
            self.show_error("Stop the training before loading other weights.")
            return False
        try:
            net = MLP.load(path)
        except (CheckpointError, OSError) as e:
            self.show_error(f"Kept the current model: {e}")
            return False
        self.set_net(net)
        self.status_message.emit(f"Loaded {net.config.arch} weights from {path}.")
        return True

    # -- drawing -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Canvas -> 28x28 input -> probabilities (and saliency, activations) -> views."""
        t0 = time.perf_counter()
        canvas = self.canvas.array()
        self.input = downsample(canvas) if self.raw_button.isChecked() else preprocess(canvas)  # (28, 28)
        empty = not self.input.any()
        raw = self.raw_button.isChecked()
        note = ("The whole canvas shrunk to 28×28: small or off-centre digits look nothing like MNIST." if raw else
                "Cropped to the ink, scaled to 20 pixels, centred by its centre of mass: like MNIST.")
        if self.net is None or empty:
            self.bars.set_probabilities(np.zeros(10))
            self.input_view.set_values(self.input)
        else:
            self.bars.set_probabilities(self.net.predict_proba(self.input[None])[0])
            saliency = None
            if self.saliency_box.isChecked():
                saliency, cls = self.net.saliency(self.input)
                note = f"Saliency for “{cls}”: ink on red pixels would raise its score, on blue ones lower it."
            self.input_view.set_values(self.input, saliency)
        if note != self.input_note.text():
            self.input_note.setText(note)
        if self.pages.currentWidget() is self.inside and self.net is not None:
            self.inside.show_state(self.net, self.input)
        self.last_latency_ms = (time.perf_counter() - t0) * 1e3

    def clear(self) -> None:
        self.canvas.clear()

    def undo(self) -> None:
        self.canvas.undo()

    def draw_example(self) -> None:
        self.canvas.set_image(draw_digit(int(self._rng.integers(10)), self._rng, size=280))

    # -- slots ---------------------------------------------------------------------------------------
    @Slot()
    def _on_canvas_changed(self):
        self.refresh()

    @Slot(int)
    def _on_pen_slider_changed(self, value):
        self.canvas.set_pen_width(value)
        self.pen_label.setText(f"Pen width: {value}")

    @Slot(int, bool)
    def _on_mode_toggled(self, _id, checked):
        if checked:
            self.refresh()

    @Slot(bool)
    def _on_saliency_toggled(self, _on):
        self.refresh()

    @Slot(int)
    def _on_pages_current_changed(self, _index):
        self.refresh()

    @Slot(object)
    def _on_train_page_weights_changed(self, net):
        self.set_net(net)

    @Slot(object)
    def _on_train_page_digit_chosen(self, image):
        self.canvas.set_image(image)
        self.pages.setCurrentIndex(0)

    @Slot(str)
    def _on_runner_state_changed(self, state):
        idle = state == "idle"
        self.load_button.setEnabled(idle)
        self.shipped_button.setEnabled(idle)

    @Slot()
    def _on_save_clicked(self):
        path, _ = QFileDialog.getSaveFileName(self, "Save digits weights", "mnist_mlp.npz", "Weights (*.npz)")
        if path:
            self.save_weights(path if path.endswith(".npz") else path + ".npz")

    @Slot()
    def _on_load_clicked(self):
        path, _ = QFileDialog.getOpenFileName(self, "Load digits weights", "", "Weights (*.npz);;All files (*)")
        if path:
            self.load_weights(path)

    @Slot()
    def _on_shipped_clicked(self):
        try:
            self.set_net(load_pretrained())
        except (CheckpointError, OSError) as e:
            self.show_error(f"The shipped model could not be loaded: {e}")
