"""Remembered settings (QSettings, INI format). $PLAYGROUND_CONFIG_DIR moves them, which the tests
and `playground shot` use so they neither read nor change the user's own settings."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

CONFIG_ENV = "PLAYGROUND_CONFIG_DIR"


def settings() -> QSettings:
    folder = os.environ.get(CONFIG_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return QSettings(str(Path(folder) / "playground.ini"), QSettings.IniFormat)
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "Playground", "Playground")


def read(key: str, default, kind=None):
    """A stored value converted to the type of `default` (INI files store strings)."""
    value = settings().value(key, default)
    kind = kind or type(default)
    try:
        if kind is bool:
            return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
        return kind(value)
    except (TypeError, ValueError):
        return default


def write(key: str, value) -> None:
    s = settings()
    s.setValue(key, value)
    s.sync()
