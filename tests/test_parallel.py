"""parallel.Forked: a job in a forked child, its value or its exception back in the caller; map_window:
tasks on a pool in order, never more than a window of them ahead of the caller."""

from __future__ import annotations

import errno
import os
import signal

import pytest

from pipeline.common.parallel import Forked, map_window


def _pid_and_value(x: int) -> tuple[int, int]:
    return os.getpid(), x * 2


def _disk_full(path: str) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", path)


def _dies() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_value_comes_back_from_another_process():
    pid, value = Forked(_pid_and_value, 21).result()
    assert value == 42 and pid != os.getpid()


def test_an_os_error_keeps_its_errno_and_file_name():
    with pytest.raises(OSError) as caught:
        Forked(_disk_full, "/x/duty_lists.xlsx").result()
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == "/x/duty_lists.xlsx"


def test_a_child_that_dies_is_an_error_not_a_hang():
    with pytest.raises(RuntimeError, match="signal 9"):
        Forked(_dies).result()


def test_cancel_reaps_the_child():
    job = Forked(signal.pause)
    pid = job._pid
    job.cancel()
    with pytest.raises(ProcessLookupError):  # killed and reaped: no such process any more
        os.kill(pid, 0)


def _joined(prefix: str, inbox) -> str:
    return prefix + inbox()


def test_the_child_finishes_with_what_the_caller_sends():
    job = Forked(_joined, "child+", inbox=True)
    job.send("caller" * 50_000)  # more than a pipe holds: the child reads while the caller writes
    assert job.result() == "child+" + "caller" * 50_000


def test_a_child_whose_inbox_stays_empty_says_so():
    job = Forked(_joined, "x", inbox=True)
    with pytest.raises(RuntimeError, match="sent nothing"):
        job.result()


def test_sending_twice_or_without_an_inbox_is_refused():
    job = Forked(_joined, "x", inbox=True)
    job.send("y")
    with pytest.raises(RuntimeError, match="no inbox"):
        job.send("z")
    assert job.result() == "xy"
    plain = Forked(_pid_and_value, 1)
    with pytest.raises(RuntimeError, match="no inbox"):
        plain.send("z")
    plain.result()


def _fails_at_once(inbox) -> None:
    raise ValueError("no sheet")


def test_a_child_that_fails_before_reading_its_inbox_neither_hangs_the_caller_nor_is_lost():
    job = Forked(_fails_at_once, inbox=True)
    job.send("x" * 1_000_000)  # far more than a pipe holds, and nobody reads it
    with pytest.raises(ValueError, match="no sheet"):
        job.result()


_STOPPED_EARLY = """
import signal, sys, threading, time
from pipeline.common.parallel import map_ordered

def task(x):
    # A library's thread (started before the main thread blocks SIGTERM) can take the signal;
    # the main thread then waits in C (here: a long sleep with SIGTERM blocked), running no bytecode.
    threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    if x:
        time.sleep(120)
    return x

start = time.monotonic()
for value in map_ordered(task, [0, 1, 1], 2):
    break  # stopped early: the pool stops its workers with SIGTERM
print(round(time.monotonic() - start, 1))
"""


def test_a_pool_stopped_early_does_not_wait_for_a_worker_whose_sigterm_a_library_thread_took():
    from pathlib import Path
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", _STOPPED_EARLY], cwd=root, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.strip()) < 20


def _slow_pid(x: int) -> tuple[int, int]:
    import time

    time.sleep(0.01 * (x % 3))  # later tasks may finish first: the order is still the tasks'
    return os.getpid(), x


def test_map_window_keeps_order_and_never_runs_more_than_a_window_ahead():
    pulled: list[int] = []

    def tasks():
        for x in range(40):
            pulled.append(x)
            yield x

    seen = []
    for pid, x in map_window(_slow_pid, tasks(), 2, window=5):
        assert len(pulled) - len(seen) <= 5  # handed out and not yet yielded
        seen.append((pid, x))
    assert [x for _, x in seen] == list(range(40))
    assert os.getpid() not in {pid for pid, _ in seen} and len({pid for pid, _ in seen}) == 2


def test_map_window_with_one_job_runs_here_and_a_window_below_one_is_refused():
    assert [pid for pid, _ in map_window(_slow_pid, [1, 2], 1, window=1)] == [os.getpid()] * 2
    with pytest.raises(ValueError, match="window must be at least 1"):
        list(map_window(_slow_pid, [1, 2], 2, window=0))


def test_map_window_stopped_early_leaves_no_worker(tmp_path):
    import multiprocessing

    made = map_window(_slow_pid, range(100), 2, window=4)
    next(made)
    assert len(multiprocessing.active_children()) == 2
    made.close()  # the caller stopped: its workers are stopped with it
    assert multiprocessing.active_children() == []
