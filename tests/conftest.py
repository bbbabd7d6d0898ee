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

