"""Issue 20, the CLI's share: every `train` / `eval` target the CLI registers (found by walking
`playground.cli.build_parser()`, so a new target or option is covered or named here) is run
in-process with a FIFO, a folder and a missing file as each file it reads (word lists, weights,
MNIST folders), and with a folder, a missing folder, a folder it may not write and a path under a
file as its --out / --save. Each must exit 2 with exactly one line on stderr and no traceback,
without blocking on the FIFO, and never train before it refuses an output.

Training is replaced by a stand-in (`playground.progress.drive` raises), so a case that is not
refused fails fast and says that it trained; each target's plain run is the control showing that
the stand-in is reached with the base arguments below.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import traceback
from pathlib import Path

import pytest

from playground import cli, progress

# What each option of the train/eval targets is. A new option must be added to one of these.
FILE_INPUTS = {"names", "weights", "init"}  # a file the command reads
DIR_INPUTS = {"data"}  # a folder the command reads files from (MNIST's IDX files)
OUTPUTS = {"out", "save"}  # a file the command writes
NOT_FILES = {"activation", "arch", "augment", "batch_size", "channels", "dataset", "decay_at", "dropout",
             "ema", "embd", "epochs", "eval_every", "features", "find_lr", "half", "heads", "heldout",
             "hidden", "init_seed", "l1", "l2", "layers", "loss", "lr", "model", "no_augment", "no_mask",
             "noise", "old_preprocess", "optimizer", "points", "preset", "schedule", "seed", "sloppy",
             "sloppy_seed", "smoothing", "steps", "task", "test_ratio", "top", "weight_decay", "workers"}

# Arguments that keep a run short (it never gets past the stand-in for training anyway).
BASE = {
    ("train", "autograd"): ["--steps", "1", "--points", "20"],
    ("train", "bigram"): ["--steps", "1"],
    ("train", "names"): ["--steps", "1"],
    ("train", "mnist"): ["--epochs", "0.01"],
    ("train", "attention"): ["--steps", "1"],
    ("eval", "attention"): ["--heldout", "20"],
}

# Cases another feature's command fails today: (command, target, option, case) -> why, marked
# xfail (not strict: the fix lands in that feature's folder, then the entry here goes). Empty now:
# train names/mnist --out and mnist's FIFO members were fixed in their folders.
KNOWN: dict[tuple[str, str, str, str], str] = {}

TIMEOUT_S = 30  # a case that takes longer is stuck
FIFO_TIMEOUT_S = 8  # a FIFO opened for reading blocks at once and forever


class Trained(BaseException):
    """Raised by the stand-in for training: the command got as far as training."""


class Hung(BaseException):
    """Raised by the alarm: the command blocked."""


def _no_training(*args, **kwargs):
    raise Trained()


def _subcommands(parser: argparse.ArgumentParser) -> dict:
    return next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def targets() -> list[tuple[str, str, argparse.ArgumentParser]]:
    top = _subcommands(cli.build_parser())
    return [(cmd, name, p) for cmd in ("train", "eval") for name, p in _subcommands(top[cmd]).items()]


def options(parser) -> list[tuple[str, str]]:
    """(dest, flag) of every optional argument but --help."""
    return [(a.dest, a.option_strings[-1]) for a in parser._actions
            if a.option_strings and not isinstance(a, argparse._HelpAction)]


INPUT_CASES = ("fifo", "folder", "missing")
DIR_CASES = ("fifo", "missing", "a-file", "empty-folder", "fifo-members")
OUTPUT_CASES = ("folder", "missing-folder", "unwritable", "under-a-file")


def cases():
    out = []
    for cmd, target, parser in targets():
        for dest, flag in options(parser):
            kinds = ((INPUT_CASES if dest in FILE_INPUTS else ())
                     + (DIR_CASES if dest in DIR_INPUTS else ())
                     + (OUTPUT_CASES if dest in OUTPUTS else ()))
            for case in kinds:
                reason = KNOWN.get((cmd, target, dest, case))
                # not strict: the fix lands in the other folder, then the entry here goes
                marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
                out.append(pytest.param(cmd, target, flag, dest, case, marks=marks,
                                        id=f"{cmd}-{target}-{flag.lstrip('-')}-{case}"))
    return out


def test_every_option_is_known_to_this_test():
    unknown = {(cmd, target, dest) for cmd, target, p in targets() for dest, _ in options(p)
               if dest not in FILE_INPUTS | DIR_INPUTS | OUTPUTS | NOT_FILES}
    assert not unknown, f"say in tests/test_cli_bad_input.py whether these name files: {sorted(unknown)}"


def test_every_target_reads_or_writes_a_file():
    """The walk finds the targets (a parser change that hid them would make this file test nothing)."""
    found = {(cmd, target) for cmd, target, _ in targets()}
    assert {("train", "bigram"), ("eval", "bigram"), ("train", "names"), ("eval", "mnist")} <= found
    assert all(any(dest in FILE_INPUTS | DIR_INPUTS | OUTPUTS for dest, _ in options(p)) for _, _, p in targets())


# -- making the bad paths ------------------------------------------------------------------
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")

MNIST_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def bad_path(case: str, tmp: Path, dest: str) -> str:
    name = {"names": "names.txt", "data": "mnist"}.get(dest, "weights.npz")
    if case == "fifo":
        os.mkfifo(tmp / name)
        return str(tmp / name)
    if case == "folder":
        (tmp / name).mkdir()
        return str(tmp / name)
    if case == "missing":
        return str(tmp / name)
    if case == "a-file":  # a file where a folder should be
        (tmp / name).write_bytes(b"not a folder\n")
        return str(tmp / name)
    if case == "empty-folder":
        (tmp / name).mkdir()
        return str(tmp / name)
    if case == "fifo-members":  # the IDX files are FIFOs: reading any of them would block
        (tmp / name).mkdir()
        for member in MNIST_FILES:
            os.mkfifo(tmp / name / member)
        return str(tmp / name)
    out = "out.npz"
    if case == "missing-folder":
        return str(tmp / "no" / "such" / "folder" / out)
    if case == "under-a-file":
        (tmp / "a-file").write_bytes(b"x")
        return str(tmp / "a-file" / out)
    if case == "unwritable":
        return str(_read_only_folder(tmp) / out)
    raise AssertionError(case)


def _read_only_folder(tmp: Path) -> Path:
    """A folder nobody may write to, reachable by the uid the case runs as (see run_as)."""
    if os.geteuid() != 0:
        folder = tmp / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    base = Path(tempfile.mkdtemp(prefix="playground-cli-ro-"))  # /tmp: any user may pass through
    base.chmod(0o755)
    folder = base / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


# -- running a case --------------------------------------------------------------------------
def _on_alarm(signum, frame):
    raise Hung()


def run_here(argv, capsys, timeout_s=TIMEOUT_S) -> tuple[int | str, str, str]:
    """cli.main(argv) in this process: (exit code, or "trained"/"hung"/"exception"; stdout; stderr)."""
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(timeout_s)
    try:
        code = cli.main(argv)
    except Trained:
        code = "trained"
    except Hung:
        code = "hung"
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except Exception:  # noqa: BLE001 - any other exception escapes main(): a traceback for the user
        traceback.print_exc()
        code = "exception"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    return code, out, err


def run_as_nobody(argv) -> tuple[int | str, str, str]:
    """As root every folder is writable: the unwritable case runs in a forked child that has
    dropped to the unprivileged uid 65534 (the same code, the same stand-in for training)."""
    read_err, write_err = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        code = 97
        try:
            os.close(read_err)
            os.dup2(write_err, 2)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            sys.stderr = os.fdopen(2, "w", buffering=1)
            sys.stdout = open(os.devnull, "w")
            os.setgid(65534)
            os.setuid(65534)
            signal.signal(signal.SIGALRM, _on_alarm)
            signal.alarm(TIMEOUT_S)
            code = cli.main(argv)
        except Trained:
            code = 98
        except Hung:
            code = 99
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
            code = 97
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(write_err)
    with os.fdopen(read_err) as f:
        err = f.read()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return {98: "trained", 99: "hung", 97: "exception"}.get(code, code), "", err


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """No PLAYGROUND_DATA_DIR (its note would be a second line), cwd in tmp (mnist's default --out
    lands there), and training replaced by the stand-in."""
    monkeypatch.delenv("PLAYGROUND_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(progress, "drive", _no_training)
    return tmp_path


@needs_fifo
@pytest.mark.parametrize("cmd, target, flag, dest, case", cases())
def test_a_bad_path_is_one_line_and_exit_2(sandbox, capsys, cmd, target, flag, dest, case):
    path = bad_path(case, sandbox, dest)
    argv = [cmd, target, *BASE.get((cmd, target), []), flag, path]
    if case == "unwritable" and os.geteuid() == 0:
        code, out, err = run_as_nobody(argv)
    else:
        code, out, err = run_here(argv, capsys, FIFO_TIMEOUT_S if "fifo" in case else TIMEOUT_S)
    lines = err.strip().splitlines()
    what = f"`playground {' '.join(argv)}`"
    assert code != "trained", f"{what} trained instead of refusing {flag} first"
    assert code != "hung", f"{what} blocked (gave up waiting)"
    assert "Traceback" not in err + out, f"{what} showed a traceback:\n{err}"
    assert code == 2, f"{what} exited {code}; stderr:\n{err}"
    assert len(lines) == 1, f"{what} wrote {len(lines)} lines on stderr:\n{err}"


@pytest.mark.parametrize("cmd, target", [(c, t) for c, t, _ in targets() if c == "train"])
def test_the_base_arguments_reach_training(sandbox, capsys, cmd, target):
    """The control: with good paths each train target gets as far as training, so the refusals
    above are about the bad path, not about the base arguments."""
    parser = dict(((c, t), p) for c, t, p in targets())[(cmd, target)]
    outs = [flag for dest, flag in options(parser) if dest in OUTPUTS]
    argv = [cmd, target, *BASE.get((cmd, target), [])] + [x for f in outs for x in (f, str(sandbox / "ok.npz"))]
    code, _, err = run_here(argv, capsys)
    assert code == "trained", f"`playground {' '.join(argv)}` exited {code} before training:\n{err}"
