"""The Digits tab: draw a digit and watch two nets written in NumPy, an MLP and a small CNN, read
it live; look inside both; train your own on MNIST."""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QHBoxLayout, QLabel, QRadioButton, QSlider, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from models.core.blas import blas_threads
from models.digits.preprocess import downsample, prepare
from models.digits.strokes import draw_digit
from playground import shortcuts
from playground.tabs.base import Tab
from playground.tabs.digits.cnn_page import CnnPage
from playground.tabs.digits.files import (KINDS, LABELS, describe, kind_of, read_picture, read_shipped,
                                          read_weights, shipped_path, write_weights)
from playground.tabs.digits.inside import InsidePage
from playground.tabs.digits.train_page import TrainPage
from playground.tabs.digits.views import DigitImage, ProbabilityBars
from playground.tabs.digits.canvas import DrawingCanvas
from playground.widgets.explain import ExplainPanel
from playground.widgets.side_panel import SidePanel, button, group, hrow
from playground.widgets.weights_box import WeightsBox

READ_EVERY_S = 0.04  # mid-stroke, the nets read the drawing at most 25 times a second
IMAGES = "*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff *.pgm *.ppm"
EXPLAIN = ("Reading handwriting",
           "Your drawing is cleaned up first: specks and ticks away from the main ink are dropped "
           "(shown in orange on the canvas), and the pen is made as thick as MNIST's. Then it is cropped "
           "to its ink, scaled so its longer side is 20 pixels and placed in a 28×28 square by its "
           "centre of mass, exactly as the MNIST digits were made. The <b>MLP</b> sees the 784 pixels as "
           "one long list: each hidden unit is a weighted sum of all of them passed through ReLU. The "
           "<b>CNN</b> slides small 5×5 filters over the image, so the same stroke detector works "
           "anywhere. <b>Saliency</b> is the gradient of the winning digit's score with respect to each "
           "input pixel, from the same backward pass that trains the net: red pixels would raise it if "
           "inked, blue lower it.",
           "p = softmax(W₂ · max(0, W₁ x + b₁) + b₂)")


