"""Part of the tiny-MLP page: the neuron shown big (hovered or pinned in the network view), the
weight clicked (value, grad, edit), the bridge that opens a neuron, or the loss on one
training point, as a Value graph on the Graph page; and the plane's clicks (added points) and
the part of it the plot shows (the field covers all of it)."""
from __future__ import annotations

from PySide6.QtCore import Slot

from models.autograd import features as feats
from models.autograd.bridge import NetworkPointGraph
from models.autograd.plane import grid_points
from models.autograd.train import set_weight, view_of
from playground.tabs.autograd.inspect_box import weight_name

RESOLUTION = 80  # the plane's grid: 6,400 points through the NumPy twin per shown report


class SelectionMixin:
    """Reads the page's view_ (the PlaneView on screen), model (only while idle) and data();
    keeps its bounds (the part of the plane shown) and added points."""

    @Slot(int, int)
    def _on_neuron_hovered(self, layer: int, j: int) -> None:
        self.hovered = None if layer < 0 else (layer, j)
        self._show_neuron()

    @Slot(int, int)
    def _on_neuron_clicked(self, layer: int, j: int) -> None:
        self.pinned = None if self.pinned == (layer, j) else (layer, j)
        self.network_view.pin(self.pinned)
        self.inspect.neuron_button.setEnabled(self.pinned is not None)
        self._show_neuron()

    def _show_neuron(self) -> None:
        self.plane.show_neuron(*self._neuron_grid())

    def _neuron_grid(self):
        """(grid, title) of the hovered (else the pinned) neuron for the big plot, or (None, "")."""
        which, view = self.hovered or self.pinned, self.view_
        if which is None or view is None or which[0] >= len(view.neurons):
            return None, ""
        layer, j = which
        if layer == 0:  # every feature, used or not
            name = list(feats.FEATURES)[j]
            grid = feats.feature_matrix(grid_points(self.bounds, RESOLUTION), [name])
            return grid.reshape(RESOLUTION, RESOLUTION), f"Input {feats.label(name)}"
        if j >= view.neurons[layer].shape[0]:
            return None, ""
        last = layer == len(view.neurons) - 1
        title = "Output neuron" if last else \
            f"Neuron {layer}.{j + 1} ({self.model.activations[layer - 1]})"
        return view.neurons[layer][j], title

    @Slot(str, object)
    def _on_weight_clicked(self, name: str, index) -> None:
        self.selected = (name, tuple(index))
        self.network_view.select_weight((name[0], int(name[1:]), tuple(index)))
        self._show_selected()

    def _show_selected(self) -> None:
        if self.selected is None or self.view_ is None or self.selected[0] not in self.view_.weights:
            self.inspect.show_weight(None)
            return
        name, index = self.selected
        self.inspect.show_weight(weight_name(name, index, self.features),
                                 float(self.view_.weights[name][index]),
                                 float(self.view_.grads[name][index]))

    @Slot(float)
    def _on_weight_edited(self, value: float) -> None:
        if self.selected is None:
            return
        name, index = self.selected
        if self.live is not None:  # the run applies it before its next step
            self.live.edit(name, index, value)
            self.view_.weights[name][index] = value  # our copy shows it at once
            self._show_view(self.view_)
        else:
            set_weight(self.model, name, index, value)
            self._show_model()

    @Slot(int)
    def _on_point_changed(self, i: int) -> None:
        X = self.data().X
        self.plane.mark(X[i] if i < len(X) else None)

    @Slot(bool)
    def _on_graph_requested(self, neuron: bool) -> None:
        d, i = self.data(), self.inspect.point.value()
        if not len(d.y):
            return
        which = None
        if neuron:
            if self.pinned is None or self.pinned[0] == 0:
                self.error_raised.emit("Click a neuron of a hidden layer (or the output) first.")
                return
            which = (self.pinned[0], self.pinned[1] + 1)
        try:  # the weights on screen: the model's own when idle, the last snapshot's mid-run
            graph = NetworkPointGraph(self.model.get_config(), self.view_.weights, d.X[i], d.y[i],
                                      which, self.config().loss)
        except ValueError as e:
            self.error_raised.emit(str(e))
            return
        graph.forward()
        graph.root.backward()
        self.plane.mark(d.X[i])
        self.graph_opened.emit(graph, graph.describe(i))

    # -- the plane: clicked points, and the part of it shown ------------------------------------
    @Slot(object)
    def _on_plane_view_changed(self, bounds) -> None:
        """The plot shows another part of the plane (resized): the field follows."""
        self.bounds = tuple(bounds)
        if self.live is not None:
            self.live.set_bounds(self.bounds)  # the run's next snapshot covers it
        elif self.model is not None:
            self._show_view(view_of(self.model, self.bounds, RESOLUTION))

    @Slot(float, float, bool)
    def _on_plane_point_clicked(self, x: float, y: float, shift: bool) -> None:
        if self.data_box.task() != "classify":
            return
        label = -1.0 if self.data_box.click_class.isChecked() else 1.0
        self.added_X.append([x, y])
        self.added_y.append(-label if shift else label)
        self._points_changed()

    @Slot()
    def _on_clear_added_clicked(self) -> None:
        self.added_X, self.added_y = [], []
        self._points_changed()

    def _points_changed(self) -> None:
        self._show_data()
        if self.runner.is_busy():
            self._restart_run()
        else:
            self._show_model()
