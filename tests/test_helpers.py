"""models/core/helpers.py: helper processes answer orders, report errors, share memory, and
never outlive their parent."""
import os
import signal
import time

import numpy as np
import pytest

from models.core.helpers import Helper, can_fork, end, shared_zeros
from tests.processes import alive

pytestmark = pytest.mark.skipif(not can_fork(), reason="helper processes need Linux")


def test_a_helper_answers_orders_and_writes_into_shared_memory():
    shared = shared_zeros(4, np.float64)

    def serve(kind, numbers, payload):
        shared[kind] = numbers[0] + len(payload)
        if kind == 3:
            raise ValueError("kind 3 is refused")
        return numbers[0] * 2

    helpers = [Helper.fork(serve)]
    try:
        h = helpers[0]
        h.order(1, (2.5,), b"abc")
        assert h.result() == 5.0 and shared[1] == 5.5  # the child's write is seen here
        h.order(3, (1.0,))
        with pytest.raises(RuntimeError, match="failed"):
            h.result()
        h.order(2, (4.0,))  # still serving after an error
        assert h.result() == 8.0
        pid = h.pid
    finally:
        end(helpers)
    assert helpers == [] and not alive(pid)


def test_a_helper_ends_when_its_parent_ends():
    r, w = os.pipe()
    parent = os.fork()
    if parent == 0:  # a parent that starts a helper, tells its pid, and dies without end()
        try:
            h = Helper.fork(lambda *a: 0.0)
            os.write(w, str(h.pid).encode())
        finally:
            os._exit(0)
    os.close(w)
    helper_pid = int(os.read(r, 32))
    os.close(r)
    os.waitpid(parent, 0)
    deadline = time.monotonic() + 5
    while alive(helper_pid) and time.monotonic() < deadline:  # reparented: gone once it exits
        time.sleep(0.02)
    assert not alive(helper_pid)


def test_a_helper_killed_mid_run_is_a_clear_error_not_a_hang():
    helpers = [Helper.fork(lambda *a: 1.0)]
    h = helpers[0]
    try:
        os.kill(h.pid, signal.SIGKILL)
        os.waitpid(h.pid, 0)
        with pytest.raises(RuntimeError, match="ended unexpectedly"):
            h.order(0)
            h.result()
    finally:
        end(helpers)
