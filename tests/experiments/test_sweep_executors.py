"""Every executor gives the local process pool's numbers bit for bit: Dask with a scheduler and two
workers started as separate processes on 127.0.0.1, and Ray inside a private network namespace."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sweep_helpers import child_env, cli

from distsafe.experiments import (
    load_results,
    load_summary,
    load_sweep_spec,
    make_executor,
    make_plan,
    run_sweep,
)


@pytest.fixture(scope="module")
def local(tmp_path_factory, tiny_grid):
    root = tmp_path_factory.mktemp("local")
    spec = root / "spec.yaml"
    spec.write_text(tiny_grid)
    r = cli("sweep", str(spec), "--out", str(root / "out"), "--workers", "2")
    assert r.returncode == 0, r.stderr
    assert "8 runs done, 0 failed" in r.stderr
    return spec, root / "out"


def _same(a: Path, b: Path) -> None:
    ra, rb = load_results(a), load_results(b)
    assert len(ra) == 16
    pd.testing.assert_frame_equal(ra, rb, check_exact=True)
    pd.testing.assert_frame_equal(load_summary(a), load_summary(b), check_exact=True)
    for shard in sorted((a / "runs").glob("*.parquet")):
        ma = pq.read_schema(shard).metadata
        mb = pq.read_schema(b / "runs" / shard.name).metadata
        assert ma[b"distsafe.summary"] == mb[b"distsafe.summary"]
        assert ma[b"distsafe.config"] == mb[b"distsafe.config"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(procs: list[subprocess.Popen]) -> None:
    """Workers first, then the scheduler (a worker whose scheduler is gone waits to reconnect)."""
    for p in reversed(procs):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


def test_dask_scheduler_and_two_worker_processes_match_local(local, tmp_path):
    pytest.importorskip("distributed", reason="the [sweep] extra (dask[distributed]) is not installed")
    from dask.distributed import Client

    spec, local_out = local
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = [open(tmp_path / f"{n}.log", "w") for n in ("scheduler", "worker0", "worker1")]  # noqa: SIM115
    common = {"env": child_env(), "cwd": tmp_path, "start_new_session": True, "stderr": subprocess.STDOUT}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=logs[0],
            **common,
        )  # fmt: skip
    ]
    try:
        for i in (1, 2):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                        "--name",
                        f"w{i}",
                    ],
                    stdout=logs[i],
                    **common,
                )  # fmt: skip
            )
        with Client(address, timeout="60s") as c:
            c.wait_for_workers(2, timeout=90)
            assert len(c.scheduler_info()["workers"]) == 2
        out = tmp_path / "dask"
        rep = run_sweep(make_plan(load_sweep_spec(spec)), out, make_executor("dask", address=address))
        assert (rep.done, rep.failed) == (8, 0)
        _same(local_out, out)
        # the runs ran on the two worker processes, not here
        pids = {pq.read_schema(p).metadata[b"distsafe.run"] for p in (out / "runs").glob("*.parquet")}
        assert not any(f'"pid": {os.getpid()},'.encode() in m for m in pids)
    finally:
        _stop(procs)
        for f in logs:
            f.close()
    assert all(p.poll() is not None for p in procs)


def _unshare_problem() -> str | None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip (iproute2) is not installed"
    r = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True, text=True)
    if r.returncode != 0:
        return f"network namespaces are not permitted here ({(r.stderr or f'exit {r.returncode}').strip()})"
    return None


def test_ray_in_a_private_network_namespace_matches_local(local, tmp_path):
    pytest.importorskip("ray", reason="the [sweep] extra (ray) is not installed")
    problem = _unshare_problem()
    if problem:
        pytest.skip(problem)
    spec, local_out = local
    out = tmp_path / "ray"
    inner = (
        f"ip link set lo up && exec {sys.executable} -m distsafe.cli sweep {spec} --out {out} "
        "--executor ray --workers 2"
    )
    r = subprocess.run(
        ["unshare", "-n", "sh", "-c", inner], capture_output=True, text=True, env=child_env(), timeout=400
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "8 runs done, 0 failed" in r.stderr
    _same(local_out, out)


def test_local_cluster_dask_matches_local(local, tmp_path):
    pytest.importorskip("distributed", reason="the [sweep] extra (dask[distributed]) is not installed")
    spec, local_out = local
    out = tmp_path / "lc"
    rep = run_sweep(make_plan(load_sweep_spec(spec)), out, make_executor("dask", workers=2))
    assert rep.done == 8
    _same(local_out, out)


def test_inline_matches_local(local, tmp_path):
    spec, local_out = local
    run_sweep(make_plan(load_sweep_spec(spec)), tmp_path / "inline", make_executor("inline"))
    _same(local_out, tmp_path / "inline")
