"""An SVG exporter for pyqtgraph's Export… dialog that lets Qt write the SVG.

pyqtgraph 0.14's own SVGExporter re-parses the SVG that Qt writes and fails on the path syntax
of Qt 6.11+ ("not enough values to unpack"). Qt's QSvgGenerator renders the same scene
correctly, so this exporter takes its place in the dialog (and in playground.export).
"""
from __future__ import annotations

import pyqtgraph.exporters as exporters
from pyqtgraph.exporters.Exporter import Exporter
from pyqtgraph.parametertree import Parameter
from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator


class QtSvgExporter(Exporter):
    Name = "Scalable Vector Graphics (SVG)"
    allowCopy = False

    def __init__(self, item):
        super().__init__(item)
        self.params = Parameter.create(name="params", type="group", children=[])

    def parameters(self):
        return self.params

    def export(self, fileName=None, toBytes=False, copy=False):
        if fileName is None:
            self.fileSaveDialog(filter=["*.svg"])
            return
        source = self.getSourceRect()
        write_svg(fileName, source.width(), source.height(),
                  lambda painter, target: self.getScene().render(painter, target, source))


def write_svg(path: str, width: float, height: float, paint) -> None:
    """Render `paint(painter, target_rect)` into an SVG file of width x height."""
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(QSize(int(width), int(height)))
    gen.setViewBox(QRectF(0, 0, width, height))
    painter = QPainter(gen)
    try:
        paint(painter, QRectF(0, 0, width, height))
    finally:
        painter.end()


def install() -> None:
    """Put QtSvgExporter in place of pyqtgraph's SVGExporter in the Export… dialog, and drop the
    entries that need packages we do not ship (matplotlib, h5py)."""
    registry = Exporter.Exporters
    registry[:] = [cls for cls in registry if cls.__name__ not in ("MatplotlibExporter", "HDF5Exporter")]
    if QtSvgExporter not in registry:
        registry[:] = [QtSvgExporter if cls is exporters.SVGExporter else cls for cls in registry]
        if QtSvgExporter not in registry:
            registry.append(QtSvgExporter)


install()
