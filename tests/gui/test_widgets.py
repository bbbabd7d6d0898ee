"""The shared widgets: loss plot, heatmap, controls form, run controls, export."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QLabel

from playground import export
from playground import style as app_style
from playground import theme
from playground.runner import Runner
from playground.widgets.controls import BoolField, ChoiceField, ControlsForm, FloatField, IntField
from playground.widgets.explain import ExplainPanel
from playground.widgets.heatmap import Heatmap
from playground.widgets.loss_plot import LossPlot
from playground.widgets.run_controls import RunControls


def test_loss_plot_series_smoothing_and_log(qtbot):
    plot = LossPlot(smoothing=0.9)
    qtbot.addWidget(plot)
    for i, y in enumerate([4.0, 2.0, 3.0, 1.0]):
        plot.add_point("train", i, y)
    plot.set_series("val", [0, 3], [3.5, 1.5])
    xs, ys = plot.series("train")
    assert list(ys) == [4.0, 2.0, 3.0, 1.0]
    curve_y = plot._curves["train"].getData()[1]
    assert curve_y[0] == pytest.approx(4.0)  # bias-corrected EMA starts at the first value
    assert 1.0 < curve_y[-1] < 4.0
    plot.set_log_y(True)
    assert plot.getPlotItem().ctrl.logYCheck.isChecked()
    plot.clear_data()
    assert plot.series("train")[0].size == 0


def test_heatmap_labels_cells_and_hover(qtbot, tmp_path):
    heat = Heatmap(title="counts")
    qtbot.addWidget(heat)
    heat.resize(500, 400)
    heat.show()
    values = np.array([[1.0, 2.0, 3.0], [4.0, np.nan, 6.0]])
    text = np.array([["a", "b", "c"], ["d", "e", "f"]])
    heat.set_matrix(values, ["r0", "r1"], ["x", "y", "z"], cell_text=text)
    qtbot.wait(10)
    assert len(heat._texts) == 6 and heat._texts[4].textItem.toPlainText() == "e"
    assert heat.mask_item.isVisible()  # the NaN cell is drawn as masked
    scene_pos = heat.plot.vb.mapViewToScene(QPointF(2.0, 1.0))  # column 2, row 1
    assert heat.cell_at(scene_pos) == (1, 2)
    with qtbot.waitSignal(heat.cell_hovered) as hovered:
        heat._on_scene_mouse_moved(scene_pos)
    assert hovered.args == [1, 2]
    heat.to_csv(tmp_path / "m.csv")
    lines = (tmp_path / "m.csv").read_text().splitlines()
    assert lines[0] == ",x,y,z" and lines[2].startswith("r1,4,nan,6")


def test_controls_form_values_and_memory(qtbot):
    fields = [FloatField("lr", "Learning rate", 0.1, 1e-5, 10.0, tooltip="step size"),
              IntField("steps", "Steps", 100, 1, 10_000),
              ChoiceField("loss", "Loss", ("mse", "bce"), "bce"),
              BoolField("bn", "Batch norm", True)]
    form = ControlsForm(fields, settings_key="test/form")
    qtbot.addWidget(form)
    assert form.values() == {"lr": 0.1, "steps": 100, "loss": "bce", "bn": True}
    assert form.editors["lr"].toolTip() == "step size"
    form.set_values({"lr": 0.01, "steps": 5, "loss": "mse", "bn": False})
    again = ControlsForm(fields, settings_key="test/form")  # a new session remembers
    qtbot.addWidget(again)
    assert again.values() == {"lr": 0.01, "steps": 5, "loss": "mse", "bn": False}
    again.reset()
    assert again.values()["steps"] == 100


def test_run_controls_follow_the_runner(qtbot):
    runner = Runner()
    controls = RunControls(runner, step=True)
    qtbot.addWidget(controls)
    assert controls.start_button.isEnabled() and not controls.stop_button.isEnabled()

    def forever():
        while True:
            yield {"step": 0}

    runner.start(forever)
    assert not controls.start_button.isEnabled() and not controls.step_button.isEnabled()
    controls.pause_button.click()
    assert controls.pause_button.text() == "Resume"
    with qtbot.waitSignal(runner.finished, timeout=2000):
        controls.stop_button.click()
    assert controls.start_button.isEnabled()


def test_explain_panel_follows_presentation_size(qtbot):
    panel = ExplainPanel("Bigram", "counts of pairs", "P(b | a) = N[a, b] / Σ N[a, ·]")
    qtbot.addWidget(panel)
    assert "font-size:14px" in panel.toHtml().replace(" ", "") or "14px" in panel.toHtml()
    theme.apply(app_style.current().with_(presentation=True))
    assert "24px" in panel.toHtml() or "25px" in panel.toHtml()


@pytest.mark.parametrize("ext", [".png", ".svg", ".csv"])
def test_export_plot_formats(qtbot, tmp_path, ext):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.set_series("train", [0, 1, 2], [3.0, 2.0, 1.5])
    path = export.export(plot, tmp_path / f"loss{ext}")
    assert path.stat().st_size > 30
    if ext == ".csv":
        assert "1.5" in path.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"loss{ext}"]  # no temp file left


def test_export_plain_widget_png_and_svg_but_not_csv(qtbot, tmp_path):
    label = QLabel("hello")
    qtbot.addWidget(label)
    label.resize(100, 40)
    assert export.formats_for(label) == [".png", ".svg"]
    export.export(label, tmp_path / "w.png")
    export.export(label, tmp_path / "w.svg")
    with pytest.raises(ValueError, match="Cannot save this view as .csv"):
        export.export(label, tmp_path / "w.csv")


def test_loss_plot_view_grows_in_jumps_not_every_point(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add_point("train", 0, 3.0)
    plot.add_point("train", 1, 2.0)
    first = plot._view
    for step in range(2, 9):
        plot.add_point("train", step, 2.0 + step / 10)
    assert plot._view == first  # nothing left the view: no re-layout
    plot.add_point("train", 40, 2.0)
    x0, x1, y0, y1 = plot._view
    assert x1 >= 40 and (x1 - x0) in (10, 20, 40, 80)  # doubled
    plot.add_point("train", 41, 0.5)
    assert plot._view[2] < 0.5  # fell below: the view grows down with headroom
    plot.set_log_y(True)
    assert plot._view[2] < np.log10(0.5) < plot._view[3]


def test_pyqtgraph_export_dialog_offers_a_working_svg(qtbot, tmp_path):
    import pyqtgraph.exporters as exporters

    from playground.widgets.svg_exporter import QtSvgExporter

    names = [cls.__name__ for cls in exporters.listExporters()]
    assert "QtSvgExporter" in names and "SVGExporter" not in names and "MatplotlibExporter" not in names
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.set_series("train", [0, 1, 2], [3.0, 2.0, 1.5])
    QtSvgExporter(plot.getPlotItem()).export(str(tmp_path / "p.svg"))
    assert "<svg" in (tmp_path / "p.svg").read_text()


def test_plain_views_get_an_export_menu_once(qtbot):
    from PySide6.QtCore import Qt

    label, plot = QLabel("x"), LossPlot()
    qtbot.addWidget(label)
    qtbot.addWidget(plot)
    assert export.install_export_menu(label) and not export.install_export_menu(label)
    assert label.contextMenuPolicy() == Qt.CustomContextMenu
    assert export.install_export_menu(plot) and not export.install_export_menu(plot)  # rerouted once


def test_loss_plot_fits_a_loaded_history_exactly_and_grows_in_jumps_after(qtbot):
    plot = LossPlot(smoothing=0.9, smoothed=("train",))
    qtbot.addWidget(plot)
    plot.set_series("train", np.arange(0, 200_001, 1000), np.linspace(3.0, 2.0, 201))
    x0, x1, _, _ = plot._view
    assert (x0, x1) == (0, 200_000)  # not the next power-of-two jump (327,680)
    plot.add_point("train", 201_000, 2.0)
    assert plot._view[1] == 400_000  # live points beyond it: the view doubles
