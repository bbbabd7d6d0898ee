"""Start / Pause-Resume / Stop (and optionally Step) buttons that follow a Runner's state."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from playground.runner import Runner


class RunControls(QWidget):
    """The tab connects start_requested / step_requested to a slot that calls runner.start(...);
    pause, resume and stop go straight to the runner. Start stays disabled until the previous run
    has finished, so two runs never overlap."""
    start_requested = Signal()
    step_requested = Signal()

    def __init__(self, runner: Runner, step: bool = False, start_text: str = "Train", parent=None):
        super().__init__(parent)
        self.runner = runner
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.start_button = QPushButton(start_text)
        self.start_button.setToolTip("Start training with the settings above")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Pause after the current step; press again to resume")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current step and keep the model as it is")
        self.step_button = QPushButton("Step") if step else None
        for b in (self.start_button, self.step_button, self.pause_button, self.stop_button):
            if b is not None:
                layout.addWidget(b)
        if self.step_button is not None:
            self.step_button.setToolTip("Take exactly one training step")
            self.step_button.clicked.connect(self.step_requested)
        self.start_button.clicked.connect(self.start_requested)
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button.clicked.connect(runner.stop)
        runner.state_changed.connect(self._on_runner_state_changed)
        self._on_runner_state_changed(runner.state)

    @Slot()
    def _on_pause_clicked(self):
        if self.runner.state == "paused":
            self.runner.resume()
        else:
            self.runner.pause()

    @Slot(str)
    def _on_runner_state_changed(self, state: str):
        idle = state == "idle"
        self.start_button.setEnabled(idle)
        if self.step_button is not None:
            self.step_button.setEnabled(idle)
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(state in ("running", "paused"))
