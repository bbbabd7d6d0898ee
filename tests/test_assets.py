"""Shipped files are found from wherever the package is installed (source tree or wheel)."""
import os
import subprocess
import sys

from models.core.assets import asset_path, find_data


def test_installed_package_finds_its_assets(tmp_path):
    # A fresh interpreter outside the source tree: it imports whichever `models` pip installed.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PLAYGROUND_DATA_DIR")}
    code = "import models.core.assets as a; d = a.assets_dir(); print(d); print((d / 'names' / 'names.txt').is_file())"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "True", out.stdout


def test_data_dir_overrides_shipped_copy(tmp_path, monkeypatch):
    (tmp_path / "names.txt").write_text("ann\nbob\n")
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    assert find_data("names.txt") == tmp_path / "names.txt"
    assert find_data("mnist", "nothing-here.gz") == asset_path("mnist", "nothing-here.gz")
