"""Executors: where a sweep's runs execute, behind one interface.

    inline   this process, one run after another (the seed API's default; no isolation)
    local    a process pool on this machine (`concurrent.futures`, spawn): the default of `distsafe sweep`
    dask     Dask distributed: a scheduler at `address` (tcp://HOST:PORT), or a LocalCluster of `workers`
             single-threaded worker processes when no address is given
    ray      Ray: a cluster at `address` (`ray://HOST:10001` or `HOST:6379`), or a local Ray of `workers`
             CPUs when none is given

An executor keeps at most `window` runs submitted and not finished ("in flight"; a kill loses at most
these) and yields each `RunOutcome` as it finishes, in any order. The run itself (`tasks.execute_run`) is a
pure function of its task, so results do not depend on the executor, the worker or the order. Workers on
other machines need the same distsafe version installed; they receive the task (the scenario's text and
overrides) and send back plain data (the outcome): nothing is read from the driver's disk.
"""

from __future__ import annotations

import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from distsafe.experiments.plan import RunTask
from distsafe.experiments.tasks import RunOutcome, execute_run

EXECUTORS = ("local", "dask", "ray")
RunFn = Callable[[RunTask], RunOutcome]


def _lost(task: RunTask, exc: BaseException) -> RunOutcome:
    """The outcome of a run whose worker died or whose result never came back."""
    text = " ".join(str(exc).split())
    return RunOutcome(
        task.run_id,
        ok=False,
        error=(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:500],
        traceback="".join(traceback.format_exception(exc)),
    )


class Executor(ABC):
    """Submit runs, wait for any to finish, collect results; subclasses hold the engine."""

    name = "executor"

    def __init__(self, workers: int = 1, address: str | None = None):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers, self.address = workers, address
        self.in_flight = 0
        #: called whenever `in_flight` changes (the progress bar)
        self.on_change: Callable[[int], None] | None = None

    # ---- the engine's part ---------------------------------------------------------------------------
    def start(self) -> None:  # noqa: B027 - optional hook
        """Connect or start the pool (called once, before the first submit)."""

    @abstractmethod
    def submit(self, fn: RunFn, task: RunTask) -> Any: ...

    @abstractmethod
    def wait_any(self, handles: list[Any]) -> list[Any]:
        """The handles among `handles` that have finished (at least one; blocks until then)."""

    @abstractmethod
    def result(self, handle: Any) -> RunOutcome: ...

    def cancel(self, handles: list[Any]) -> None:  # noqa: B027 - optional hook
        """Give up on runs still in flight (Ctrl-C)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the pool or the connection."""

    def slots(self) -> int:
        """How many runs execute at once (the window is this, plus a little queue for remote workers)."""
        return self.workers

    # ---- the shared loop -----------------------------------------------------------------------------
    def map_unordered(self, tasks: Iterable[RunTask], fn: RunFn = execute_run) -> Iterator[RunOutcome]:
        """Run every task, at most `window` in flight; yield outcomes as they finish."""
        pending = iter(tasks)
        running: dict[Any, RunTask] = {}
        self.start()
        window = max(1, self.window())
        try:
            while True:
                while len(running) < window:
                    task = next(pending, None)
                    if task is None:
                        break
                    running[self.submit(fn, task)] = task
                    self._set_in_flight(len(running))
                if not running:
                    return
                for h in self.wait_any(list(running)):
                    task = running.pop(h)
                    self._set_in_flight(len(running))
                    try:
                        out = self.result(h)
                    except Exception as e:  # noqa: BLE001 - a lost worker fails this run, not the sweep
                        out = _lost(task, e)
                    yield out
        except BaseException:
            self.cancel(list(running))
            raise
        finally:
            self.in_flight = 0
            self.close()

    def window(self) -> int:
        return self.slots()

    def _set_in_flight(self, n: int) -> None:
        self.in_flight = n
        if self.on_change is not None:
            self.on_change(n)


