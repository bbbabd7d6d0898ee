"""What the tests of helper processes share."""


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie nobody has reaped yet has ended: PID 1 may be
    slow to reap an orphan)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False
