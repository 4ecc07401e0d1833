"""Run independent tasks on local processes or a dask.distributed cluster, results in task order.

Order is kept so that a parallel run writes exactly what a serial run writes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
import multiprocessing
import os


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def map_ordered(func: Callable, tasks: list, jobs: int, scheduler: str | None = None) -> Iterator:
    """Yield func(task) for each task, in task order.

    scheduler: address of a dask.distributed scheduler ("tcp://host:port"); None runs locally on
    `jobs` processes (1 = in this process, no pool).
    """
    if not tasks:
        return iter(())
    if scheduler:
        return _map_dask(func, tasks, scheduler)
    if jobs <= 1 or len(tasks) == 1:
        return map(func, tasks)
    return _map_pool(func, tasks, min(jobs, len(tasks)))


def _map_pool(func: Callable, tasks: list, jobs: int) -> Iterator:
    """Start the worker processes now (before the caller starts any thread), yield lazily."""
    pool = _pool(jobs)
    results = pool.imap(func, tasks, chunksize=1)

    def ordered() -> Iterator:
        done = False
        try:
            yield from results
            done = True
        finally:
            _end(pool, done)

    return ordered()


def map_window(func: Callable, tasks: Iterable, jobs: int, window: int) -> Generator:
    """Yield func(task) for each task, in task order, on `jobs` local processes that live as long
    as the iteration (their caches last from one task to the next), with at most WINDOW tasks
    handed out and not yet yielded: results do not pile up when the caller is the slower side,
    so memory does not grow with the number of tasks. TASKS may be a generator (read lazily).
    jobs=1 runs every task in this process."""
    if jobs <= 1:
        yield from map(func, tasks)
        return
    if window < 1:
        raise ValueError(f"map_window: window must be at least 1, not {window}")
    import gc

    # What the workers inherit stays shared with this process: frozen, the collector of a worker
    # never walks (and so never writes to, and copies) the objects this process holds, however
    # many (a national build's matched duties: hundreds of MB).
    gc.freeze()
    try:
        pool = _pool(jobs)
        pending: deque = deque()
        done = False
        try:
            for task in tasks:
                pending.append(pool.apply_async(func, (task,)))
                if len(pending) >= window:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
            done = True
        finally:
            _end(pool, done)
    finally:
        gc.unfreeze()


def _pool(jobs: int):
    """A pool of JOBS forked worker processes (spawned where fork is not available)."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ctx.Pool(jobs, initializer=_quiet_worker)


def _end(pool, done: bool) -> None:
    """Every task done: the workers leave when they see the end of the queue (no signal).
    Stopped early (an error, Ctrl-C): stop them (SIGTERM: a running read is cleaned up)."""
    if done:
        pool.close()
    else:
        pool.terminate()
    pool.join()


_AT_STOP: list[Callable[[], None]] = []  # run when a pool worker is stopped (see _quiet_worker)


def at_stop(func: Callable[[], None]) -> None:
    """Have FUNC run when a pool worker running it is stopped (SIGTERM): a budgeted read kills its
    child's process group and removes its temporary folder (pipeline/extract/budget.py)."""
    _AT_STOP.append(func)


def _quiet_worker() -> None:
    """A pool worker leaves Ctrl-C to the caller (which stops the pool: one line, no traceback per
    worker); stopped (SIGTERM), it runs the at_stop functions and leaves at once (os._exit: no
    unwinding through the pool's locks and threads, which could wait forever)."""
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    # Python runs a signal's handler in the main thread only, between two bytecodes. When SIGTERM
    # lands on a library's thread (an OCR engine's) while the main thread waits in the pool's queue
    # (a lock, no bytecode), the handler never runs and the pool waits for the worker forever.
    # The signal's C handler also writes its number to the wakeup fd, from whatever thread it
    # landed on: a thread of our own reads it and stops the worker.
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_watch_stop, args=(read_fd,), name="duty-stop", daemon=True).start()


def _watch_stop(read_fd: int) -> None:
    """Wait for a SIGTERM's byte on the wakeup fd (see _quiet_worker) and stop the worker."""
    import signal

    while True:
        try:
            data = os.read(read_fd, 64)
        except InterruptedError:
            continue
        if not data:
            return
        if signal.SIGTERM in data:
            _stop(signal.SIGTERM, None)


