"""The `playground` command: the GUI by default; `shot`, `train` and `eval` run headless.

Every headless command prints its result last, as key=value pairs (playground.progress).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from pathlib import Path

from playground import registry
from models.core.assets import take_fallback_notes
from playground.progress import format_result



class CommandError(Exception):
    """A problem with the user's input; printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="playground", description="See neural networks learn. "
                                     "With no command, opens the app.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    gui = sub.add_parser("gui", help="open the app (the default; `playground LESSON.playground` opens a lesson)")
    gui.add_argument("lesson", nargs="?", help="a .playground lesson to open")

    shot = sub.add_parser("shot", help="render the main window offscreen to a PNG")
    shot.add_argument("--tab", default=registry.TABS[0].name, metavar="TAB[/PAGE]",
                      help=f"one of {', '.join(registry.names())}, optionally with a page: names/health")
    shot.add_argument("--page", default=None, help="a page of the tab (its first word: health, sample, …)")
    shot.add_argument("--lesson", metavar="FILE", help="open this .playground lesson and render its first step")
    shot.add_argument("--out", required=True, help="PNG file to write")
    shot.add_argument("--size", default="1600x1000", help="window size WIDTHxHEIGHT")
    shot.add_argument("--presentation", action="store_true", help="classroom presentation mode")
    shot.add_argument("--theme", choices=("light", "dark"), default="light")

    train = sub.add_parser("train", help="train a model headless").add_subparsers(
        dest="target", metavar="MODEL", required=True)
    evaluate = sub.add_parser("eval", help="evaluate a model headless").add_subparsers(
        dest="target", metavar="MODEL", required=True)
    for spec in registry.TABS:  # each tab's folder adds its own `train` / `eval` targets
        if spec.commands:
            importlib.import_module(spec.commands_module).register(train, evaluate)
    return parser


NAME_MAX = 200  # bytes of a file name we write (leaves room for the save's temporary suffix)


def check_output(path: str, option: str = "--out", example: str = "model.npz") -> Path:
    """Refuse a file to write before any work is done: a folder, a folder that does not exist (it
    is never made silently), a non-regular file, a name too long, a place we cannot write."""
    out = Path(path)
    if not out.name or out.is_dir():
        raise CommandError(f"{option} {path} is a folder; give a file name such as {example}")
    if out.exists() and not out.is_file():
        raise CommandError(f"{option} {path} is not a regular file")
    if not out.parent.is_dir():
        raise CommandError(f"{option} {path}: the folder {out.parent} does not exist (make it first)")
    if len(out.name.encode()) > NAME_MAX:
        raise CommandError(f"{option}: the file name is too long; use at most {NAME_MAX} bytes")
    if out.exists() and not os.access(out, os.W_OK):
        raise CommandError(f"{option} {path}: cannot write there (no permission)")
    try:  # what the save will do: a temporary file in that folder (root ignores permission bits)
        tempfile.NamedTemporaryFile(dir=out.parent, prefix=".playground-", suffix=".tmp").close()
    except OSError as e:
        raise CommandError(f"{option} {path}: cannot write there ({e.strerror or e})") from None
    return out


def parse_tab(text: str, page: str | None) -> tuple[str, str | None]:
    """"names/health" -> ("names", "health"); the tab must be in the registry."""
    tab, _, inline = text.partition("/")
    if tab not in registry.names():
        raise CommandError(f"--tab must be one of {', '.join(registry.names())}, not {tab!r}")
    return tab, (page or inline or None)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise CommandError(f"--size must look like 1600x1000, not {text!r}") from None
    if not (200 <= w <= 8000 and 200 <= h <= 8000):
        raise CommandError("--size must be between 200 and 8000 pixels each way")
    return w, h


COMMANDS = ("gui", "shot", "train", "eval")


def check_lesson_path(path: str) -> None:
    """A missing or unreadable lesson is one line of error, before any window opens."""
    if not os.path.isfile(path):
        raise CommandError(f"{path}: no such lesson file" + ("" if os.path.exists(path) else
                           f" (a command is one of {', '.join(COMMANDS)})"))


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        argv.insert(0, "gui")  # `playground FILE.playground` (and a double-click) opens a lesson
    args = build_parser().parse_args(argv)
    take_fallback_notes()  # an earlier command's (a test's) are not this one's
    try:
        if args.command in (None, "gui"):
            lesson = getattr(args, "lesson", None)
            if lesson is not None:
                check_lesson_path(lesson)
            from playground.system_libs import check_display

            problem = check_display()  # before Qt loads: a sentence, not Qt's abort
            if problem:
                print(f"playground: {problem}", file=sys.stderr)
                return 1
            from playground.app import run_gui

            return run_gui(lesson)
        if args.command == "shot":
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
            from playground.app import take_shot

            tab, page = parse_tab(args.tab, args.page)
            if args.lesson is not None:
                check_lesson_path(args.lesson)
            path = take_shot(tab, args.out, parse_size(args.size), args.presentation, args.theme, page,
                             lesson=args.lesson)
            print(format_result({"shot": str(path)}))
            return 0
        result = args.func(args)
    except CommandError as e:
        print(f"playground: error: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:  # unreadable files, foreign checkpoints, bad word lists
        print(f"playground: error: {e}", file=sys.stderr)
        return 2
    for note in take_fallback_notes():  # $PLAYGROUND_DATA_DIR was set, yet shipped data stood in
        print(f"playground: note: {note}", file=sys.stderr)
    if result is not None:
        print(format_result(result))
    return 0
