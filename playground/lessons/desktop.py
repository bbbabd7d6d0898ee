"""Double-clicking a .playground file: a freedesktop MIME type for lessons and a .desktop entry
that opens them with `playground FILE`.

    python -m playground.lessons.desktop --install      # into ~/.local/share, no root needed
    python -m playground.lessons.desktop --uninstall

After installing, file managers (GNOME Files, Dolphin, ...) show lessons as "Playground lesson" and
open them in Playground. Works offline: it only writes files and runs the desktop's own
update-mime-database / update-desktop-database / xdg-mime when they are installed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from playground.lessons.fileformat import SUFFIX

MIME_TYPE = "application/x-playground-lesson"
DESKTOP_FILE = "playground.desktop"
MIME_FILE = "playground-lesson.xml"

MIME_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="{MIME_TYPE}">
    <comment>Playground lesson</comment>
    <sub-class-of type="application/zip"/>
    <glob pattern="*{SUFFIX}"/>
  </mime-type>
</mime-info>
"""


def desktop_entry(python: str = sys.executable) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Playground\n"
        "Comment=See neural networks learn\n"
        f'Exec="{python}" -m playground %f\n'
        f"MimeType={MIME_TYPE};\n"
        "Categories=Education;Science;\n"
        "Terminal=false\n"
    )


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def install(home: Path | None = None, run_tools: bool = True) -> list[Path]:
    """Write the MIME type and the .desktop entry under `home` (default $XDG_DATA_HOME)."""
    home = home or data_home()
    mime = home / "mime" / "packages" / MIME_FILE
    desktop = home / "applications" / DESKTOP_FILE
    for path, text in ((mime, MIME_XML), (desktop, desktop_entry())):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if run_tools:
        _run("update-mime-database", str(home / "mime"))
        _run("update-desktop-database", str(home / "applications"))
        _run("xdg-mime", "default", DESKTOP_FILE, MIME_TYPE)
    return [mime, desktop]


def uninstall(home: Path | None = None, run_tools: bool = True) -> list[Path]:
    home = home or data_home()
    removed = []
    for path in (home / "mime" / "packages" / MIME_FILE, home / "applications" / DESKTOP_FILE):
        if path.is_file():
            path.unlink()
            removed.append(path)
    if run_tools:
        _run("update-mime-database", str(home / "mime"))
        _run("update-desktop-database", str(home / "applications"))
    return removed


def _run(*command: str) -> None:
    """A desktop tool, if this machine has it; its absence is not an error."""
    if shutil.which(command[0]):
        subprocess.run(command, check=False, capture_output=True, timeout=60)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground.lessons.desktop",
                                     description="Open .playground lessons with a double-click.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--install", action="store_true", help="add the MIME type and the .desktop entry")
    group.add_argument("--uninstall", action="store_true", help="remove them")
    args = parser.parse_args(argv)
    paths = install() if args.install else uninstall()
    for path in paths:
        print(("wrote " if args.install else "removed ") + str(path))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
