"""Shared test setup: Qt offscreen, settings in a throwaway folder, no network, repo on sys.path."""
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PLAYGROUND_CONFIG_DIR"] = tempfile.mkdtemp(prefix="playground-test-config-")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED_DATA = ROOT.parent / "shared" / "data"



import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch, tmp_path_factory):
    """Each test remembers settings in its own folder: one test's choices (a folded panel, a
    page, presentation mode) must not become the next test's defaults."""
    monkeypatch.setenv("PLAYGROUND_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
