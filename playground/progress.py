"""Driving a training generator from a terminal: a progress bar, plain lines when not a terminal,
and Ctrl+C that stops after the current step instead of dying mid-update."""
from __future__ import annotations

import sys
import time


def drive(reports, total: int | None = None, label: str = "training", describe=None,
          stream=None, min_interval: float = 0.1):
    """Run the generator `reports` to its end (or Ctrl+C) and return its last report.

    total: expected number of reports, for the bar; describe(report) -> short text such as
    "loss 2.31". On a terminal the bar redraws in place; elsewhere a plain line is written at
    every 10% (or every 10 s without a total)."""
    stream = stream or sys.stderr
    tty = hasattr(stream, "isatty") and stream.isatty()
    started = last_draw = time.monotonic()
    next_mark, last, count = 0.1, None, 0

    def line(final=False):
        elapsed = time.monotonic() - started
        text = describe(last) if (describe and last is not None) else ""
        if total:
            frac = min(1.0, count / total)
            bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
            eta = elapsed / frac - elapsed if frac > 0 else 0.0
            head = f"{label} [{bar}] {count}/{total} {elapsed:5.1f}s eta {eta:5.1f}s"
        else:
            head = f"{label} {count} steps {elapsed:5.1f}s"
        return f"{head}  {text}".rstrip()

    try:
        for last in reports:
            count += 1
            now = time.monotonic()
            if tty and now - last_draw >= min_interval:
                stream.write("\r" + line() + "\x1b[K")
                stream.flush()
                last_draw = now
            elif not tty and ((total and count / total >= next_mark) or (not total and now - last_draw >= 10)):
                stream.write(line() + "\n")
                stream.flush()
                next_mark += 0.1
                last_draw = now
    except KeyboardInterrupt:
        reports.close()
        stream.write(("\n" if tty else "") + f"stopped by Ctrl+C after {count} steps\n")
        stream.flush()
        return last
    if tty:
        stream.write("\r" + line(final=True) + "\x1b[K\n")
        stream.flush()
    return last


def format_result(result: dict) -> str:
    """The last line every command prints: key=value pairs, floats to 4 decimals."""
    def fmt(v):
        return f"{v:.4f}" if isinstance(v, float) else str(v)
    return " ".join(f"{k}={fmt(v)}" for k, v in result.items())
