"""Part of the tiny-MLP page: its weights on disk, read and written by jobs off the GUI thread
through models.core.checkpoint (a copy of the model is saved, so training may go on)."""
from __future__ import annotations

from PySide6.QtCore import Slot

from models.autograd.model import PlaneMLP
from models.core import checkpoint


class WeightsFileMixin:
    """Uses the page's jobs, runner, model, weights box, network form and data box."""

    @Slot(str)
    def save(self, path: str) -> None:
        """Write the weights to `path` in a job (a copy of the model: training may start)."""
        meta = {"dataset": self.data_box.name(), "steps": self.step}
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
        if self.model.task != self.data_box.task():  # a regressor needs regression data
            box = self.data_box
            box.set_values("plane" if self.model.task == "regress" else "moons",
                           box.points.value(), box.noise_value(), box.seed.value(),
                           box.test.value() / 100)
            self.make_data()
        self.loss_plot.clear_data()
        self._model_changed()
        self.weights.set_status("Loaded weights trained on "
                                f"{loaded.meta.get('dataset', 'unknown data')}")
        self.weights_loaded.emit()
