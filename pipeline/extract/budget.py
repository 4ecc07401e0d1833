"""Budgets: every read of a raw file runs in a forked child process with a CPU-time and memory limit.

A damaged or hostile file (a decompression bomb: a 1.4 MB PDF holding a 1 GiB stream; a page
tree that loops; a parser caught in a loop) then costs at most its budget and only itself: the
child is stopped, the file is rejected with one line naming the budget it exceeded, and the
build goes on with the other files. The parent (a pool worker, or the build's own process with
jobs=1) never runs a parser itself.

Limits, from `ExtractSettings`:
- `budget_seconds`: seconds one read task may take, in CPU time (RLIMIT_CPU: the kernel stops
  the child) and in wall time alike (the parent stops it), so no read runs longer, even one blocked
  on I/O. A task is a few dozen pages (a good one takes well under a second), so even a heavily
  loaded machine leaves good files far inside the budget.
- `budget_memory_mb`: memory the reading process may hold in all (its resident size watched
  while it runs, and RLIMIT_AS on its address space), but at least a quarter of it for the read
  itself, however much the forking process already held (the build's own process with jobs=1).

The child is forked (not a fresh interpreter), so the fast path only pays for a fork. The
result comes back pickled through a pipe; per-task figures (CPU, wall seconds, peak memory)
come with it, under the key "budget", for the manifest and the fuzzer.

Nothing a read starts outlives it: the child leads a process group of its own, and a program it
runs (LibreOffice, pipeline/extract/legacy.py) stays in that group, so the parent kills the whole
group when the read ends however it ends (done, over budget, Ctrl-C, an exception in the parent);
the child dies with its parent too (PR_SET_PDEATHSIG, Linux). Its temporary files go into a
folder of its own (tempfile.tempdir in the child), which the parent removes afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import faulthandler
from functools import cache
import os
import pickle
import resource
import select
import shutil
import signal
import sys
import tempfile
import threading
import time
from typing import Any

from pipeline.common.parallel import at_stop

CRASHED = "the reader crashed on this file (it is probably damaged)"
WALL_FACTOR = 1.0  # a read still running after this many times its budget in wall time is stopped
_POLL = 0.01  # seconds between checks of the child's resident memory (a bomb inflating at 1 GB/s overshoots 10 MB)
_PAGE = os.sysconf("SC_PAGE_SIZE")
_MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
_CRASH_SIGNALS = {signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGTRAP}


@dataclass(frozen=True)
class Budget:
    seconds: float  # CPU seconds per read task
    memory_mb: int  # memory a read task's process may hold (see allowance)

    def allowance(self, base_rss: int) -> int:
        """Bytes a read may add to a process that holds `base_rss` when it forks."""
        limit = self.memory_mb << 20
        return max(limit - base_rss, limit // 4)

    def time_reason(self) -> str:
        return f"reading it exceeds the {self.seconds:g} s time budget (ExtractSettings.budget_seconds)"

    def memory_reason(self) -> str:
        return f"reading it exceeds the {self.memory_mb} MB memory budget (ExtractSettings.budget_memory_mb)"


@dataclass(frozen=True)
class Budgeted:
    """`func(task)` run in a budgeted child: a picklable callable for `map_ordered`. SEALED: the
    result comes back as `run(..., sealed=True)` gives it, for the caller to `open`."""

    func: Callable[[Any], dict]
    budget: Budget
    prepare: Callable[[Any], None] | None = None  # run before forking, so children inherit it (a model)
    sealed: bool = False

    def __call__(self, task: Any) -> dict:
        if self.prepare is not None:
            self.prepare(task)
        return run(self.func, task, self.budget, self.sealed)


@dataclass(frozen=True)
class Sealed:
    """A child's value as the child pickled it. A pool worker passes a read's result on to the
    build's process without unpickling it and pickling it again for the pool (about 5 ms for a
    task of 40 pages, a quarter of a small task's overhead); the build's process opens it."""

    data: bytes

    def open(self) -> Any:
        return pickle.loads(self.data)


def run(func: Callable[[Any], dict], task: Any, budget: Budget, sealed: bool = False) -> dict:
    """func(task) (a reader returning a result dict; {"error": reason} for a bad file) in a child
    process within `budget`; a child over budget or crashed gives {"error": reason} instead.
    SEALED: a value the child returned comes as {"sealed": Sealed, "budget": …}, which `opened`
    turns into the result this gives without sealing."""
    outcome = call(func, task, budget, sealed)
    if isinstance(outcome.value, Sealed):
        return {"sealed": outcome.value, "budget": outcome.stats}
    return _result(outcome.value if outcome.ok else None, outcome, budget)


def opened(result: dict, budget: Budget) -> dict:
    """A result of `run` with its sealed value opened: what `run` gives without sealing."""
    sealed = result.pop("sealed", None)
    if sealed is None:
        return result
    return _result(sealed.open(), Outcome(True, stats=result.get("budget")), budget)


def _result(value: Any, outcome: Outcome, budget: Budget) -> dict:
    result = value if isinstance(value, dict) else {"error": outcome.reason}
    if outcome.detail and "error" in result and "error_detail" not in result:
        result["error_detail"] = outcome.detail
    if result.get("error_kind") == "memory":  # a MemoryError caught by the reader: over its budget
        result["error"] = budget.memory_reason()
    result["budget"] = outcome.stats
    return result


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    reason: str = ""  # why there is no value (a sentence for the user)
    detail: str = ""  # the technical detail (signal, exception), for source_files.reason_detail
    stats: dict | None = None


def call(func: Callable[..., Any], arg: Any, budget: Budget, sealed: bool = False) -> Outcome:
    """func(arg) in a forked child within `budget`. An exception raised by func comes back as
    Outcome(ok=False, value=the exception) when it can be pickled. SEALED: a value comes back
    as a `Sealed`, unopened."""
    base_rss = _rss(os.getpid())
    base_vm = _vm_size()
    scratch = tempfile.mkdtemp(prefix="duty-read-")
    parent = os.getpid()
    die_with_parent = threading.current_thread() is threading.main_thread()  # PDEATHSIG: per thread
    _prctl()
    read_fd, write_fd = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: limit, run, send the result, leave without cleanup handlers
        code = 0
        try:
            os.close(read_fd)
            os.setpgid(0, 0)  # a group of its own: whatever it starts is killed with it
            if die_with_parent:
                die_with(parent)
            tempfile.tempdir = scratch
            faulthandler.disable()  # a reader's crash is reported as a line, never as a stack dump
            _limit(budget, base_vm + budget.allowance(base_rss))
            try:
                value = func(arg)
                payload: tuple = (
                    "ok",
                    Sealed(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) if sealed else value,
                )
            except MemoryError:
                payload = ("memory", None)
            except Exception as exc:
                payload = ("raised", exc)
            try:
                data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # an exception that cannot be pickled: its text
                data = pickle.dumps(("raised", RuntimeError(f"{type(exc).__name__}: {exc}")))
            with os.fdopen(write_fd, "wb") as out:
                out.write(data)
        except MemoryError:
            code = 3
        except BaseException:
            code = 4
        os._exit(code)
    os.close(write_fd)
    _reading[:] = [(pid, scratch)]
    try:
        _setpgid(pid)  # also from this side: no moment in which a kill of the group misses the child
        return _watch(pid, read_fd, budget, base_rss, start)
    finally:  # however the read ended (Ctrl-C too): its group killed, the child reaped, its folder gone
        _reading.clear()
        _kill_group(pid)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        shutil.rmtree(scratch, ignore_errors=True)


_reading: list[tuple[int, str]] = []  # the read under way in this process: (child, its folder)


def _abandon() -> None:
    """The process is being stopped in the middle of a read: kill its group, remove its folder."""
    for pid, scratch in _reading:
        _kill_group(pid)
        shutil.rmtree(scratch, ignore_errors=True)


at_stop(_abandon)


def _watch(pid: int, read_fd: int, budget: Budget, base_rss: int, start: float) -> Outcome:
    """Watch the child until it ends; its outcome."""
    chunks: list[bytes] = []
    killed = ""
    peak = 0
    limit = budget.allowance(base_rss)
    last = base_rss
    deadline = start + budget.seconds * WALL_FACTOR
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while True:
            ready, _, _ = select.select([pipe], [], [], _POLL)
            if ready:
                chunk = pipe.read(1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            if not killed:
                rss = _rss(pid)
                peak = max(peak, rss)
                # Stopped before it gets there: a read growing as fast as since the last look
                # would pass its allowance before the next one.
                if rss + max(0, rss - last) - base_rss > limit:
                    killed = "memory"
                elif time.monotonic() > deadline:
                    killed = "wall"
                if killed:
                    _kill(pid)
                last = rss
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    cpu = usage.ru_utime + usage.ru_stime
    peak = max(peak, usage.ru_maxrss * _MAXRSS_UNIT)
    stats = {
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "peak_mb": round(peak / (1 << 20), 1),
        "added_mb": round(max(0, peak - base_rss) / (1 << 20), 1),
    }
    return _verdict(status, chunks, killed, cpu, wall, peak - base_rss, limit, budget, stats)


def _verdict(
    status: int,
    chunks: list[bytes],
    killed: str,
    cpu: float,
    wall: float,
    grown: int,
    limit: int,
    budget: Budget,
    stats: dict,
) -> Outcome:
    """The outcome of a child that ended (wait status `status`, its result's pickled bytes in
    `chunks`): stopped by the watch (`killed`) or by its limits, crashed, or its result. `grown`:
    the most memory it added to the forking process."""
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    if killed == "memory":
        return Outcome(
            False, reason=budget.memory_reason(), detail="stopped: resident memory over budget", stats=stats
        )
    if killed == "wall" or sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= budget.seconds):
        detail = f"stopped after {cpu:.1f} s CPU, {wall:.1f} s wall"
        return Outcome(False, reason=budget.time_reason(), detail=detail, stats=stats)
    if sig is not None:
        name = signal.Signals(sig).name
        if sig in _CRASH_SIGNALS and grown >= limit // 2:  # an allocation refused at the limit
            return Outcome(
                False, reason=budget.memory_reason(), detail=f"reader stopped by {name}", stats=stats
            )
        return Outcome(False, reason=CRASHED, detail=f"signal {name}", stats=stats)
    if os.WEXITSTATUS(status) == 3 or not chunks:
        code = os.WEXITSTATUS(status)
        if code == 3 or grown >= limit // 2:
            return Outcome(False, reason=budget.memory_reason(), detail=f"exit status {code}", stats=stats)
        return Outcome(
            False,
            reason=CRASHED,
            detail=f"exit status {code}",
            stats=stats,
        )
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "memory":
        return Outcome(False, reason=budget.memory_reason(), detail="MemoryError", stats=stats)
    if kind == "raised":
        return Outcome(False, value=value, reason=str(value), stats=stats)
    return Outcome(True, value=value, stats=stats)


def release_limits(parent: int | None = None) -> None:
    """Lift a budgeted child's memory limit in a program it starts (LibreOffice maps far more
    address space than it uses; its conversion has a time limit of its own, below the read's), and
    have it killed when PARENT (the read) dies. For preexec_fn."""
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    except (ValueError, OSError):
        pass
    if parent is not None:
        die_with(parent)


def _limit(budget: Budget, soft: int) -> None:
    """The child's limits; a system that refuses one (macOS enforces no RLIMIT_AS) keeps the
    parent's watch (wall clock; resident size where /proc exists)."""
    cpu = max(1, int(budget.seconds + 0.999))
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    except (ValueError, OSError):
        pass
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    except (ValueError, OSError):
        pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _kill_group(pid: int) -> None:
    """Kill the read's process group (the child and what it started: LibreOffice)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _setpgid(pid: int) -> None:
    try:
        os.setpgid(pid, pid)
    except (ProcessLookupError, PermissionError):  # the child did it already, or ended already
        pass


def die_with(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux; elsewhere nothing): a program a
    read starts, and the read's child itself, never run on orphaned. Safe after fork (preexec_fn)."""
    prctl = _prctl()
    if prctl is None:
        return
    prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


@cache
def _prctl():
    """libc's prctl, looked up once in the parent (a child forked for each read need not import
    ctypes again); None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _vm_size() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * _PAGE
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
