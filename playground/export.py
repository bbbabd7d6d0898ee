"""Saving what is on screen: PNG and SVG of any plot or widget, CSV of a plot's data.

pyqtgraph plots use pyqtgraph's exporter for PNG and widgets/plot_csv.py for CSV (their right-click
Export… leads here too); SVG and plain widgets are rendered by Qt (see widgets/svg_exporter.py for why). A widget may offer `to_csv(path)` for its data (Heatmap does).
Every file is written to a temporary name first and renamed, so a failed export loses nothing.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyqtgraph as pg
import pyqtgraph.exporters as exporters
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QGraphicsView, QMenu, QMessageBox, QWidget

from playground.widgets import plot_csv, svg_writer
from playground.widgets.svg_exporter import write_svg

FORMATS = {".png": "PNG image", ".svg": "SVG vector image", ".csv": "CSV data"}


def formats_for(widget) -> list[str]:
    """Extensions this widget can be exported to."""
    exts = [".png", ".svg"]
    if hasattr(widget, "to_csv") or plot_csv.plot_items(_plot_item(widget)):
        exts.append(".csv")
    return exts


def file_filter(widget) -> str:
    return ";;".join(f"{FORMATS[e]} (*{e})" for e in formats_for(widget))


def export(widget, path) -> Path:
    """Write `widget` to `path`, the format chosen by the extension. Raises ValueError if unsupported."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in formats_for(widget):
        raise ValueError(f"Cannot save this view as {ext or 'a file without extension'}; "
                         f"use one of {', '.join(formats_for(widget))}.")
    fd, tmp = tempfile.mkstemp(suffix=ext, prefix=".export-", dir=path.parent if path.parent.exists() else None)
    os.close(fd)
    try:
        _write(widget, tmp, ext)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; an exported file gets the usual mode
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _plot_item(widget):
    """The pyqtgraph item to hand to an exporter, or None for plain Qt widgets."""
    if isinstance(widget, pg.PlotWidget):
        return widget.getPlotItem()
    if isinstance(widget, pg.GraphicsLayoutWidget):
        return widget.ci
    if isinstance(widget, pg.GraphicsItem):
        return widget
    return None


def _write(widget, tmp: str, ext: str) -> None:
    item = _plot_item(widget)
    if ext == ".csv":
        if hasattr(widget, "to_csv"):
            widget.to_csv(tmp)
        elif plot_csv.plot_items(item):
            plot_csv.write_plot_csv(plot_csv.plot_items(item), tmp)
        else:
            raise ValueError("This view has no plotted data to save as CSV.")
    elif item is not None and ext == ".png":
        exporter = exporters.ImageExporter(item)
        exporter.parameters()["width"] = max(1600, int(item.sceneBoundingRect().width()))  # sharp on a slide
        exporter.export(tmp)
    elif ext == ".png":
        if not widget.grab().save(tmp, "PNG"):
            raise OSError(f"could not write {tmp}")
    else:
        _write_svg(widget, tmp)


def _write_svg(widget, tmp: str) -> None:
    if isinstance(widget, pg.GraphicsItem):
        widget = widget.scene().views()[0]
    if isinstance(widget, pg.GraphicsView):  # a plot: what is on screen
        text = svg_writer.plot_svg(widget) if svg_writer.can_write_vector(widget) else svg_writer.raster_svg(widget)
        Path(tmp).write_text(text, encoding="utf-8")
    elif isinstance(widget, QGraphicsView):  # a pannable scene of boxes and text (the autograd graph): all of it
        source = widget.scene().itemsBoundingRect()
        write_svg(tmp, source.width(), source.height(),
                  lambda painter, target: widget.scene().render(painter, target, source))
    else:
        Path(tmp).write_text(svg_writer.raster_svg(widget), encoding="utf-8")


def ask_and_export(parent: QWidget, widget, name: str = "figure") -> Path | None:
    """A save dialog for `widget`; returns the written path, or None if cancelled."""
    path, chosen = QFileDialog.getSaveFileName(parent, "Export figure", f"{name}.png", file_filter(widget))
    if not path:
        return None
    if not Path(path).suffix:
        path += chosen.split("*")[-1].rstrip(")")
    return export(widget, path)


def install_export_menu(widget: QWidget, name: str = "figure") -> bool:
    """A right-click menu "Export…" on a view: pyqtgraph's own menu item is rerouted to this app's
    export (its dialog warns of font sizes and writes unnamed CSV columns); plain Qt widgets get
    a menu of their own, unless they already use the right button (the drawing canvas clears on
    it). Returns whether a menu was installed or rerouted."""
    if widget.property("export_menu"):
        return False
    if isinstance(widget, pg.GraphicsView):
        action = widget.scene().contextMenu[0]  # pyqtgraph's "Export..."
        action.triggered.disconnect()
        action.triggered.connect(lambda *_: _export_from_menu(widget, name))
    elif _plot_item(widget) is None and widget.contextMenuPolicy() == Qt.DefaultContextMenu:
        widget.setContextMenuPolicy(Qt.CustomContextMenu)
        widget.customContextMenuRequested.connect(lambda pos: _show_menu(widget, pos, name))
    else:
        return False
    widget.setProperty("export_menu", True)
    return True


def _show_menu(widget: QWidget, pos, name: str) -> None:  # GUI thread: a right-click on the widget
    menu = QMenu(widget)
    action = menu.addAction("Export…")
    if menu.exec(widget.mapToGlobal(pos)) is action:
        _export_from_menu(widget, name)


def _export_from_menu(widget: QWidget, name: str) -> None:
    try:
        ask_and_export(widget, widget, name)
    except (OSError, ValueError) as e:
        QMessageBox.warning(widget, "Export failed", str(e))