def _stop(signum, frame) -> None:
    try:
        for func in _AT_STOP:
            func()
    finally:
        os._exit(128 + signum)


def _map_dask(func: Callable, tasks: list, address: str) -> Iterator:
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        # Submit lazily in a bounded window so results (and memory) don't pile up.
        window = max(4, 2 * sum(client.nthreads().values()))
        futures: list = []
        next_task = 0
        while next_task < len(tasks) or futures:
            while next_task < len(tasks) and len(futures) < window:
                futures.append(client.submit(func, tasks[next_task], pure=False))
                next_task += 1
            head = futures.pop(0)
            yield head.result()
            head.release()


class Forked:
    """func(*args) run in a forked child while this process goes on; `result()` waits for it and
    returns its value or raises its exception (an OSError keeps its errno and file name).

    For one independent job beside the caller's own work (publish: the child renders the largest
    sheets of the workbook while this process writes the CSV files). With `inbox=True` func is
    called as func(*args, inbox): `inbox()` waits for the one object the caller hands over with
    `send(obj)` (the sheets it rendered itself), so the child can finish the job with it.
    Where fork is not available, func runs in this process: at once, or at `send` with an inbox.
    """

    def __init__(self, func: Callable, *args, inbox: bool = False) -> None:
        self._pid = 0
        self._read = self._write = -1
        self._value: tuple = ()
        self._later: tuple | None = None
        if not hasattr(os, "fork"):
            if inbox:
                self._later = (func, args)
            else:
                self._value = _outcome(func, args)
            return
        import pickle

        self._read, write = os.pipe()
        inbox_read = -1
        if inbox:
            inbox_read, self._write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                os.close(self._read)
                if inbox:
                    os.close(self._write)
                    outcome = _outcome(func, (*args, _Inbox(inbox_read)))
                else:
                    outcome = _outcome(func, args)
                try:
                    data = pickle.dumps(outcome)
                except Exception:  # an exception that does not pickle: its words only
                    data = pickle.dumps(("error", RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]}")))
                with os.fdopen(write, "wb") as f:
                    f.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        if inbox:
            os.close(inbox_read)
        self._pid = pid

    def send(self, obj) -> None:
        """Hand OBJ to the child's inbox (once). A child that already stopped is not an error
        here: `result()` says why it stopped."""
        if self._later is not None:
            func, args = self._later
            self._later = None
            self._value = _outcome(func, (*args, lambda: obj))
            return
        if self._write < 0:
            raise RuntimeError("this job has no inbox, or its object was sent already")
        import pickle

        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            with os.fdopen(self._write, "wb") as f:
                f.write(data)
        except BrokenPipeError:
            pass
        finally:
            self._write = -1

    def result(self):
        """The child's value; its exception raised here. Waits for the child."""
        if self._later is not None:  # no fork, and nothing was sent
            func, args = self._later
            self._later = None
            self._value = _outcome(func, (*args, _Inbox(-1)))
        if self._pid:
            import pickle

            if self._write >= 0:  # nothing was sent: the child sees its inbox closed
                os.close(self._write)
                self._write = -1
            with os.fdopen(self._read, "rb") as f:
                data = f.read()
            _, status = os.waitpid(self._pid, 0)
            self._pid = 0
            self._value = (
                pickle.loads(data)
                if data
                else ("error", RuntimeError(f"the child process stopped ({_status_words(status)})"))
            )
        kind, value = self._value
        if kind == "error":
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child (the caller failed or was interrupted) and reap it."""
        if self._pid:
            import signal

            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self._pid, 0)
            os.close(self._read)
            if self._write >= 0:
                os.close(self._write)
                self._write = -1
            self._pid = 0


class _Inbox:
    """The child's end of a Forked inbox: calling it waits for the caller's object."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __call__(self):
        import pickle

        if self._fd < 0:
            raise RuntimeError("the caller sent nothing (it stopped before handing its part over)")
        with os.fdopen(self._fd, "rb") as f:
            data = f.read()
        if not data:
            raise RuntimeError("the caller sent nothing (it stopped before handing its part over)")
        return pickle.loads(data)


def _outcome(func: Callable, args: tuple) -> tuple:
    try:
        return ("ok", func(*args))
    except BaseException as exc:  # the caller re-raises it
        return ("error", exc)


def _status_words(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
