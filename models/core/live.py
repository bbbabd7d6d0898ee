"""Settings a GUI changes while a run goes on, as one channel: the GUI thread put()s changes, the
run take()s them between two steps. When the run is in a forked child (playground/runner.py), the
parent's runner take()s what changed and put()s it into the child's copy. A lock guards both
sides, and a fork renews it: a fork copies a lock as it was, and one that a GUI thread held at
that instant would block the child for ever."""
from __future__ import annotations

import os
import threading
import weakref


class LiveChannel:
    """take() gives what changed since the last take() ({} when nothing did), then forgets it;
    put(changes) adds changes to those not yet taken, merged by merge() (under the lock)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._changes: dict = {}
        _CHANNELS.add(self)

    def take(self) -> dict:
        with self._lock:
            taken, self._changes = self._changes, {}
            return taken

    def put(self, changes: dict) -> None:
        with self._lock:
            self.merge(self._changes, changes)

    def merge(self, pending: dict, changes: dict) -> None:
        """Fold `changes` into `pending` (and into the channel's current values); a later value wins."""
        pending.update(changes)


_CHANNELS: "weakref.WeakSet[LiveChannel]" = weakref.WeakSet()


def _renew_locks_in_child() -> None:
    for channel in list(_CHANNELS):  # the child has one thread: a fresh lock is right
        channel._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_locks_in_child)
