"""The five shipped lessons (assets/lessons/) open completely in today's app and every step of their
scripts shows: when a tab's widgets change, this says which lesson to rebuild
(python -m playground.lessons.build_shipped N)."""
import pytest

from playground import registry
from playground.lessons import shipped, widget_state
from playground.lessons.fileformat import read_lesson
from tests.gui.test_lessons import new_window, open_lesson


def test_the_shipped_list_is_the_folder():
    files = sorted(p.name for p in shipped.folder().glob("*.playground"))
    assert files == sorted(item.file for item in shipped.SHIPPED)
    assert [item.tab for item in shipped.SHIPPED] == list(registry.names())  # one per tab, in order


@pytest.mark.parametrize("item", shipped.SHIPPED, ids=[item.tab for item in shipped.SHIPPED])
def test_a_shipped_lesson_opens_whole_and_its_steps_show(qtbot, item):
    lesson, skipped = read_lesson(item.path)
    assert skipped == [] and lesson.title == item.title
    assert list(lesson.tabs) == [item.tab] and lesson.presentation is None
    assert len(lesson.script) >= 4
    window = new_window(qtbot)
    assert open_lesson(qtbot, window, item.path) == [], f"rebuild {item.file}"
    bar = window.lessons.bar
    assert bar.isVisible() and bar.index == 0
    for i, step in enumerate(lesson.script):
        bar.show_step(i)
        assert bar.problem == "", f"{item.file}, step {i + 1}: {bar.problem}"
        tab = window.current_tab()
        assert tab.name == (step.tab or item.tab)
        if step.control:
            assert widget_state.find_control(tab, step.control) is not None
    window.shutdown()
