"""The one list of system libraries: the README's commands and .ci/run use it, and the app names
a missing library instead of letting Qt abort."""
from pathlib import Path

from playground import cli, system_libs

ROOT = Path(__file__).resolve().parents[1]


def test_readme_commands_and_ci_install_from_the_one_list():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ("python3 -m playground.system_libs --install && python3 -m venv --system-site-packages .venv && .venv/bin/pip install . "
            "&& .venv/bin/playground") in readme
    assert ("python3 -m playground.system_libs --install --tests && python3 -m venv --system-site-packages .venv && "
            ".venv/bin/pip install '.[test]' && .venv/bin/python -m pytest -q") in readme
    assert "apt-get install" not in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_a_missing_library_is_named_before_qt_loads(monkeypatch, capsys):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(system_libs, "_loadable", lambda so: so != "libxcb-icccm.so.4")
    monkeypatch.setattr(system_libs, "x_server_answers", lambda display: True)
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert "sudo apt-get install libxcb-icccm4" in err and "Traceback" not in err


def test_no_display_is_a_sentence(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert cli.main(["gui"]) == 1
    assert "no display" in capsys.readouterr().err


def test_offscreen_needs_no_check(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(system_libs, "_loadable", lambda so: False)
    assert system_libs.check_display() is None


def test_a_display_nobody_answers_is_a_sentence_not_a_qt_abort(monkeypatch, capsys):
    n = next(n for n in range(917, 999) if not Path(f"/tmp/.X11-unix/X{n}").exists())  # no X server there
    monkeypatch.setenv("DISPLAY", f":{n}")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert not system_libs.x_server_answers(f":{n}") and not system_libs.x_server_answers(f"127.0.0.1:{n}")
    assert cli.main(["gui"]) == 1
    err = capsys.readouterr().err
    assert f"No X server answers at DISPLAY=:{n}" in err and "Traceback" not in err


def test_a_listening_display_answers(tmp_path):
    import socket
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        if port < 6000:
            return  # the display number would be negative: nothing to check with this port
        def answer():
            try:
                server.accept()[0].close()
            except OSError:  # closed first: nothing to answer
                pass
        threading.Thread(target=answer, daemon=True).start()
        assert system_libs.x_server_answers(f"127.0.0.1:{port - 6000}")
    assert system_libs.x_server_answers("not a display")  # unparsable: Qt decides


def test_a_python_that_cannot_make_a_venv_gets_debians_venv_package(monkeypatch):
    import importlib.util

    monkeypatch.setattr(system_libs, "_loadable", lambda so: True)
    monkeypatch.setattr(system_libs, "_dpkg_has", lambda pkg: True)
    monkeypatch.setattr(system_libs.shutil, "which", lambda cmd: "/usr/bin/" + cmd)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ensurepip" else real(name, *a))
    assert system_libs.missing_packages() == ["python3-venv"]
    monkeypatch.setattr(importlib.util, "find_spec", real)
    assert system_libs.missing_packages() == []
