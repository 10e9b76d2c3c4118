"""Shared fixtures of the core's tests."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core._compat import metadata
from nnfs_core.protocols import BaseOptimizer

# The first release's pack template ships its own tests, run by test_first_release_template.py once renamed.
collect_ignore = ["fixtures/pack_template_0_1"]


class PlainSGD(BaseOptimizer):
    """The tiny optimizer core tests use: the core ships none (they live in nnfs-optim)."""

    def __init__(self, learning_rate: float = 0.1) -> None:
        super().__init__(learning_rate)

    def update(self, param, grad, state):
        param -= param.dtype.type(self.learning_rate) * grad


@pytest.fixture
def plain_sgd():
    """Registers ``plain_sgd`` in-process for one test and returns the class."""
    registry.optimizers.register("plain_sgd", override=True)(PlainSGD)
    yield PlainSGD
    registry.optimizers.unregister("plain_sgd")


@pytest.fixture
def pip_installed():
    """``install(*packs)`` pip-installs pack folders into this environment for real; they are uninstalled
    after the test."""
    names = []

    def install(*packs):
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        *map(str, packs)], check=True, capture_output=True)
        names.extend(pack.name for pack in packs)
        registry.refresh()

    yield install
    if names:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", *names], check=True, capture_output=True)
    registry.refresh()


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# -- plugin environments for the registry, hooks and CLI tests ----------------------------------------------

PLUGIN_ENV_VARIABLES = ("NNFS_PREFER", "NNFS_DISABLE_PLUGINS", "NNFS_STRICT_PLUGINS")
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_PACKS = ("nnfs-fixture-good", "nnfs-fixture-broken", "nnfs-fixture-clash-a", "nnfs-fixture-clash-b")


class _FakeDistribution:
    """What the registry reads of an ``importlib_metadata.Distribution``: its name and version."""

    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version


class FakePlugins:
    """Installed distributions faked the way pluggy's tests do it: ``entry_points()`` is patched.

    Only the entry points added here exist (the core's own are hidden, but for its compute backends).
    Targets are real modules written to a temporary directory on ``sys.path`` (see :meth:`module`), so
    loading is real and whether a target was imported is visible in ``sys.modules``.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
        # The core's compute backends stay: every Network needs one (the kit builds networks too).
        self.entry_points: list = list(metadata.entry_points(group="nnfs.ops"))
        self.scans = 0
        self.modules: list[str] = []
        self.directory = directory
        directory.mkdir()
        monkeypatch.syspath_prepend(str(directory))
        monkeypatch.setattr(metadata, "entry_points", self._entry_points)

    def _entry_points(self, **params):
        self.scans += 1
        return metadata.EntryPoints(self.entry_points).select(**params)

    def add(self, kind: str, name: str, target: str, dist: str = "nnfs-fake", version: str = "1.0"):
        """Declare ``name = target`` in the group of ``kind`` (``"layers"``, ..., or ``"hooks"``)."""
        group = registry.HOOKS_GROUP if kind == "hooks" else registry.KINDS[kind]
        entry_point = metadata.EntryPoint(name, target, group)._for(_FakeDistribution(dist, version))
        self.entry_points.append(entry_point)
        return entry_point

    def module(self, source: str = "") -> str:
        """Write a uniquely named module and return its name; it is not imported."""
        name = f"nnfs_fake_{uuid.uuid4().hex[:12]}"
        (self.directory / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        self.modules.append(name)
        return name

    def imported(self) -> list[str]:
        """The modules written by :meth:`module` that have been imported so far."""
        return [name for name in self.modules if name in sys.modules]

    def close(self) -> None:
        for name in self.modules:
            sys.modules.pop(name, None)


def _reset_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """No plugin environment variables; in-process registrations and pins restored after the test."""
    for variable in PLUGIN_ENV_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for kind in registry.kinds():
        reg = registry.of_kind(kind)
        monkeypatch.setattr(reg, "_local", dict(reg._local))
        monkeypatch.setattr(reg, "_preferred", dict(reg._preferred))


@pytest.fixture
def clean_registry(monkeypatch):
    """The real installed entry points, rescanned before and after the test, with no plugin variables."""
    _reset_registries(monkeypatch)
    registry.refresh()
    yield registry
    monkeypatch.undo()
    registry.refresh()


@pytest.fixture
def fake_plugins(monkeypatch, tmp_path):
    """A :class:`FakePlugins` environment; the registries are rescanned before and after the test."""
    _reset_registries(monkeypatch)
    fake = FakePlugins(monkeypatch, tmp_path / "fake_site")
    registry.refresh()
    yield fake
    fake.close()
    monkeypatch.undo()
    registry.refresh()


class FixturePacks:
    """The packs of ``tests/fixtures`` installed with pip into this interpreter (see ``fixture_packs``)."""

    def __init__(self, build_root: Path) -> None:
        self.build_root = build_root

    def pip(self, *args: str) -> None:
        command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "-q"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
        importlib.invalidate_caches()
        registry.refresh()

    def install(self, *packs: str) -> None:
        paths = [str(self.build_root / pack) for pack in packs or FIXTURE_PACKS]
        self.pip("install", "--no-deps", "--no-build-isolation", "--no-index", *paths)

    def uninstall(self, *packs: str) -> None:
        self.pip("uninstall", "-y", *(packs or FIXTURE_PACKS))


@pytest.fixture(scope="session")
def fixture_packs(tmp_path_factory):
    """Install the four fixture packs once per session (built from a copy, so the repository stays clean).

    Tests that request this fixture run after all others (see ``pytest_collection_modifyitems``), so
    that tests walking every installed component never meet the broken or clashing fixture packs.
    """
    build_root = tmp_path_factory.mktemp("fixture_packs")
    for pack in FIXTURE_PACKS:
        ignore = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
        shutil.copytree(FIXTURES / pack, build_root / pack, ignore=ignore)
    packs = FixturePacks(build_root)
    with _environment_lock():
        packs.install()
        yield packs
        packs.uninstall()


@contextlib.contextmanager
def _environment_lock(timeout: float = 300.0):
    """Hold this interpreter's environment while the fixture packs are installed in it.

    Two test sessions sharing one environment would otherwise uninstall the packs under each other's
    feet; the second one waits here instead. (No-op where ``fcntl`` does not exist.)
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    key = hashlib.sha256(sys.prefix.encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"nnfs-fixture-packs-{key}.lock", "w") as lock:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test session has held the fixture packs of {sys.prefix} for {timeout} s")
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def pytest_collection_modifyitems(items):
    # Stable: the relative order inside each group is kept.
    items.sort(key=lambda item: "fixture_packs" in getattr(item, "fixturenames", ()))
