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


_exit_status = 0


def pytest_sessionfinish(session, exitstatus):
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config):
    # PySide6 6.12 can abort while the interpreter tears down Qt wrappers after every test has
    # passed and the summary is printed ("bool_dealloc" during the final garbage collection).
    # Leave with pytest's own status instead of through that teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_exit_status)
