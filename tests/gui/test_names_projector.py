"""Issue 13 on the Names MLP tab, in the real window in presentation mode at 1280x720 and 1024x768:
the Sample page's heatmap takes most of the page (it was ~50 px tall), the Loss page's plots are
not drawn past their edge ("Character emb…"), and the percentages in the heatmap's cells fit."""
import pytest
from PySide6.QtWidgets import QApplication

SIZES = [(1280, 720), (1024, 768)]



def show(window, size, page, qtbot):
    window.resize(*size)
    tab = window.show_tab("names")
    qtbot.waitUntil(lambda: tab.model is not None and not tab.busy(), timeout=60_000)
    tab.show_page(page)
    for _ in range(4):  # the layout, the window folding the controls, the views fitting
        QApplication.processEvents()
    return tab


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_sample_heatmap_takes_most_of_the_page(projector, size, qtbot):
    tab = show(projector, size, "sample", qtbot)
    tab.sampler.show_name("emma")
    heatmap, page = tab.sampler.probs_view, tab.pages.currentWidget()
    assert heatmap.height() >= 0.6 * page.height(), f"{heatmap.height()} px of {page.height()}"
    assert heatmap.width() >= 0.6 * page.width(), f"{heatmap.width()} px of {page.width()}"
    rows = heatmap.plot.vb.sceneBoundingRect().height() / heatmap.values.shape[0]
    assert rows >= 20, f"{rows:.0f} px per row of the heatmap"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("page", ["loss", "health", "weights"])
def test_plots_are_not_drawn_past_their_edge(projector, size, page, qtbot):
    tab = show(projector, size, page, qtbot)
    import pyqtgraph as pg
    views = [v for v in tab.pages.currentWidget().findChildren(pg.PlotWidget) if v.isVisible()]
    assert views
    for view in views:
        item = view.getPlotItem()
        drawn = item.mapRectToScene(item.boundingRect())
        assert drawn.right() <= view.width() + 1, f"{item.titleLabel.text!r} drawn to {drawn.right():.0f} " \
                                                  f"in a view {view.width()} px wide"
        title = item.titleLabel.item.boundingRect().width()
        assert title <= view.width(), f"the title {item.titleLabel.text!r} is cut"


def test_the_percentages_in_the_first_column_fit_their_cells(main_window, qtbot):
    tab = show(main_window, (1920, 1080), "sample", qtbot)
    tab.sampler.show_name("anna")  # ends with '.': its last row's number is in the first column
    heatmap = tab.sampler.probs_view
    R, C = heatmap.values.shape
    first = [heatmap._texts[r * C] for r in range(R) if heatmap._texts[r * C].textItem.toPlainText()]
    assert first and all(t.isVisible() for t in first), "the numbers are hidden at 1920x1080"
    box = heatmap.plot.vb.sceneBoundingRect()
    cell_w = box.width() / C
    for t in first:
        ink = t.sceneBoundingRect()
        assert ink.left() >= box.left() - 1 and ink.right() <= box.left() + cell_w + 1, \
            f"{t.textItem.toPlainText()!r} runs out of its cell"


def test_the_lr_plot_shows_the_rates_to_sweep_before_a_sweep(main_window, qtbot):
    tab = show(main_window, (1280, 720), "lr", qtbot)
    (x0, x1), (y0, y1) = tab.lr_page.plot.getPlotItem().viewRange()
    assert x0 <= -3 + 0.1 and x1 >= 0 - 0.1, "the axis shows the sweep's rates, 0.001 to 1"
    assert 1.5 <= y0 < y1 <= 4.5, "losses of a 27-character alphabet (−log(1/27) = 3.3)"
