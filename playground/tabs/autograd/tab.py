"""The Autograd tab: a scalar Value engine you can watch. Page one draws the graph of an
expression and runs backprop node by node; page two trains a tiny MLP of Values on 2-D data,
drawn as TensorFlow Playground draws it, and can send any neuron (or one point's loss) back to
page one as its graph."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QTabWidget, QVBoxLayout

from playground.tabs.autograd.graph_page import GraphPage
from playground.tabs.autograd.train_page import TrainPage
from playground.tabs.base import Tab

DEFAULT_PRESET = "Single neuron (lecture)"


class AutogradTab(Tab):
    open_filter = "Autograd MLP weights (*.npz);;All files (*)"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.runner = self.make_runner()
        self.runner.max_rate = 10  # redraws a second while training: ~13 ms of the GUI thread each
        self.graph_page = GraphPage(self.jobs)
        self.train_page = TrainPage(self.runner, self.jobs)
        self.pages = QTabWidget()
        self.pages.addTab(self.graph_page, "Graph and backprop")
        self.pages.addTab(self.train_page, "Train a tiny MLP")
        self.pages.setTabToolTip(0, "An expression as a graph of Values; gradients one node "
                                 "at a time")
        self.pages.setTabToolTip(1, "A small network of Values learning a problem in the plane, "
                                 "drawn neuron by neuron")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        for page in (self.graph_page, self.train_page):
            page.status_message.connect(self._on_page_status_message)
        self.train_page.error_raised.connect(self._on_page_error_raised)
        self.train_page.graph_opened.connect(self._on_train_page_graph_opened)

    def load_defaults(self) -> None:
        self.graph_page.load_preset(DEFAULT_PRESET)
        self.train_page.load_defaults()

    def prepare_shot(self) -> None:
        """The lecture's neuron, halfway through backprop, with the check on."""
        self.ensure_loaded()
        self.pages.setCurrentWidget(self.graph_page)
        self.graph_page.load_preset(DEFAULT_PRESET)
        self.graph_page.check_box.setChecked(True)
        self.graph_page._update_numeric(sync=True)
        for _ in range(5):
            self.graph_page.backward_step()

    def open_file(self, path: str) -> None:
        self.ensure_loaded()
        if self.runner.is_busy():
            self.show_error("Stop training before loading other weights.")
            return
        self.pages.setCurrentWidget(self.train_page)
        self.train_page.load(path)

    def export_targets(self):
        return [("graph", self.graph_page.view), ("decision regions", self.train_page.plane),
                ("network", self.train_page.network_view), ("loss", self.train_page.loss_plot)]

    @Slot(str)
    def _on_page_status_message(self, message: str) -> None:
        self.status_message.emit(message)

    @Slot(object, str)
    def _on_train_page_graph_opened(self, graph, text: str) -> None:
        """The bridge: a neuron or one point's loss of the live network, on the first page."""
        self.graph_page.show_network_graph(graph, text)
        self.pages.setCurrentWidget(self.graph_page)

    @Slot(str)
    def _on_page_error_raised(self, message: str) -> None:
        self.show_error(message)
