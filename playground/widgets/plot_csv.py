"""A plot's data as CSV, one row per point: `series,x,y,label`.

pyqtgraph's own CSV exporter names unnamed curves `x0000,y0000` and drops what a reader needs most
here: which letter a point or a bar is. This one names every series (its legend name, else
"series N"), writes bars and text labels too, and takes a point's label from its scatter data, a
text item at it, or the bottom axis's letter ticks.
"""
from __future__ import annotations

import csv

import numpy as np
import pyqtgraph as pg


def plot_items(item) -> list[pg.PlotItem]:
    """The plots in a PlotItem or a layout of them."""
    if isinstance(item, pg.PlotItem):
        return [item]
    return [i for i in list(getattr(item, "items", [])) if isinstance(i, pg.PlotItem)]


def write_plot_csv(plots: list[pg.PlotItem], path) -> int:
    """Write every series of `plots` to `path`; returns the number of data rows."""
    rows = []
    for plot in plots:
        title = plot.titleLabel.text if len(plots) > 1 and plot.titleLabel.text else ""
        rows += [(f"{title}: {name}" if title else name, *rest) for name, *rest in _rows(plot)]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["series", "x", "y", "label"])
        writer.writerows(rows)
    return len(rows)


def _rows(plot: pg.PlotItem) -> list[tuple]:
    ticks = _axis_labels(plot.getAxis("bottom"))
    rows = []
    items = [i for i in plot.items if not isinstance(i, pg.TextItem)]
    for n, item in enumerate(items, 1):
        name = _name(item) or f"series {n}"
        for x, y, label in _points(item):
            rows.append((name, _num(x), _num(y), label or ticks.get(_key(x), "")))
    texts = [i for i in plot.items if isinstance(i, pg.TextItem) and i.isVisible()]
    for t in texts:  # labels placed as text (a vocabulary drawn as letters): the letter and where
        pos = t.pos()
        rows.append(("labels", _num(pos.x()), _num(pos.y()), t.textItem.toPlainText()))
    return rows


def _points(item):
    """(x, y, label) of each point of a data item or bar chart; nothing for other items."""
    if isinstance(item, pg.BarGraphItem):
        x, h = item.opts.get("x"), item.opts.get("height")
        if x is None or h is None:
            return []
        return [(a, b, "") for a, b in zip(np.ravel(x), np.ravel(h))]
    if isinstance(item, pg.ScatterPlotItem):
        x, y = item.getData()
        data = item.data["data"] if len(item.data) else []
        labels = [d if isinstance(d, str) else "" for d in data]
        return list(zip(x, y, labels))
    if isinstance(item, (pg.PlotDataItem, pg.PlotCurveItem)):
        x, y = item.getData()
        if x is None or y is None:
            return []
        return [(a, b, "") for a, b in zip(x, y)]
    return []


def _name(item) -> str:
    name = item.name() if hasattr(item, "name") and callable(item.name) else None
    if not name and isinstance(item, pg.PlotDataItem):
        name = item.opts.get("name")
    return str(name) if name else ""


def _axis_labels(axis) -> dict:
    """The bottom axis's fixed ticks (letters under bars), by position."""
    levels = getattr(axis, "_tickLevels", None) or []
    return {_key(v): str(s) for level in levels for v, s in level}


def _key(x) -> float:
    return round(float(x), 6)


def _num(v) -> str:
    v = float(v)
    return "" if not np.isfinite(v) else np.format_float_positional(v, precision=6, trim="-")
