"""Where shipped files and user data live, from a source checkout or an installed wheel."""
from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "PLAYGROUND_DATA_DIR"


def assets_dir() -> Path:
    """The assets folder: `assets/` in a source tree, the `playground_assets` package when installed."""
    source = Path(__file__).resolve().parents[2] / "assets"
    if source.is_dir():
        return source
    import playground_assets  # installed wheel: assets/ was packaged under this name

    return Path(playground_assets.__file__).resolve().parent


def asset_path(*parts: str) -> Path:
    """A shipped file, e.g. asset_path("weights", "names_mlp.npz")."""
    return assets_dir().joinpath(*parts)


def data_dir() -> Path | None:
    """The user's data folder from $PLAYGROUND_DATA_DIR, if set and present."""
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser() if value and Path(value).expanduser().is_dir() else None


def data_dir_problem() -> str | None:
    """A sentence for the user when $PLAYGROUND_DATA_DIR is set but is not a folder (the
    shipped data is used instead, which must not happen silently); None when all is well."""
    value = os.environ.get(DATA_DIR_ENV)
    if not value or Path(value).expanduser().is_dir():
        return None
    return f"{DATA_DIR_ENV}={value} is not a folder; using the shipped data instead."


_fallbacks: list[str] = []  # why shipped data stood in for $PLAYGROUND_DATA_DIR's, said once each


def take_fallback_notes() -> list[str]:
    """Sentences for the user, since the last call: each time $PLAYGROUND_DATA_DIR was set but the
    shipped copy of a file was used instead (the CLI prints them; it must not happen silently)."""
    notes = list(_fallbacks)
    _fallbacks.clear()
    return notes


def note_fallback(name: str) -> None:
    """Remember that `name` came from the shipped data although $PLAYGROUND_DATA_DIR is set."""
    value = os.environ.get(DATA_DIR_ENV)
    if not value:
        return
    note = data_dir_problem() or f"{DATA_DIR_ENV}={value} has no {name}; using the shipped copy instead."
    if note not in _fallbacks:
        _fallbacks.append(note)


def find_data(*parts: str) -> Path:
    """A data file: from $PLAYGROUND_DATA_DIR when it has it, else the shipped copy in assets/."""
    user = data_dir()
    if user is not None and user.joinpath(*parts).exists():
        return user.joinpath(*parts)
    note_fallback("/".join(parts))
    return asset_path(*parts)
