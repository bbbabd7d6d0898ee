"""The right-click Export… of a plot is the app's export, and its CSV says what each point is."""
import csv

import numpy as np
import pyqtgraph as pg

from playground import export
from playground.widgets.loss_plot import LossPlot


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_a_plots_menu_export_opens_the_apps_dialog_not_pyqtgraphs(qtbot, monkeypatch):
    plot = LossPlot()
    qtbot.addWidget(plot)
    asked = []
    monkeypatch.setattr(export, "ask_and_export", lambda parent, widget, name: asked.append((widget, name)))
    assert export.install_export_menu(plot, "names-loss")
    plot.scene().contextMenu[0].trigger()
    assert asked == [(plot, "names-loss")] and plot.scene().exportDialog is None  # pyqtgraph's never made


def test_csv_names_every_series_and_keeps_letters(qtbot, tmp_path):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.addItem(pg.BarGraphItem(x=[0, 1, 2], height=[0.5, 0.3, 0.2], width=0.4))
    plot.getAxis("bottom").setTicks([[(0, "."), (1, "a"), (2, "b")]])
    scatter = pg.ScatterPlotItem()
    scatter.setData(x=[0.1, 0.2], y=[1.0, -1.0], data=["e", "z"])
    plot.addItem(scatter)
    plot.plot([0, 1], [2.0, 3.0], name="train")
    table = rows(export.export(plot, tmp_path / "p.csv"))
    assert table[0] == ["series", "x", "y", "label"]
    body = table[1:]
    assert ["series 1", "1", "0.3", "a"] in body  # a bar, its letter from the axis
    assert ["series 2", "0.2", "-1", "z"] in body  # a scatter point, its letter from its data
    assert ["train", "1", "3", "a"] in body  # a named curve (the axis names its x too)
    assert not any(r[0].startswith("x0") for r in table)


def test_text_labels_are_exported_with_their_positions(qtbot, tmp_path):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    for ch, (x, y) in zip("ab", [(0.5, 1.5), (-2.0, 0.25)]):
        t = pg.TextItem(ch)
        t.setPos(x, y)
        plot.addItem(t)
    table = rows(export.export(plot, tmp_path / "t.csv"))
    assert sorted(table[1:]) == [["labels", "-2", "0.25", "b"], ["labels", "0.5", "1.5", "a"]]


def test_a_layout_of_plots_exports_each_under_its_title(qtbot, tmp_path):
    view = pg.GraphicsLayoutWidget()
    qtbot.addWidget(view)
    for title in ("loss", "accuracy"):
        p = view.addPlot(title=title)
        p.plot(np.arange(3), np.arange(3) * 1.0, name="train")
    table = rows(export.export(view, tmp_path / "l.csv"))
    assert {r[0] for r in table[1:]} == {"loss: train", "accuracy: train"}


def test_the_names_embedding_exports_each_letter(qtbot, tmp_path):
    from playground.tabs.names.plots import EmbeddingPlot

    plot = EmbeddingPlot()
    qtbot.addWidget(plot)
    plot.show()
    plot.set_embedding(np.array([[0.5, -1.0], [2.0, 0.25]]), [".", "a"], pca=False)
    table = rows(export.export(plot, tmp_path / "e.csv"))
    assert sorted(r[1:] for r in table[1:]) == [["0.5", "-1", "."], ["2", "0.25", "a"]]
