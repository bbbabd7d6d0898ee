"""The lesson file: one `.playground` zip holding `lesson.json` and `.npz` members.

    lesson.json                     title, script, the tab shown, presentation mode, and per tab:
                                    its page, input widgets, extra JSON, curves and weights members
    tabs/<tab>/arrays.npz           the tab's arrays: loss curves, drawings, clicked points ...
    tabs/<tab>/weights/<k>.npz      a checkpoint file as models.core.checkpoint wrote it

Saving is atomic (a temp file in the same folder, then a rename). Reading forgives: a file cut
short is read member by member from its local headers (lesson.json comes first, so it survives),
a member that is missing or damaged is skipped, a newer format's unknown parts are skipped, and
`read_lesson` returns what it kept together with a sentence for everything it skipped. Only a file
that is not a lesson at all (or has no readable lesson.json) raises LessonError. No Qt here.
"""
from __future__ import annotations

import io
import json
import os
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.core.safe_files import MB, read_bytes, read_npz

FORMAT = "playground-lesson"
VERSION = 1  # raise when a reader of this version would misread a newer file
SUFFIX = ".playground"
LESSON_JSON = "lesson.json"
MAX_FILE = 512 * MB  # a lesson on disk
MAX_TOTAL = 768 * MB  # all its members, unpacked
MAX_MEMBERS = 1000
WIDGET_KINDS = ("int", "float", "text", "choice", "check", "plain")  # see widget_state.py
_ZIP_LOCAL = 0x04034B50


class LessonError(ValueError):
    """Not a lesson at all; the message is for the user."""


@dataclass
class Curve:
    """One loss plot's curves: its widget path and {series: (xs, ys)}."""
    plot: str
    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


@dataclass
class TabState:
    page: str = ""  # Tab.current_page()
    page_index: int = -1  # its index, for tabs whose page keys repeat
    clean: bool = False  # View > Hide controls: its side panels folded
    widgets: list[dict] = field(default_factory=list)  # {"path", "kind", "value"} (widget_state.py)
    extra: dict = field(default_factory=dict)  # the tab's lesson_state() JSON
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # the tab's lesson_state() arrays
    curves: list[Curve] = field(default_factory=list)
    weights: dict[str, bytes] = field(default_factory=dict)  # weights-box path -> checkpoint bytes


@dataclass
class Step:
    """One step of a lesson's script."""
    title: str
    text: str = ""  # a sentence or two for the class
    tab: str = ""  # the tab to show ("" = stay)
    page: str = ""  # its page key ("" = stay)
    control: str = ""  # a widget to point at: its path or objectName ("" = none)


@dataclass
class Lesson:
    title: str = ""
    description: str = ""
    current_tab: str = ""
    presentation: bool | None = None  # None: leave the viewer's own setting
    tabs: dict[str, TabState] = field(default_factory=dict)
    script: list[Step] = field(default_factory=list)


