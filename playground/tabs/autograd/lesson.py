"""The tiny-MLP page as a lesson: controls a teacher hides, and the whole state as a link
(playground.tabs.autograd.link) to copy into a lesson plan and paste back."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QGuiApplication

from playground.tabs.autograd.link import DEFAULTS, REGULARISATION, make_link, read_link


class LessonMixin:
    """Part of TrainPage: reads and writes its boxes (data_box, training, network, lesson...)."""

    def init_lesson(self) -> None:
        self.lesson.hidden_changed.connect(self._on_lesson_hidden_changed)
        self.lesson.apply_requested.connect(self._on_lesson_apply_requested)
        self.lesson.copy_requested.connect(self._on_lesson_copy_requested)

    def state(self) -> dict:
        """Every setting of the page, keyed as link.DEFAULTS."""
        box, t, m = self.data_box, self.training, self.model
        return {"dataset": box.name(), "points": box.points.value(), "noise": box.noise_value(),
                "seed": box.seed.value(), "test": box.test.value() / 100,
                "features": tuple(self.features), "hidden": tuple(m.sizes[1:-1]),
                "act": tuple(m.activations[:-1]), "init": self.network.init_seed.value(),
                "loss": t.loss.currentData(), "lr": t.lr.value(), "decay": t.decay.isChecked(),
                "reg": REGULARISATION[t.reg.currentIndex()], "rate": t.rate.value(),
                "batch": t.batch.value(), "discretize": self.discretize.isChecked(),
                "showtest": self.show_test.isChecked(), "hide": self.lesson.hidden()}

    def apply_state(self, state: dict) -> bool:
        """Set the page up as `state` says (missing keys: defaults); a new network."""
        if self.runner.is_busy():
            self.error_raised.emit("Stop training before applying a link.")
            return False
        s = {**DEFAULTS, **state}
        self.data_box.set_values(s["dataset"], s["points"], s["noise"], s["seed"], s["test"])
        self.network.set_architecture(s["hidden"], s["act"])
        self.network.init_seed.blockSignals(True)
        self.network.init_seed.setValue(s["init"])
        self.network.init_seed.blockSignals(False)
        self.training.set_values(s["loss"], s["lr"], s["decay"], s["reg"], s["rate"], s["batch"])
        for box, on in ((self.discretize, s["discretize"]), (self.show_test, s["showtest"])):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)
        self.features = tuple(s["features"])
        self.added_X, self.added_y = [], []
        ok = self.make_data() and self.make_model()
        self.lesson.set_hidden(s["hide"])
        return ok

    def link(self) -> str:
        return make_link(self.state())

    @Slot()
    def _on_lesson_copy_requested(self) -> None:
        text = self.link()
        self.lesson.link.setText(text)
        QGuiApplication.clipboard().setText(text)
        self.status_message.emit("The link is on the clipboard")

    @Slot(str)
    def _on_lesson_apply_requested(self, text: str) -> None:
        try:
            state = read_link(text)
        except ValueError as e:
            self.error_raised.emit(str(e))
            return
        if self.apply_state(state):
            self.status_message.emit("Set up from the link")

    @Slot()
    def _on_lesson_hidden_changed(self) -> None:
        hidden = set(self.lesson.hidden())
        boxes = {"data": self.data_box, "network": self.network, "weights": self.weights,
                 "graph": self.inspect, "explain": self.explain}
        for name, widget in boxes.items():
            widget.setVisible(name not in hidden)
        rows = {**self.data_box.rows, **self.training.rows}
        for name, widgets in rows.items():
            form = self.data_box.form if name in self.data_box.rows else self.training.form
            for w in widgets:
                form.setRowVisible(w, name not in hidden)
