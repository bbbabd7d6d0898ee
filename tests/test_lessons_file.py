"""The .playground lesson file: a faithful round trip, atomic saves, and damaged files (cut short,
from a newer version, with a part missing or corrupt) that open what they can and say what they
skipped."""
import io
import json
import os
import struct
import zipfile

import numpy as np
import pytest

from playground.lessons.fileformat import (LESSON_JSON, VERSION, Curve, Lesson, LessonError, Step, TabState,
                                           read_lesson, write_lesson)


def make_lesson() -> Lesson:
    rng = np.random.default_rng(0)
    names = TabState(page="health", page_index=1, clean=True,
                     widgets=[{"path": "A/ControlsForm/lr", "kind": "float", "value": 0.05},
                              {"path": "A/ControlsForm/steps", "kind": "int", "value": 1234},
                              {"path": "A/QComboBox", "kind": "choice", "value": "batchnorm"},
                              {"path": "A/QCheckBox", "kind": "check", "value": True},
                              {"path": "A/QLineEdit", "kind": "text", "value": "émma"},
                              {"path": "A/QPlainTextEdit", "kind": "plain", "value": "a = 2.0\nb = a * 3"}],
                     extra={"selected": [1, 14], "note": "x"},
                     arrays={"drawing": rng.integers(0, 255, (28, 28)).astype(np.uint8)},
                     curves=[Curve("B/LossPlot", {"train": (np.arange(5.0), rng.random(5)),
                                                  "val": (np.array([0.0, 4.0]), np.array([3.0, 2.5]))})],
                     weights={"C/WeightsBox": b"weights of names"})
    bigram = TabState(page="count", widgets=[{"path": "S", "kind": "int", "value": 3}],
                      weights={"W/WeightsBox": b"other weights" * 1000})
    return Lesson(title="Why batch norm", description="d", current_tab="names", presentation=True,
                  tabs={"names": names, "bigram": bigram},
                  script=[Step("One", "First.", "names", "loss", "A/ControlsForm/lr"), Step("Two")])


def assert_same_tab(a: TabState, b: TabState):
    assert (a.page, a.page_index, a.clean, a.widgets, a.extra) == (b.page, b.page_index, b.clean, b.widgets, b.extra)
    assert a.arrays.keys() == b.arrays.keys()
    for k in a.arrays:
        np.testing.assert_array_equal(a.arrays[k], b.arrays[k])
        assert a.arrays[k].dtype == b.arrays[k].dtype
    assert [c.plot for c in a.curves] == [c.plot for c in b.curves]
    for ca, cb in zip(a.curves, b.curves):
        assert list(ca.series) == list(cb.series)
        for s in ca.series:
            np.testing.assert_array_equal(ca.series[s][0], cb.series[s][0])
            np.testing.assert_array_equal(ca.series[s][1], cb.series[s][1])
    assert a.weights == b.weights


def test_round_trip_keeps_everything(tmp_path):
    lesson = make_lesson()
    path = write_lesson(tmp_path / "l.playground", lesson)
    back, skipped = read_lesson(path)
    assert skipped == []
    assert (back.title, back.description, back.current_tab, back.presentation) == \
           ("Why batch norm", "d", "names", True)
    assert back.script == lesson.script
    assert list(back.tabs) == ["names", "bigram"]
    for name in lesson.tabs:
        assert_same_tab(lesson.tabs[name], back.tabs[name])


def test_lesson_json_comes_first_and_is_readable(tmp_path):
    path = write_lesson(tmp_path / "l.playground", make_lesson())
    with zipfile.ZipFile(path) as z:
        assert z.namelist()[0] == LESSON_JSON
        header = json.loads(z.read(LESSON_JSON))
    assert header["format"] == "playground-lesson" and header["version"] == VERSION


def test_save_is_atomic(tmp_path):
    path = tmp_path / "l.playground"
    write_lesson(path, make_lesson())
    before = path.read_bytes()
    bad = make_lesson()
    bad.tabs["names"].extra = {"not json": {1, 2}}  # a set: json.dumps fails
    with pytest.raises(TypeError):
        write_lesson(path, bad)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.playground"]  # no temp file left


@pytest.mark.parametrize("into", ["header", "data"])
def test_a_truncated_file_keeps_the_parts_it_still_holds(tmp_path, into):
    path = write_lesson(tmp_path / "l.playground", make_lesson())
    raw = path.read_bytes()
    last = "tabs/bigram/weights/0.npz"
    with zipfile.ZipFile(path) as z:
        cut = z.getinfo(last).header_offset + 10 if into == "header" else _data_offset(path, last) + 5
    path.write_bytes(raw[:cut])
    lesson, skipped = read_lesson(path)
    assert lesson.title == "Why batch norm" and len(lesson.script) == 2
    assert any("cut short" in s for s in skipped)
    assert lesson.tabs["names"].widgets == make_lesson().tabs["names"].widgets  # the JSON survived
    # the bigram weights were the last part: gone, and said so
    assert "W/WeightsBox" not in lesson.tabs["bigram"].weights
    assert any("Bigram tab's weights" in s for s in skipped)


