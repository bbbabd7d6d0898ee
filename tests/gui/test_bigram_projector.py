"""Issue 13 on the Bigram tab, in the real window: at 1280x720 and 1024x768 in presentation mode
every one of the 27 row and column letters is drawn, at 20 px or more, with no two letters (nor a
letter and a cell) overlapping, on the count matrix and on both Learn W matrices; the figures take
most of the page, also with the controls unfolded; Train and Stop are on screen; Ctrl+H folds the
tab's controls."""
import pytest
from PySide6.QtWidgets import QApplication

from playground import style as app_style
from playground.tabs.bigram.cells import PROJECTOR_MIN_PX, MatrixData
from playground.tabs.bigram.matrix import MatrixView

SIZES = [(1280, 720), (1024, 768)]



def settle():
    for _ in range(4):  # the layout, the window folding the controls, the views fitting
        QApplication.processEvents()


def show(window, size, page):
    window.resize(*size)
    tab = window.show_tab("bigram")
    assert tab.wait_until_loaded() and tab.data is not None
    tab.show_page(page)
    settle()
    return tab


def assert_every_letter_readable(view: MatrixView, min_px: int) -> None:
    labels = view.drawn_labels()  # (axis, index, text, ink box, px)
    R, C = view.data.shape
    assert sorted(i for axis, i, *_ in labels if axis == 0) == list(range(R)), "a row label is missing"
    assert sorted(i for axis, i, *_ in labels if axis == 1) == list(range(C)), "a column label is missing"
    assert min(px for *_, px in labels) >= min_px
    g, room = view.geom(), view.viewport().rect()
    for axis, i, text, box, _ in labels:
        assert room.contains(box), f"{text!r} is cut by the view's edge"
        assert (box.right() < g.left) if axis == 0 else (box.bottom() < g.top), f"{text!r} lies on the cells"
    clashes = [(a[2], b[2]) for k, a in enumerate(labels) for b in labels[k + 1:] if a[3].intersects(b[3])]
    assert not clashes, f"letters overlap: {clashes}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_count_matrix_labels_every_letter_at_20px(projector, size):
    tab = show(projector, size, "count")
    view = tab.matrix
    assert view.fit and view.data.shape == (27, 27)
    assert_every_letter_readable(view, PROJECTOR_MIN_PX)
    page = tab.pages.currentWidget()
    share = view.width() * view.height() / (page.width() * page.height())
    assert share > 0.55, f"the matrix has {share:.0%} of the page"
    g = view.geom()
    vp = view.viewport().size()
    assert max(g.top + 27 * g.cell, g.left + 27 * g.cell) >= 0.95 * min(vp.width(), vp.height())  # fills it


def test_with_the_controls_shown_every_letter_is_still_readable(projector, size=(1280, 720)):
    """The window folds the controls on a projector; a teacher unfolds them to move the
    smoothing slider, and at 1280x720 the matrix beside them keeps every letter at 20 px (at
    1024 the page asks for the width: that is why the window folds them)."""
    tab = show(projector, size, "count")
    tab.side.set_collapsed(False)  # the strip's arrow, or Ctrl+H twice
    try:
        settle()
        page = tab.pages.currentWidget()
        need = page.minimumSizeHint()
        assert need.width() <= page.width() + 2 and need.height() <= page.height() + 2
        assert_every_letter_readable(tab.matrix, PROJECTOR_MIN_PX)
        assert projector.width() <= size[0] and projector.height() <= size[1]
    finally:
        tab.side.set_collapsed(True)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_learn_w_labels_both_matrices_and_keeps_train_and_stop_on_screen(projector, size):
    tab = show(projector, size, "learn")
    page = tab.neural
    for view in (page.count_view, page.net_view):
        assert_every_letter_readable(view, PROJECTOR_MIN_PX)
    area = sum(v.width() * v.height() for v in (page.count_view, page.net_view))
    assert area / (page.width() * page.height()) > 0.5
    window = projector.rect()
    for button in (page.controls.start_button, page.controls.step_button, page.controls.stop_button):
        assert button.isVisible()
        top_left = button.mapTo(projector, button.rect().topLeft())
        assert window.contains(top_left) and window.contains(top_left + button.rect().bottomRight())


def test_normal_mode_labels_every_letter_too(main_window):
    tab = show(main_window, (1280, 720), "count")
    assert_every_letter_readable(tab.matrix, app_style.current().font_px)
    tab.show_page("learn")
    settle()
    assert_every_letter_readable(tab.neural.net_view, app_style.current().font_px)


def test_hide_controls_folds_the_bigram_panel(main_window):
    tab = show(main_window, (1400, 900), "count")
    assert not tab.side.is_collapsed()
    main_window.clean_action.trigger()  # View > Hide controls (Ctrl+H)
    try:
        settle()
        assert tab.side.is_collapsed()
        assert_every_letter_readable(tab.matrix, app_style.current().font_px)
    finally:
        main_window.clean_action.trigger()
    assert not tab.side.is_collapsed()


def test_small_cells_stagger_the_labels_and_only_a_tiny_matrix_thins_them(qapp):
    data = MatrixData()
    letters = list(".abcdefghijklmnopqrstuvwxyz")
    data.set([[0.0] * 27] * 27, letters, letters)
    roomy = data.plan(lambda *_: 40.0)
    assert (roomy.labels.row_lanes, roomy.labels.col_lanes, roomy.labels.every) == (1, 1, 1)
    tight = data.plan(lambda *_: 12.0)
    assert tight.labels.every == 1 and max(tight.labels.row_lanes, tight.labels.col_lanes) >= 2
    assert tight.cell >= data.pitch_needed(tight.labels.px, tight.labels.row_lanes, tight.labels.col_lanes)
    tiny = data.plan(lambda *_: 3.0)
    assert tiny.labels.every > 1  # 27 letters cannot stand in 81 px: every k-th, never on top of each other
