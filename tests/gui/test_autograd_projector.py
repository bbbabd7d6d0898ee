"""Issue 13 on the Autograd tab, in the real window in presentation mode: the graph's node text
is at least 20 px at Fit (the lecture's neuron at 1280x720 and 1024x768, whole once the controls
are hidden); the 299-box MLP preset is shown readable around the output, the view follows the
backward steps, an overview says where it is, and All shows it whole; the tiny-MLP page's figure
takes most of the window, folding the controls on a 1024-wide projector."""
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from models.autograd.expression import MLP_PRESET

MIN_TEXT_PX = 20


@pytest.fixture
def projector(main_window):
    main_window.presentation_action.trigger()
    yield main_window
    main_window.presentation_action.trigger()


def settle():
    for _ in range(4):
        QApplication.processEvents()


def graph_page(window, w, h):
    window.resize(w, h)
    tab = window.show_tab("autograd")
    tab.show_page("graph")
    settle()
    return tab, tab.graph_page


def on_screen(view, node) -> bool:
    box = view.mapFromScene(node.shape.sceneBoundingRect()).boundingRect()
    return view.viewport().rect().contains(box)


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)])
def test_lecture_neuron_text_is_readable_at_fit(projector, size):
    tab, page = graph_page(projector, *size)
    page.load_preset("Single neuron (lecture)")
    page.view.fit()
    settle()
    assert page.view.text_px() >= MIN_TEXT_PX
    output = page.view.nodes[("v", len(page.view.values) - 1)]
    assert on_screen(page.view, output)  # the part shown is the output's end


def test_with_the_controls_hidden_the_lecture_neuron_is_whole_and_readable(projector):
    tab, page = graph_page(projector, 1280, 720)
    page.load_preset("Single neuron (lecture)")
    projector.clean_action.trigger()  # View > Hide controls (Ctrl+H)
    try:
        settle()
        page.view.fit()
        assert page.view.text_px() >= MIN_TEXT_PX and page.view.shows_all()
        assert not page.view.overview.isVisible()
    finally:
        projector.clean_action.trigger()


def test_the_big_preset_is_readable_followed_and_can_be_seen_whole(projector, qtbot):
    tab, page = graph_page(projector, 1280, 720)
    with qtbot.waitSignal(page.graph_shown, timeout=20000):
        page.load_preset(MLP_PRESET)
    view = page.view
    assert len(view.nodes) > 290
    view.fit()
    settle()
    assert view.text_px() >= MIN_TEXT_PX and not view.shows_all()
    assert view.overview.isVisible()  # where the view is, in the corner
    assert on_screen(view, view.nodes[("v", len(view.values) - 1)])  # backward starts there
    for _ in range(60):
        assert page.backward_step()
        current = view._highlighted[-1]  # the node whose grad was just filled
        assert on_screen(view, current)  # the view follows the step ...
        box = view.mapFromScene(current.shape.sceneBoundingRect()).boundingRect()
        assert not box.intersects(view.overview.geometry())  # ... never under the overview
    assert view.text_px() >= MIN_TEXT_PX
    visible = lambda: view.mapToScene(view.viewport().rect()).boundingRect()  # noqa: E731
    before = visible()
    start = next(QPoint(x, y) for y in range(100, 400, 7) for x in range(100, 400, 7)
                 if view.itemAt(QPoint(x, y)) is None)  # between the boxes: a drag, not a click
    qtbot.mousePress(view.viewport(), Qt.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), start + QPoint(200, 100))
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, pos=start + QPoint(200, 100))
    dragged = visible()
    assert dragged.center() != before.center()  # dragging pans (no scroll bars needed)
    corner = view.overview.rect().topLeft() + QPoint(3, 3)
    qtbot.mouseClick(view.overview, Qt.LeftButton, pos=corner)  # the overview's top left ...
    assert visible().left() <= view.scene().sceneRect().left() + 1  # ... moves the view there
    assert visible().top() <= view.scene().sceneRect().top() + 1
    view.show_all()
    settle()
    assert view.shows_all() and not view.overview.isVisible()
    view.fit()
    assert view.text_px() >= MIN_TEXT_PX


@pytest.mark.parametrize("size,share", [((1280, 720), 0.6), ((1024, 768), 0.9)])
def test_the_tiny_mlp_figure_takes_most_of_the_window(projector, size, share):
    projector.resize(*size)
    tab = projector.show_tab("autograd")
    tab.show_page("train")
    for _ in range(3):  # the layout, then the window folding the controls where it must
        settle()
    figure = tab.train_page.figure
    assert figure.width() >= share * projector.width(), (figure.width(), projector.width())
    assert projector.size().width() <= size[0]