def test_a_cut_file_whose_parts_are_zips_themselves_keeps_its_lesson(tmp_path):
    """Weights are .npz files, zips of their own: a file cut inside the last one must not be read
    through another part's zip directory."""
    npz = io.BytesIO()
    np.savez(npz, W=np.ones((27, 27), np.float32))
    lesson = make_lesson()
    lesson.tabs["names"].weights = {"C/WeightsBox": npz.getvalue()}
    lesson.tabs["bigram"].weights = {"W/WeightsBox": npz.getvalue() * 3}
    path = write_lesson(tmp_path / "l.playground", lesson)
    for cut in range(_data_offset(path, "tabs/bigram/weights/0.npz") - 20, path.stat().st_size, 97):
        (tmp_path / "cut.playground").write_bytes(path.read_bytes()[:cut])
        back, skipped = read_lesson(tmp_path / "cut.playground")
        assert back.title == "Why batch norm" and back.tabs["names"].weights == lesson.tabs["names"].weights
        assert any("cut short" in s for s in skipped)


def test_a_file_cut_inside_lesson_json_is_an_error(tmp_path):
    path = write_lesson(tmp_path / "l.playground", make_lesson())
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(LessonError, match="damaged"):
        read_lesson(path)


def _rewrite(path, change):
    """Rewrite the zip with change(name, data) -> data or None (drop)."""
    with zipfile.ZipFile(path) as z:
        members = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members:
            data = change(name, data)
            if data is not None:
                z.writestr(name, data)


def test_a_newer_version_opens_what_it_knows(tmp_path):
    path = write_lesson(tmp_path / "l.playground", make_lesson())

    def newer(name, data):
        if name != LESSON_JSON:
            return data
        header = json.loads(data)
        header["version"] = VERSION + 5
        header["hologram"] = {"x": 1}
        header["tabs"]["names"]["widgets"].append({"path": "Z", "kind": "hologram-dial", "value": 3})
        header["tabs"]["names"]["widgets"].append({"path": "Y", "kind": "int", "value": "three"})
        return json.dumps(header)

    _rewrite(path, newer)
    lesson, skipped = read_lesson(path)
    assert any("newer Playground" in s for s in skipped)
    assert any("hologram" in s for s in skipped)
    assert any("2 unreadable control value(s)" in s for s in skipped)
    assert_same_tab(lesson.tabs["names"], make_lesson().tabs["names"])


def test_a_missing_member_is_skipped_and_named(tmp_path):
    path = write_lesson(tmp_path / "l.playground", make_lesson())
    _rewrite(path, lambda name, data: None if name == "tabs/names/arrays.npz" else data)
    lesson, skipped = read_lesson(path)
    names = lesson.tabs["names"]
    assert names.curves == [] and names.arrays == {}
    assert names.weights == {"C/WeightsBox": b"weights of names"}  # the rest of the tab stays
    assert names.widgets == make_lesson().tabs["names"].widgets
    assert any("Names MLP tab's curves and drawings" in s and "missing" in s for s in skipped)


def _data_offset(path, member) -> int:
    """Where a member's (compressed) bytes start in the zip."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    raw = path.read_bytes()
    name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
    return info.header_offset + 30 + name_len + extra_len


def test_a_corrupt_member_is_skipped(tmp_path):
    path = write_lesson(tmp_path / "l.playground", make_lesson())
    raw = bytearray(path.read_bytes())
    at = _data_offset(path, "tabs/bigram/weights/0.npz") + 10
    raw[at:at + 5] = bytes(b ^ 0xFF for b in raw[at:at + 5])
    path.write_bytes(bytes(raw))
    lesson, skipped = read_lesson(path)
    assert "W/WeightsBox" not in lesson.tabs["bigram"].weights
    assert lesson.tabs["names"].weights == {"C/WeightsBox": b"weights of names"}
    assert any("damaged" in s for s in skipped)


def test_a_damaged_arrays_member_is_skipped(tmp_path):
    path = write_lesson(tmp_path / "l.playground", make_lesson())
    _rewrite(path, lambda name, data: b"not an npz" if name.endswith("arrays.npz") else data)
    lesson, skipped = read_lesson(path)
    assert lesson.tabs["names"].arrays == {} and any("curves and drawings" in s for s in skipped)


@pytest.mark.parametrize("content,message", [
    (b"hello, not a zip", "not a Playground lesson"),
    (None, "not a Playground lesson"),  # a zip of something else
    (b"", "not a Playground lesson"),
])
def test_files_that_are_not_lessons_are_refused_in_one_sentence(tmp_path, content, message):
    path = tmp_path / "x.playground"
    if content is None:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("lesson.json", json.dumps({"format": "something-else"}))
    else:
        path.write_bytes(content)
    with pytest.raises(LessonError, match=message):
        read_lesson(path)


def test_a_folder_or_a_fifo_is_refused(tmp_path):
    with pytest.raises(LessonError, match="folder"):
        read_lesson(tmp_path)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.playground"
        os.mkfifo(fifo)
        with pytest.raises(LessonError, match="not a regular file"):
            read_lesson(fifo)


def test_unsafe_arrays_are_refused(tmp_path):
    """Arrays go through the one safe .npz reader: no pickled objects."""
    path = write_lesson(tmp_path / "l.playground", make_lesson())
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("extra/drawing.npy", buf.getvalue())
    _rewrite(path, lambda name, data: evil.getvalue() if name == "tabs/names/arrays.npz" else data)
    lesson, skipped = read_lesson(path)
    assert lesson.tabs["names"].arrays == {} and skipped


def test_the_desktop_entry_opens_lessons_with_playground(tmp_path):
    from playground.lessons import desktop

    mime, entry = desktop.install(tmp_path, run_tools=False)
    assert 'glob pattern="*.playground"' in mime.read_text()
    text = entry.read_text()
    assert f"MimeType={desktop.MIME_TYPE};" in text and "-m playground %f" in text
    assert desktop.uninstall(tmp_path, run_tools=False) == [mime, entry] and not entry.exists()