# -- writing -----------------------------------------------------------------------------------
def write_lesson(path, lesson: Lesson) -> Path:
    """Write `lesson` to `path` atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"format": FORMAT, "version": VERSION, "app": _app_version(), "title": lesson.title,
              "description": lesson.description, "current_tab": lesson.current_tab,
              "presentation": lesson.presentation, "script": [vars(s) for s in lesson.script], "tabs": {}}
    members: list[tuple[str, bytes, int]] = []
    for name, tab in lesson.tabs.items():
        entry = {"page": tab.page, "page_index": tab.page_index, "clean": tab.clean, "widgets": tab.widgets,
                 "extra": tab.extra,
                 "curves": [], "weights": {}, "arrays": None}
        arrays = {f"extra/{k}": np.asarray(v) for k, v in tab.arrays.items()}
        for i, curve in enumerate(tab.curves):
            entry["curves"].append({"plot": curve.plot, "series": list(curve.series)})
            for j, (xs, ys) in enumerate(curve.series.values()):
                arrays[f"curve/{i}/{j}/x"], arrays[f"curve/{i}/{j}/y"] = np.asarray(xs, float), np.asarray(ys, float)
        if arrays:
            entry["arrays"] = f"tabs/{name}/arrays.npz"
            members.append((entry["arrays"], _npz_bytes(arrays), zipfile.ZIP_DEFLATED))
        for k, (box, raw) in enumerate(tab.weights.items()):
            member = f"tabs/{name}/weights/{k}.npz"
            entry["weights"][box] = member
            # deflated although already compressed: stored, the npz's own zip records would show
            # through and could pass for this file's own in a file cut short
            members.append((member, raw, zipfile.ZIP_DEFLATED))
        header["tabs"][name] = entry
    text = json.dumps(header, indent=1, allow_nan=False).encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w") as z:  # lesson.json first: a cut file still has it
                z.writestr(LESSON_JSON, text, compress_type=zipfile.ZIP_DEFLATED)
                for member, raw, method in members:
                    z.writestr(member, raw, compress_type=method)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _app_version() -> str:
    from playground import __version__

    return __version__


# -- reading -----------------------------------------------------------------------------------
def read_lesson(path) -> tuple[Lesson, list[str]]:
    """(the lesson, sentences about what was skipped). Raises LessonError when nothing of a lesson
    can be read."""
    name = Path(path).name
    raw = read_bytes(path, MAX_FILE, LessonError)
    skipped: list[str] = []
    members = _members(raw, name, skipped)
    if LESSON_JSON not in members:
        if not members and not raw.startswith(b"PK"):
            raise LessonError(f"{name} is not a Playground lesson (not a zip file).")
        raise LessonError(f"{name} is damaged: its lesson.json could not be read.")
    try:
        header = json.loads(members.pop(LESSON_JSON).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise LessonError(f"{name} is damaged: its lesson.json is not valid JSON.") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise LessonError(f"{name} is a zip file but not a Playground lesson.")
    version = header.get("version")
    newer = not isinstance(version, int) or version > VERSION
    if newer:
        skipped.append(f"{name} was made by a newer Playground (lesson format {version!r}; this one reads "
                       f"format {VERSION}): what this version does not know was skipped.")
        unknown = sorted(set(header) - {"format", "version", "app", "title", "description", "current_tab",
                                        "presentation", "script", "tabs"})
        if unknown:
            skipped.append(f"Unknown parts of the lesson: {', '.join(unknown)}.")
    lesson = Lesson(title=_str(header.get("title")), description=_str(header.get("description")),
                    current_tab=_str(header.get("current_tab")))
    if isinstance(header.get("presentation"), bool):
        lesson.presentation = header["presentation"]
    lesson.script = _script(header.get("script"), skipped)
    tabs = header.get("tabs")
    if not isinstance(tabs, dict):
        tabs = {}
        skipped.append("The lesson's tab states were unreadable.")
    for tab_name, entry in tabs.items():
        if isinstance(tab_name, str) and isinstance(entry, dict):
            lesson.tabs[tab_name] = _tab(tab_name, entry, members, skipped)
        else:
            skipped.append(f"An unreadable tab entry ({str(tab_name)[:40]!r}).")
    return lesson, skipped


def _members(raw: bytes, name: str, skipped: list[str]) -> dict[str, bytes]:
    """Every readable member; a damaged archive is salvaged from its local headers."""
    try:
        z = zipfile.ZipFile(io.BytesIO(raw))
        infos = z.infolist()
        if LESSON_JSON not in z.namelist():  # the directory found was not ours (a stored .npz's, in a cut file)
            raise zipfile.BadZipFile
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        members = _salvage(raw)
        if members:
            skipped.append(f"{name} is cut short or damaged: only the {len(members)} part(s) it still holds "
                           "completely were read.")
        return members
    out, total = {}, 0
    for info in infos[:MAX_MEMBERS]:
        total += info.file_size
        if info.file_size > MAX_TOTAL or total > MAX_TOTAL:
            skipped.append(f"{info.filename[:60]} is larger than a lesson may hold; skipped.")
            continue
        try:
            out[info.filename] = z.read(info)  # checks the CRC
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            skipped.append(f"{info.filename[:60]} is damaged; skipped.")
    if len(infos) > MAX_MEMBERS:
        skipped.append(f"{name} holds more than {MAX_MEMBERS} parts; the rest were skipped.")
    return out


def _salvage(raw: bytes) -> dict[str, bytes]:
    """Members read one by one from their local headers, stopping at the first incomplete one."""
    out, pos, total = {}, 0, 0
    while len(out) < MAX_MEMBERS and pos + 30 <= len(raw):
        sig, _, flags, method, _, _, crc, csize, usize, nlen, xlen = struct.unpack_from("<IHHHHHIIIHH", raw, pos)
        if sig != _ZIP_LOCAL or flags & 0x08 or method not in (0, 8):  # 0x08: sizes come after the data
            break
        start = pos + 30 + nlen + xlen
        if start + csize > len(raw) or usize > MAX_TOTAL or total + usize > MAX_TOTAL:
            break
        member = raw[pos + 30:pos + 30 + nlen].decode("utf-8", "replace")
        data = raw[start:start + csize]
        try:
            if method == 8:
                data = zlib.decompressobj(-15).decompress(data, usize)
        except zlib.error:
            break
        if len(data) != usize or zlib.crc32(data) != crc:
            break
        out[member], pos, total = data, start + csize, total + usize
    return out


def _title(tab_name: str) -> str:
    """"names" -> "Names MLP" (the registry's title), for messages."""
    from playground import registry

    return registry.spec(tab_name).title if tab_name in registry.names() else tab_name


def _tab(tab_name: str, entry: dict, members: dict[str, bytes], skipped: list[str]) -> TabState:
    title = _title(tab_name)
    state = TabState(page=_str(entry.get("page")), clean=entry.get("clean") is True)
    if isinstance(entry.get("page_index"), int) and not isinstance(entry.get("page_index"), bool):
        state.page_index = entry["page_index"]
    widgets = entry.get("widgets") if isinstance(entry.get("widgets"), list) else []
    good = [w for w in widgets if _widget_ok(w)]
    if len(good) < len(widgets):
        skipped.append(f"{len(widgets) - len(good)} unreadable control value(s) of the {title} tab.")
    state.widgets = good
    state.extra = entry.get("extra") if isinstance(entry.get("extra"), dict) else {}
    arrays = {}
    where = entry.get("arrays")
    if isinstance(where, str):
        if where not in members:
            skipped.append(f"The {title} tab's curves and drawings (the part {where} is missing or damaged).")
        else:
            try:
                arrays = _read_npz_bytes(members[where], where)
            except ValueError as e:
                skipped.append(f"The {title} tab's curves and drawings: {e}")
    state.arrays = {k[len("extra/"):]: v for k, v in arrays.items() if k.startswith("extra/")}
    for i, curve in enumerate(entry.get("curves") if isinstance(entry.get("curves"), list) else []):
        if not (isinstance(curve, dict) and isinstance(curve.get("plot"), str) and isinstance(curve.get("series"), list)):
            continue
        series = {}
        for j, s in enumerate(curve["series"]):
            xs, ys = arrays.get(f"curve/{i}/{j}/x"), arrays.get(f"curve/{i}/{j}/y")
            if isinstance(s, str) and xs is not None and ys is not None and xs.shape == ys.shape and xs.ndim == 1:
                series[s] = (xs.astype(float), ys.astype(float))
        if series:
            state.curves.append(Curve(curve["plot"], series))
    weights = entry.get("weights") if isinstance(entry.get("weights"), dict) else {}
    for box, member in weights.items():
        if isinstance(member, str) and member in members:
            state.weights[str(box)] = members[member]
        else:
            skipped.append(f"The {title} tab's weights (the part {str(member)[:60]} is missing or damaged).")
    return state


def _read_npz_bytes(raw: bytes, member: str) -> dict[str, np.ndarray]:
    """Arrays of an .npz member, through the one safe reader (checked kinds, shapes and sizes)."""
    with tempfile.TemporaryDirectory(prefix="playground-lesson-") as folder:
        path = Path(folder) / Path(member).name
        path.write_bytes(raw)
        return read_npz(path, error=LessonError)


def _widget_ok(w) -> bool:
    if not (isinstance(w, dict) and isinstance(w.get("path"), str) and w.get("kind") in WIDGET_KINDS):
        return False
    value = w.get("value")
    expected = {"int": int, "float": (int, float), "text": str, "choice": str, "check": bool, "plain": str}[w["kind"]]
    return isinstance(value, expected) and not (w["kind"] != "check" and isinstance(value, bool))


def _script(steps, skipped: list[str]) -> list[Step]:
    if steps is None:
        return []
    if not isinstance(steps, list):
        skipped.append("The lesson's script was unreadable.")
        return []
    out = []
    for s in steps:
        if isinstance(s, dict) and isinstance(s.get("title"), str):
            out.append(Step(s["title"], _str(s.get("text")), _str(s.get("tab")), _str(s.get("page")),
                            _str(s.get("control"))))
        else:
            skipped.append("An unreadable step of the script.")
    return out


def _str(value) -> str:
    return value if isinstance(value, str) else ""
