"""The Debian/Ubuntu packages Qt needs on a bare machine: the one list that the README's commands,
.ci/run and the app's own start-up check all use.

    python3 -m playground.system_libs            # list what is missing (exit 1 if anything is)
    python3 -m playground.system_libs --install  # apt-get install what is missing (sudo if not root)
    python3 -m playground.system_libs --install --tests   # and what the test suite uses

Runs from a source checkout before `pip install .`: it imports nothing but the standard library.
"""
from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys

# package -> a library it ships (None: not a library; checked with dpkg when installing).
# Found with ldd on PySide6's Qt libraries and its xcb platform plugin.
PACKAGES: dict[str, str | None] = {
    "libegl1": "libEGL.so.1",
    "libgl1": "libGL.so.1",
    "libglib2.0-0": "libglib-2.0.so.0",
    "libfontconfig1": "libfontconfig.so.1",
    "libfreetype6": "libfreetype.so.6",
    "libxkbcommon0": "libxkbcommon.so.0",
    "libxkbcommon-x11-0": "libxkbcommon-x11.so.0",
    "libdbus-1-3": "libdbus-1.so.3",
    "libx11-xcb1": "libX11-xcb.so.1",
    "libxcb-cursor0": "libxcb-cursor.so.0",
    "libxcb-icccm4": "libxcb-icccm.so.4",
    "libxcb-image0": "libxcb-image.so.0",
    "libxcb-keysyms1": "libxcb-keysyms.so.1",
    "libxcb-randr0": "libxcb-randr.so.0",
    "libxcb-render-util0": "libxcb-render-util.so.0",
    "libxcb-shape0": "libxcb-shape.so.0",
    "libxcb-xkb1": "libxcb-xkb.so.1",
    "libgssapi-krb5-2": "libgssapi_krb5.so.2",
    "libwayland-client0": "libwayland-client.so.0",
    "fontconfig": None,  # fonts, so text is drawn even offscreen
    "fonts-dejavu-core": None,
}
# Only for the test suite: a second SVG renderer to check exported figures against.
TEST_PACKAGES: dict[str, str | None] = {"librsvg2-bin": None}
# Debian's own Python splits `python3 -m venv` off (and refuses `pip install` outside one, PEP 668):
# the README's commands make a venv, so this comes too when venv cannot bootstrap pip.
VENV_PACKAGE = "python3-venv"


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return False


def _dpkg_has(package: str) -> bool:
    if shutil.which("dpkg-query") is None:
        return True  # not a Debian system: nothing we can check
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return "install ok installed" in out.stdout


def missing_libraries() -> list[str]:
    """Packages whose library cannot be loaded (fast: no subprocess)."""
    if not sys.platform.startswith("linux"):
        return []
    return [pkg for pkg, lib in PACKAGES.items() if lib is not None and not _loadable(lib)]


def missing_packages(tests: bool = False) -> list[str]:
    """Every package of the list that is missing, fonts included (and the tests' with `tests`)."""
    if not sys.platform.startswith("linux"):
        return []
    wanted = {**PACKAGES, **(TEST_PACKAGES if tests else {})}
    missing = [pkg for pkg, lib in wanted.items() if not (_loadable(lib) if lib else _dpkg_has(pkg))]
    return missing + ([VENV_PACKAGE] if not _can_make_venv() else [])


def _can_make_venv() -> bool:
    import importlib.util

    return importlib.util.find_spec("ensurepip") is not None or shutil.which("dpkg-query") is None


def install_command(packages) -> list[str]:
    sudo = [] if os.geteuid() == 0 or shutil.which("sudo") is None else ["sudo"]
    return [*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]


def install(tests: bool = False) -> int:
    packages = missing_packages(tests)
    if not packages:
        return 0
    if shutil.which("apt-get") is None:
        print(f"playground: please install these system libraries: {' '.join(packages)}", file=sys.stderr)
        return 1
    print(f"installing system libraries: {' '.join(packages)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = install_command([])[:-6]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    return subprocess.run(install_command(packages), env=env).returncode


def check_display() -> str | None:
    """Before Qt loads: a one-line message naming what to install when a window cannot open."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, wayland, ...: not the xcb plugin's libraries
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        return ("There is no display to open a window on (DISPLAY is not set). For a picture without "
                "one, use: playground shot --tab NAME --out FILE.png")
    display = os.environ.get("DISPLAY", "")
    if display and not os.environ.get("WAYLAND_DISPLAY") and not x_server_answers(display):
        return (f"No X server answers at DISPLAY={display} (is it running, or was DISPLAY left from "
                "another session?). For a picture without one, use: playground shot --tab NAME --out FILE.png")
    missing = missing_libraries()
    if not missing:
        return None
    return ("Qt cannot open a window: missing system libraries. Install them with\n"
            f"  sudo apt-get install {' '.join(missing)}\n"
            "or run: python3 -m playground.system_libs --install")


def x_server_answers(display: str, timeout: float = 1.0) -> bool:
    """Whether something listens where DISPLAY points (Qt aborts if nothing does). Local displays
    (":0", "unix:0") are a Unix socket; "host:0" is TCP port 6000. Unparsable: assume yes."""
    import re
    import socket
    found = re.fullmatch(r"(?:(?P<host>[^:/]*)(?:/unix)?)?:(?P<n>\d+)(?:\.\d+)?", display)
    if not found:
        return True
    host, n = found.group("host") or "", int(found.group("n"))
    try:
        if host in ("", "unix"):
            for path in (f"/tmp/.X11-unix/X{n}", f"\0/tmp/.X11-unix/X{n}"):  # file or abstract
                with socket.socket(socket.AF_UNIX) as s:
                    s.settimeout(timeout)
                    try:
                        s.connect(path)
                        return True
                    except OSError:
                        continue
            return False
        with socket.create_connection((host, 6000 + n), timeout=timeout):
            return True
    except OSError:
        return False


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--install" and set(argv[1:]) <= {"--tests"}:
        return install(tests="--tests" in argv)
    if argv:
        print(__doc__)
        return 2
    packages = missing_packages()
    print(" ".join(packages) if packages else "nothing missing")
    return 1 if packages else 0


if __name__ == "__main__":
    raise SystemExit(main())
