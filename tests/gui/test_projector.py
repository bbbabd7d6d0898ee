"""On the projector: at 1024x768, 1280x720, 1280x800 and 1920x1080, in presentation and normal
mode, every page of every tab fits the window (nothing forces it larger, whatever the order the
pages were visited in), and in presentation mode no text of a visible figure is under 20 px."""
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication

from playground import registry

SIZES = [(1024, 768), (1280, 720), (1280, 800), (1920, 1080)]
MIN_TEXT_PX = 20


def pages(window):
    out = []
    for spec in registry.TABS:
        tab = window.show_tab(spec.name)
        out += [(spec.name, p) for p in tab.page_keys()] or [(spec.name, None)]
    return out


def font_px(font) -> float:
    return font.pixelSize() if font.pixelSize() > 0 else font.pointSizeF() * 96 / 72


def small_texts(widget) -> list[str]:
    """Text in the visible plots of `widget` drawn under MIN_TEXT_PX."""
    bad = []
    for view in widget.findChildren(pg.GraphicsView):
        if not view.isVisible():
            continue
        for item in view.scene().items():
            if not item.isVisible():
                continue
            if isinstance(item, pg.AxisItem) and item.style.get("showValues", True):
                tick = item.style.get("tickFont")
                if tick is not None and font_px(tick) < MIN_TEXT_PX:
                    bad.append(f"{type(view).__name__} axis {item.orientation}: {font_px(tick):.0f} px")
            elif isinstance(item, pg.TextItem) and item.textItem.toPlainText().strip():
                if font_px(item.textItem.font()) < MIN_TEXT_PX:
                    bad.append(f"{type(view).__name__} text {item.textItem.toPlainText()[:12]!r}: "
                               f"{font_px(item.textItem.font()):.0f} px")
    return bad


@pytest.mark.parametrize("presentation", [True, False], ids=["presentation", "normal"])
def test_every_page_fits_every_projector(main_window, presentation):
    if presentation:
        main_window.presentation_action.trigger()
    try:
        visits = pages(main_window)
        problems = []
        for order in (visits, visits[::-1]):
            for w, h in SIZES:
                main_window.resize(w, h)
                for tab_name, page in order:
                    tab = main_window.show_tab(tab_name)
                    if page:
                        tab.show_page(page)
                    for _ in range(3):  # the layout, then the window folding the controls to fit
                        QApplication.processEvents()
                    size = main_window.size()
                    if size.width() > w or size.height() > h:
                        problems.append(f"{w}x{h} {tab_name}/{page}: window forced to "
                                        f"{size.width()}x{size.height()}")
                    shown = tab.pages.currentWidget() if getattr(tab, "pages", None) is not None else tab
                    need, have = shown.minimumSizeHint(), shown.size()
                    if need.width() > have.width() + 2 or need.height() > have.height() + 2:
                        problems.append(f"{w}x{h} {tab_name}/{page}: squeezed to {have.width()}x{have.height()}, "
                                        f"needs {need.width()}x{need.height()}")
                    if presentation:
                        problems += [f"{w}x{h} {tab_name}/{page}: {t}" for t in small_texts(tab)]
        assert not problems, "\n".join(sorted(set(problems))[:40])
    finally:
        if presentation:
            main_window.presentation_action.trigger()
