"""$PLAYGROUND_DATA_DIR set but unusable: the commands still work on the shipped data, and say so."""
import pytest

from models.core import assets
from playground import cli


@pytest.fixture
def fresh_notes(monkeypatch):
    monkeypatch.setattr(assets, "_fallbacks", [])


@pytest.mark.parametrize("argv, names", [
    (["eval", "bigram"], "names.txt"),
    (["eval", "names"], "names.txt"),
    (["eval", "mnist"], "mnist/train-images-idx3-ubyte.gz"),
])
def test_a_folder_without_the_file_is_named(argv, names, fresh_notes, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(assets.DATA_DIR_ENV, str(tmp_path))  # a folder, but empty
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert f"note: {assets.DATA_DIR_ENV}={tmp_path} has no {names}; using the shipped copy instead." in err


def test_a_missing_folder_is_named_once(fresh_notes, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(assets.DATA_DIR_ENV, str(tmp_path / "nowhere"))
    assert cli.main(["eval", "bigram"]) == 0
    err = capsys.readouterr().err
    assert err.count("is not a folder; using the shipped data instead.") == 1


def test_a_good_folder_says_nothing(fresh_notes, monkeypatch, tmp_path, capsys):
    (tmp_path / "names.txt").write_text("emma\nolivia\nava\n")
    monkeypatch.setenv(assets.DATA_DIR_ENV, str(tmp_path))
    assert cli.main(["eval", "bigram"]) == 0
    assert "note:" not in capsys.readouterr().err