class _Ready:
    """An outcome computed at submission (inline), as a hashable handle."""

    def __init__(self, outcome: RunOutcome):
        self.outcome = outcome


class InlineExecutor(Executor):
    """This process, one run at a time."""

    name = "inline"

    def submit(self, fn: RunFn, task: RunTask) -> Any:
        return _Ready(fn(task))

    def wait_any(self, handles: list[Any]) -> list[Any]:
        return handles

    def result(self, handle: Any) -> RunOutcome:
        out: RunOutcome = handle.outcome
        return out

    def window(self) -> int:
        return 1


class LocalExecutor(Executor):
    """A process pool on this machine (spawned workers: no state inherited from the driver)."""

    name = "local"
    pool: Any = None

    def start(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, fn: RunFn, task: RunTask) -> Any:
        return self.pool.submit(fn, task)

    def wait_any(self, handles: list[Any]) -> list[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(handles, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, handle: Any) -> RunOutcome:
        out: RunOutcome = handle.result()
        return out

    def cancel(self, handles: list[Any]) -> None:
        for h in handles:
            h.cancel()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


class DaskExecutor(Executor):
    """Dask distributed: `address` or a LocalCluster of `workers` single-threaded processes."""

    name = "dask"
    client: Any = None
    cluster: Any = None

    def start(self) -> None:
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if self.address:
            self.client = Client(self.address, timeout="30s")
        else:
            self.cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self.client = Client(self.cluster)

    def slots(self) -> int:
        if not self.address:
            return self.workers
        workers = self.client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def window(self) -> int:
        return 2 * self.slots()  # a queued run per thread hides the round trip to the scheduler

    def submit(self, fn: RunFn, task: RunTask) -> Any:
        return self.client.submit(fn, task, key=f"distsafe-{task.run_id}-{id(task)}", pure=False)

    def wait_any(self, handles: list[Any]) -> list[Any]:
        from dask.distributed import wait

        done, _ = wait(handles, return_when="FIRST_COMPLETED")
        return list(done)

    def result(self, handle: Any) -> RunOutcome:
        out: RunOutcome = handle.result()
        return out

    def cancel(self, handles: list[Any]) -> None:
        if handles:
            self.client.cancel(handles)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


class RayExecutor(Executor):
    """Ray: a cluster at `address`, or a local Ray with `workers` CPUs."""

    name = "ray"
    ray: Any = None

    def start(self) -> None:
        import ray

        self.ray = ray
        if self.address:
            ray.init(address=self.address, log_to_driver=False)
        else:
            ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
        self.remote = ray.remote(num_cpus=1, max_retries=0)(_ray_run)

    def slots(self) -> int:
        if not self.address:
            return self.workers
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    def window(self) -> int:
        return 2 * self.slots()

    def submit(self, fn: RunFn, task: RunTask) -> Any:
        return self.remote.remote(fn, task)

    def wait_any(self, handles: list[Any]) -> list[Any]:
        done, _ = self.ray.wait(handles, num_returns=1)
        return list(done)

    def result(self, handle: Any) -> RunOutcome:
        out: RunOutcome = self.ray.get(handle)
        return out

    def cancel(self, handles: list[Any]) -> None:
        for h in handles:
            self.ray.cancel(h, force=True)

    def close(self) -> None:
        if self.ray is not None and self.ray.is_initialized():
            self.ray.shutdown()


def _ray_run(fn: RunFn, task: RunTask) -> RunOutcome:
    return fn(task)


def make_executor(name: str, workers: int = 1, address: str | None = None) -> Executor:
    classes: dict[str, type[Executor]] = {
        "inline": InlineExecutor,
        "local": LocalExecutor,
        "dask": DaskExecutor,
        "ray": RayExecutor,
    }
    if name not in classes:
        raise ValueError(f"unknown executor {name!r}; known: {', '.join(EXECUTORS)}")
    if name in ("inline", "local") and address:
        raise ValueError(f"--address is for the dask and ray executors, not {name}")
    return classes[name](workers, address)
