"""The command line: parser, key=value results, progress lines, Ctrl+C."""
import io
import subprocess
import sys

import pytest

from playground import cli
from playground.progress import drive, format_result


def test_result_line_is_key_value_pairs():
    assert format_result({"nll": 2.45401, "bigrams": 228146, "name": "x"}) == "nll=2.4540 bigrams=228146 name=x"


def test_drive_prints_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    last = drive(({"step": i, "loss": 1 / i} for i in range(1, 101)), total=100, label="demo",
                 describe=lambda r: f"loss {r['loss']:.3f}", stream=out)
    lines = out.getvalue().splitlines()
    assert last["step"] == 100
    assert 9 <= len(lines) <= 11 and "\r" not in out.getvalue()
    assert lines[-1].startswith("demo [####") and "100/100" in lines[-1] and "loss 0.010" in lines[-1]


def test_ctrl_c_stops_after_the_current_step_and_closes_the_generator():
    closed = []

    def gen():
        try:
            for i in range(1, 1000):
                if i == 5:
                    raise KeyboardInterrupt  # what Ctrl+C does in the middle of a run
                yield {"step": i}
        finally:
            closed.append(True)

    out = io.StringIO()
    last = drive(gen(), total=999, stream=out)
    assert last == {"step": 4} and closed == [True]
    assert "stopped by Ctrl+C after 4 steps" in out.getvalue()


def test_size_parsing():
    assert cli.parse_size("1600x1000") == (1600, 1000)
    for bad in ("big", "10x10", "1600"):
        with pytest.raises(cli.CommandError):
            cli.parse_size(bad)


def test_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "playground", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for command in ("shot", "train", "eval"):
        assert command in out.stdout


def test_bad_shot_size_is_one_line_error():
    out = subprocess.run([sys.executable, "-m", "playground", "shot", "--out", "/tmp/x.png", "--size", "huge"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.strip() == "playground: error: --size must look like 1600x1000, not 'huge'"


def test_shot_reaches_any_page(tmp_path):
    out = tmp_path / "health.png"
    assert cli.main(["shot", "--tab", "bigram/learn", "--out", str(out), "--size", "1024x768"]) == 0
    assert out.stat().st_size > 10_000


def test_shot_names_the_pages_when_one_is_unknown(tmp_path, capsys):
    assert cli.main(["shot", "--tab", "bigram", "--page", "nope", "--out", str(tmp_path / "x.png")]) == 2
    assert "has no page 'nope'" in capsys.readouterr().err
    assert cli.main(["shot", "--tab", "nosuchtab", "--out", str(tmp_path / "x.png")]) == 2