class DigitsTab(Tab):
    open_filter = f"Images ({IMAGES});;Digits weights (*.npz);;All files (*)"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.nets: dict = {k: None for k in KINDS}  # the MLP and the CNN the drawing goes to
        self.metas: dict = {k: {} for k in KINDS}
        self.predictor = "cnn"  # whose guess the bars and the saliency show
        self.input = np.zeros((28, 28), np.float32)
        self.prepared = None  # the last models.digits.preprocess.Prepared
        self._input_of = ""  # what self.input was prepared as ("raw", "centred"; "": not yet)
        self.last_latency_ms = 0.0
        self._rng = np.random.default_rng()
        self._read_at = 0.0  # when the nets last read the drawing (time.monotonic)
        self._read_timer = QTimer(self)  # mid-stroke, the next reading of the drawing
        self._read_timer.setSingleShot(True)
        self._read_timer.timeout.connect(self._on_read_timer_timeout)

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
        self.draw_page = QWidget()
        row = QHBoxLayout(self.draw_page)
        row.addWidget(self.canvas, 5)
        row.addLayout(middle, 3)
        row.addWidget(self.bars, 3)
        shortcuts.bind(self.draw_page, "digits.undo", self.undo)
        shortcuts.bind(self.draw_page, "digits.clear", self.clear)

        self.inside = InsidePage()
        self.cnn_page = CnnPage()
        self.runner = self.make_runner()
        self.train_page = TrainPage(self.runner, self.jobs)
        self.train_page.reader_visible = self._reader_visible
        self.train_page.weights_changed.connect(self._on_train_page_weights_changed)
        self.train_page.digit_chosen.connect(self._on_train_page_digit_chosen)
        self.train_page.status.connect(self.status_message)
        self.runner.state_changed.connect(self._on_runner_state_changed)
        self.pages = QTabWidget()
        self.pages.addTab(self.draw_page, "&Draw")
        self.inside.setObjectName("inside")  # page keys: "inside" would name both pages
        self.cnn_page.setObjectName("cnn")
        self.pages.addTab(self.inside, "Inside the &MLP")
        self.pages.addTab(self.cnn_page, "Inside the C&NN")
        self.pages.addTab(self.train_page, "T&rain")
        self.pages.currentChanged.connect(self._on_pages_current_changed)

        # -- side panel ----------------------------------------------------------------------
        clear = button("&Clear", "Wipe the canvas (or right click on it)", self.clear)
        undo = button("&Undo", "Remove the last stroke", self.undo)
        example = button("&Example", "Draw a random digit the way a person might", self.draw_example)
        self.pen_slider = QSlider(Qt.Horizontal)
        self.pen_slider.setRange(4, 48)
        self.pen_slider.setValue(20)
        self.pen_slider.setToolTip("Pen width for new strokes, in canvas pixels (the canvas is 280 wide)")
        self.pen_slider.valueChanged.connect(self._on_pen_slider_changed)
        self.pen_label = QLabel("Pen width: 20")
        self.mode_group = QButtonGroup(self)
        self.centred_button = QRadioButton("Cleaned and centred like MNIST")
        self.centred_button.setToolTip("Specks dropped, pen width evened out, cropped, scaled to 20 px, centre of "
                                       "mass in the middle: what the nets were trained on")
        self.raw_button = QRadioButton("Raw canvas")
        self.raw_button.setToolTip("The whole canvas shrunk to 28×28, no cleaning or centring: see how much worse "
                                   "it reads")
        self.centred_button.setChecked(True)
        for i, b in enumerate((self.centred_button, self.raw_button)):
            self.mode_group.addButton(b, i)
        self.mode_group.idToggled.connect(self._on_mode_toggled)
        self.saliency_box = QCheckBox("&Saliency overlay")
        self.saliency_box.setToolTip("Colour each input pixel by the gradient of the guessed digit's score")
        self.saliency_box.toggled.connect(self._on_saliency_toggled)
        self.predictor_group = QButtonGroup(self)
        self.predictor_buttons = {}
        for i, kind in enumerate(KINDS):
            b = QRadioButton(f"{LABELS[kind]} reads it")
            b.setToolTip(f"The big digit, the bars and the saliency show the {LABELS[kind]}'s reading; "
                         f"the weights box acts on the {LABELS[kind]}")
            self.predictor_group.addButton(b, i)
            self.predictor_buttons[kind] = b
        self.predictor_buttons[self.predictor].setChecked(True)
        self.predictor_group.idToggled.connect(self._on_predictor_toggled)
        draw_box = group("Drawing", hrow(clear, undo, example), self.pen_label, self.pen_slider)
        input_box = group("The net sees", self.centred_button, self.raw_button, self.saliency_box)
        predictor_box = group("Predictor", *self.predictor_buttons.values())
        self.weights = WeightsBox("digits weights", "Weights (*.npz);;All files (*)", "digits.npz", tab="digits",
                                  new_tip="An untrained net of the predictor's shape (random weights)",
                                  shipped_tip="Go back to the predictor that ships with Playground")
        self.weights.new_requested.connect(self._on_weights_new_requested)
        self.weights.shipped_requested.connect(self._on_weights_shipped_requested)
        self.weights.load_requested.connect(self._on_weights_load_requested)
        self.weights.save_requested.connect(self._on_weights_save_requested)
        self.explain = ExplainPanel(*EXPLAIN)
        self.explain.setMinimumHeight(180)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(SidePanel([draw_box, input_box, predictor_box, self.weights, self.explain]))
        self.splitter.addWidget(self.pages)
        self.splitter.setStretchFactor(1, 1)
        QVBoxLayout(self).addWidget(self.splitter)

    @property
    def net(self):
        """The predictor's net (None until loaded)."""
        return self.nets[self.predictor]

    # -- Tab hooks -------------------------------------------------------------------------------
    def load_defaults(self) -> None:
        self.jobs.submit("shipped", read_shipped, done=self._on_shipped_read)

    def prepare_shot(self) -> None:
        self.ensure_loaded()
        self.jobs.cancel("shipped")
        self._on_shipped_read(read_shipped())  # a screenshot is synchronous
        self.canvas.set_image(draw_digit(4, np.random.default_rng(4), size=280, variant=1, height=0.7,
                                         width=20.0, slant=0.15))
        self.saliency_box.setChecked(True)
        self.refresh()

    def open_file(self, path: str) -> None:
        if path.lower().endswith(".npz"):
            self.load_weights(path)
        else:
            self.jobs.submit("open", read_picture, path, done=lambda result: self._on_picture_read(path, result))

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        self.train_page.cancel_scoring.set()  # a CNN's scoring would outlast the wait
        return super().shutdown(timeout_ms)

    def export_targets(self):
        return [("prediction", self.bars), ("input 28×28", self.input_view), ("canvas", self.canvas),
                ("loss", self.train_page.loss_plot), ("accuracy", self.train_page.acc_plot),
                ("confusion matrix", self.train_page.confusion), ("first-layer weights", self.inside.weights),
                ("CNN feature maps", self.cnn_page.maps)]

    # -- model -------------------------------------------------------------------------------------
    def set_net(self, net, meta: dict | None = None, select: bool = True) -> None:
        kind = kind_of(net)
        self.nets[kind], self.metas[kind] = net, dict(meta or {})
        if select and kind != self.predictor:
            self.predictor_buttons[kind].setChecked(True)  # -> _on_predictor_toggled -> refresh
        self.weights.set_status(describe(self.net, self.metas[self.predictor]) if self.net is not None else "")
        if self.net is not None and not self.metas[self.predictor].get("training"):
            self.train_page.show_net(self.net)
        self.refresh(again=False)  # new weights, the same drawing: no need to prepare it again

    def save_weights(self, path: str) -> None:
        if self.net is None:
            return
        net = self.net
        self.jobs.submit("save", write_weights, path, type(net), net.get_config(), net.state_dict(),
                         dict(self.metas[self.predictor]), done=self._on_weights_written)

    def load_weights(self, path: str) -> bool:
        """Any digits net saved by Playground, loaded off the GUI thread; a foreign or damaged file
        leaves the model as it is (with a message)."""
        if self.runner.is_busy():
            self.show_error("Stop the training before loading other weights.")
            return False
        self.jobs.submit("load", read_weights, path, done=lambda loaded: self._on_weights_read(path, loaded))
        return True

    # -- drawing -----------------------------------------------------------------------------------
    def refresh(self, again: bool = True) -> None:
        """Canvas -> 28x28 input -> both nets' probabilities (and saliency, inside views) -> views.
        again=False: only the nets changed, the input prepared last time is read again."""
        t0 = time.perf_counter()
        raw = self.raw_button.isChecked()
        with blas_threads(1):  # tiny products: a second BLAS thread only waits for a busy core
            if again or self._input_of != ("raw" if raw else "centred"):
                canvas = self.canvas.array()
                self.prepared = None if raw else prepare(canvas)
                self.input = downsample(canvas) if raw else self.prepared.image  # (28, 28)
                self._input_of = "raw" if raw else "centred"
            self._predict(raw)
        self.canvas.set_overlay(None if raw or self.prepared is None else self.prepared.dropped)
        self.last_latency_ms = (time.perf_counter() - t0) * 1e3
        self._read_at = time.monotonic()

    def _predict(self, raw: bool) -> None:
        empty = not self.input.any()
        note = ("The whole canvas shrunk to 28×28: small or off-centre digits look nothing like MNIST." if raw else
                self.prepared.describe())
        probs = {k: net.predict_proba(self.input[None])[0] for k, net in self.nets.items()
                 if net is not None and not empty}
        net = self.net
        if net is None or empty:
            self.bars.set_probabilities(np.zeros(10))
            self.input_view.set_values(self.input)
        else:
            other = next((k for k in probs if k != self.predictor), None)
            self.bars.set_probabilities(probs[self.predictor], probs.get(other),
                                        (LABELS[self.predictor], LABELS.get(other, "")))
            saliency = None
            if self.saliency_box.isChecked():
                saliency, cls = net.saliency(self.input)
                note = (f"Saliency of the {LABELS[self.predictor]} for “{cls}”: ink on red pixels would raise its "
                        f"score, on blue ones lower it.")
            self.input_view.set_values(self.input, saliency)
        if note != self.input_note.text():
            self.input_note.setText(note)
        page = self.pages.currentWidget()
        if page is self.inside and self.nets["mlp"] is not None:
            self.inside.show_state(self.nets["mlp"], self.input)
        elif page is self.cnn_page and self.nets["cnn"] is not None:
            self.cnn_page.show_state(self.nets["cnn"], self.input)

    def clear(self) -> None:
        self.canvas.clear()

    def undo(self) -> None:
        self.canvas.undo()

    def draw_example(self) -> None:
        self.canvas.set_image(draw_digit(int(self._rng.integers(10)), self._rng, size=280))

    # -- slots ---------------------------------------------------------------------------------------
    @Slot(object)
    def _on_shipped_read(self, result):
        for message in result["errors"]:
            self.show_error(message)
        for kind in KINDS:
            if kind in result:
                self.set_net(result[kind].model, result[kind].meta, select=False)
        if self.net is None:  # the predictor's file is missing: read with what there is
            other = next((k for k in KINDS if self.nets[k] is not None), None)
            if other is not None:
                self.predictor_buttons[other].setChecked(True)
        if "test" in result:
            self.train_page.set_test_set(*result["test"])
        else:
            self.train_page.controls.setEnabled(False)

    def _on_picture_read(self, path, result):
        ink, inverted = result
        self.canvas.set_image(ink)
        self.pages.setCurrentIndex(0)
        kind = "dark ink on light paper" if inverted else "light ink on a dark background"
        self.status_message.emit(f"Opened {path} ({kind}).")

    def _on_weights_read(self, path, loaded):
        if self.runner.is_busy():
            self.show_error("Kept the current model: a training run started meanwhile.")
            return
        self.set_net(loaded.model, loaded.meta)
        self.status_message.emit(f"Loaded {describe(loaded.model, None)} weights from {path}.")

    @Slot(object)
    def _on_weights_written(self, path):
        self.status_message.emit(f"Saved the {LABELS[self.predictor]} weights to {path}.")

    @Slot()
    def _on_canvas_changed(self):
        """Mid-stroke the nets read the drawing at most every READ_EVERY_S (mouse moves come at
        60-120 Hz, a reading takes 5-40 ms on a busy machine); at the end of a stroke, on undo,
        clear or a picture, at once."""
        wait = READ_EVERY_S - (time.monotonic() - self._read_at)
        if not self.canvas.is_drawing() or wait <= 0:
            self._read_timer.stop()
            self.refresh()
        elif not self._read_timer.isActive():
            self._read_timer.start(int(wait * 1000) + 1)

    @Slot()
    def _on_read_timer_timeout(self):
        self.refresh()

    @Slot(int)
    def _on_pen_slider_changed(self, value):
        self.canvas.set_pen_width(value)
        self.pen_label.setText(f"Pen width: {value}")

    @Slot(int, bool)
    def _on_mode_toggled(self, _id, checked):
        if checked:
            self.refresh()

    @Slot(int, bool)
    def _on_predictor_toggled(self, index, checked):
        if checked:
            self.predictor = KINDS[index]
            self.weights.set_status(describe(self.net, self.metas[self.predictor]) if self.net is not None else "")
            if self.net is not None and not self.metas[self.predictor].get("training"):
                self.train_page.show_net(self.net)
            self.refresh(again=False)

    @Slot(bool)
    def _on_saliency_toggled(self, _on):
        self.refresh()

    @Slot(int)
    def _on_pages_current_changed(self, _index):
        if not self.train_page.catch_up_live():  # the newest weights of a run (which read the drawing)
            self.refresh(again=False)

    def showEvent(self, event):
        super().showEvent(event)
        self.train_page.catch_up_live()

    def _reader_visible(self) -> bool:
        """A page that reads the drawing with the live weights of a run shows."""
        return self.isVisible() and self.pages.currentWidget() is not self.train_page

    @Slot(object, object)
    def _on_train_page_weights_changed(self, net, meta):
        self.set_net(net, meta)

    @Slot(object)
    def _on_train_page_digit_chosen(self, image):
        self.canvas.set_image(image)
        self.pages.setCurrentIndex(0)

    @Slot(str)
    def _on_runner_state_changed(self, state):
        self.weights.set_idle(state == "idle")

    @Slot()
    def _on_weights_new_requested(self):
        if self.net is not None:
            self.set_net(type(self.net).from_config({**self.net.get_config(), "seed": int(self._rng.integers(1 << 30))}),
                         {"note": "untrained"})

    @Slot()
    def _on_weights_shipped_requested(self):
        self.load_weights(str(shipped_path(self.predictor)))

    @Slot(str)
    def _on_weights_load_requested(self, path):
        self.load_weights(path)

    @Slot(str)
    def _on_weights_save_requested(self, path):
        self.save_weights(path if path.endswith(".npz") else path + ".npz")

