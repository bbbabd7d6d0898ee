"""Lessons: a moment of the app in one `.playground` file (every tab's controls, weights, histories,
drawings, the page shown, presentation mode) plus an optional script of steps, and the Journey
view that puts every names model on one ladder of validation loss.

    fileformat.py   the file: a zip of lesson.json and .npz members; atomic save, forgiving read
    widget_state.py the generic part of a tab's state: input widgets, loss curves, weights boxes
    tab_extras.py   what the generic walk cannot see, per tab (until the tabs implement the hooks)
    session.py      saving and opening a lesson in the window, off the GUI thread
    menus.py        File > Open / Save lesson, Recent lessons; View > Journey; Help > Lessons
    script_bar.py   the slim Back / Next bar that walks a lesson's script
    journey.py      the Journey view (journey_data.py computes its rungs, without Qt)
    shipped.py      the shipped lessons in assets/lessons/ (build_shipped.py makes them)
    desktop.py      the .playground MIME type and .desktop entry, for double-clicking a lesson
"""
