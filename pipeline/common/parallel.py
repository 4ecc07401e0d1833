"""Run independent tasks on local processes or a dask.distributed cluster, results in task order.

Order is kept so that a parallel run writes exactly what a serial run writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pool = ctx.Pool(jobs)
    results = pool.imap(func, tasks, chunksize=1)

    def ordered() -> Iterator:
        try:
            yield from results
            pool.close()
        finally:
            pool.terminate()
            pool.join()

    return ordered()


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
