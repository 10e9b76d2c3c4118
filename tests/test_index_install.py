"""Packs install by name from an index (``-m slow``, run by ``nox -s accuracy``).

Every distribution - nnfs-core at the root and each pack under ``plugins/nnfs-*`` - is built as an sdist
and a wheel with ``python -m build`` (the wheel from the sdist, as an index's users would get it) and
checked with ``twine check --strict``. The files are served by pypiserver on 127.0.0.1 with its fallback
to any other index switched off; a fresh virtual environment then gets ``pip install nnfs-conv`` by name
from that index alone, with no pip configuration or ``PIP_*`` variable of this machine. pip must pull
nnfs-core from the local index as nnfs-conv's dependency; the third-party dependencies (NumPy, pluggy,
...) are the ones this environment has, linked into the fresh one beforehand, so nothing needs the
internet. Last, nnfs-optim and nnfs-activations are installed the same way and a tiny CNN is trained by
registry names in that environment.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PACKS = sorted(path for path in (ROOT / "plugins").glob("nnfs-*") if (path / "pyproject.toml").exists())
DISTRIBUTIONS = [ROOT, *PACKS]
IGNORED = shutil.ignore_patterns(".git", ".venv", ".nox", "build", "dist", "*.egg-info", "__pycache__", "site",
                                 "runs", ".*_cache", ".hypothesis", "*.nnfs")


def run(*command: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, env=env, cwd=cwd,
                            timeout=600)
    assert result.returncode == 0, f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


def build_all(sources: Path, packages: Path) -> None:
    """Copies of every distribution's tree (no build litter in the clone), each built to ``packages``."""
    shutil.copytree(ROOT, sources / "nnfs", ignore=IGNORED)
    for distribution in DISTRIBUTIONS:
        copy = sources / "nnfs" / distribution.relative_to(ROOT)
        # No isolation: the build backend (setuptools) is this environment's, so no index is asked for it.
        run(sys.executable, "-m", "build", "--no-isolation", "--outdir", packages, copy)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"pypiserver exited with {server.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"pypiserver did not answer at {url}")


def isolated_pip_environment() -> dict[str, str]:
    """This environment without pip's configuration (files and ``PIP_*``), so the command line is all it has."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_") and key != "PYTHONPATH"}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def third_party_requirements(names: list[str]) -> list[importlib.metadata.Distribution]:
    """The installed distributions the named ones need, recursively, nnfs's own left out."""
    from packaging.requirements import Requirement

    found: dict[str, importlib.metadata.Distribution] = {}
    todo = list(names)
    while todo:
        distribution = importlib.metadata.distribution(todo.pop())
        for line in distribution.requires or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            key = requirement.name.lower().replace("_", "-")
            if key.startswith("nnfs-") or key in found:
                continue
            found[key] = importlib.metadata.distribution(requirement.name)
            todo.append(requirement.name)
    return list(found.values())


def link_into(site_packages: Path, distributions: list[importlib.metadata.Distribution]) -> None:
    """Link each distribution's top-level files (packages, modules, .dist-info) into a fresh environment."""
    for distribution in distributions:
        top = {Path(str(file)).parts[0] for file in distribution.files or [] if not str(file).startswith("..")}
        for name in top:
            target = Path(str(distribution.locate_file(name)))
            if target.exists() and not (site_packages / name).exists():
                (site_packages / name).symlink_to(target)


def pip_install(python: Path, index: str, report: Path, *names: str) -> list[dict[str, object]]:
    run(sys.executable, "-m", "pip", "--python", python, "install", "--index-url", index, "--report", report,
        *names, env=isolated_pip_environment())
    return list(json.loads(report.read_text())["install"])


def test_packs_install_by_name_from_a_local_index_and_train(tmp_path):
    packages = tmp_path / "packages"
    build_all(tmp_path / "sources", packages)
    built = sorted(path.name for path in packages.iterdir())
    assert len(built) == 2 * len(DISTRIBUTIONS), built
    assert sum(name.endswith(".whl") for name in built) == len(DISTRIBUTIONS), built
    run(sys.executable, "-m", "twine", "check", "--strict", *sorted(packages.iterdir()))

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "pypiserver", "run", "--interface", "127.0.0.1", "--port",
                               str(port), "--disable-fallback", str(packages)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        index = f"http://127.0.0.1:{port}/simple/"
        wait_until_serving(index, server)
        environment = tmp_path / "venv"
        venv.create(environment, with_pip=False, symlinks=True)
        python = environment / "bin" / "python"
        site_packages = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
        link_into(site_packages, third_party_requirements(["nnfs-core", "nnfs-conv"]))

        installed = pip_install(python, index, tmp_path / "conv.json", "nnfs-conv")
        sources = {str(item["metadata"]["name"]): item for item in installed}  # type: ignore[index]
        assert sorted(sources) == ["nnfs-conv", "nnfs-core"], "pip installed more than nnfs-conv and nnfs-core"
        for name, item in sources.items():
            url = item["download_info"]["url"]  # type: ignore[index]
            assert url.startswith(f"http://127.0.0.1:{port}/") and url.endswith(".whl"), (name, url)
        assert sources["nnfs-core"]["requested"] is False  # pulled as nnfs-conv's dependency
        assert sources["nnfs-conv"]["requested"] is True

        more = pip_install(python, index, tmp_path / "more.json", "nnfs-optim", "nnfs-activations")
        assert sorted(str(item["metadata"]["name"]) for item in more) == ["nnfs-activations", "nnfs-optim"]
        run(sys.executable, "-m", "pip", "--python", python, "check", env=isolated_pip_environment())
    finally:
        server.terminate()
        server.wait(timeout=30)

    script = textwrap.dedent("""
        import numpy as np
        import nnfs_core
        from nnfs_core import Network, registry

        assert "site-packages" in nnfs_core.__file__, nnfs_core.__file__
        assert registry.layers.entries()[0] is not None
        conv = next(entry for entry in registry.layers.entries() if entry.name == "conv2d")
        assert conv.distribution == "nnfs-conv", conv
        rng = np.random.default_rng(0)
        x = rng.standard_normal((96, 1, 8, 8)).astype(np.float32) * 0.3
        y = rng.integers(0, 2, 96)
        x[y == 1, :, :4] += 1.0  # class 1: a bright top half
        net = Network([{"name": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, "relu",
                       {"name": "max_pool2d", "kernel_size": 2}, "flatten", {"name": "dense", "output_size": 2}],
                      optimizer={"name": "adam", "learning_rate": 0.01}, loss="cross_entropy",
                      input_shape=(1, 8, 8), metrics=["accuracy"], seed=0)
        history = net.fit(x, y, epochs=8, batch_size=16, verbose=0)
        result = net.evaluate(x, y)
        print(history.history["loss"][0], history.history["loss"][-1], result["accuracy"])
    """)
    first, last, accuracy = map(float, run(python, "-c", script, cwd=tmp_path,
                                           env=isolated_pip_environment()).split())
    assert last < first / 2 and accuracy >= 0.95, (first, last, accuracy)
