"""``nnfs new-pack NAME``: a new pack from the template (``plugins/_template``), ready to install and test."""

from __future__ import annotations

import argparse
import re
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from nnfs_core.errors import ConfigError

TEMPLATE_DISTRIBUTION = "nnfs-example-pack"
TEMPLATE_PACKAGE = "nnfs_example_pack"
_VALID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_SKIP = ("__pycache__", ".egg-info", ".pytest_cache", "build", "dist")


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("new-pack", help="create a new pack from the template, ready to install and test")
    parser.add_argument("name", help="distribution name, e.g. nnfs-wavelets (package: nnfs_wavelets)")
    parser.add_argument("--directory", default=".", help="where to create the pack's folder (default: here)")
    parser.set_defaults(run=run)


def template_path() -> Path:
    return Path(str(resources.files("nnfs_core").joinpath("_pack_template")))


def create_pack(name: str, directory: str | Path = ".") -> Path:
    """Copy the template to ``directory/name`` with every ``nnfs-example-pack`` / ``nnfs_example_pack`` renamed."""
    if not _VALID.match(name):
        raise ConfigError(f"new-pack: {name!r} is not a valid distribution name; use lower-case letters, digits and "
                          f"single hyphens, e.g. nnfs-wavelets")
    _refuse_taken(name)
    package = name.replace("-", "_")
    target = Path(directory) / name
    if target.exists():
        raise ConfigError(f"new-pack: {target} already exists; choose another name or --directory")
    source = template_path()
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part.endswith(_SKIP) for part in relative.parts):
            continue
        destination = target / Path(*(part.replace(TEMPLATE_PACKAGE, package) for part in relative.parts))
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        elif path.suffix in (".py", ".toml", ".md", ".txt", ".cfg"):
            destination.parent.mkdir(parents=True, exist_ok=True)
            text = path.read_text(encoding="utf-8")
            destination.write_text(text.replace(TEMPLATE_DISTRIBUTION, name).replace(TEMPLATE_PACKAGE, package),
                                   encoding="utf-8")
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
    return target


def _refuse_taken(name: str) -> None:
    """Installing a pack named like nnfs itself, a first-party pack or anything installed would replace it."""
    from nnfs_core._compat import metadata
    from nnfs_core._first_party import FIRST_PARTY
    from nnfs_core.registry import normalize

    if normalize(name) in {normalize(reserved) for reserved in ("nnfs", "nnfs-core", *FIRST_PARTY)}:
        raise ConfigError(f"new-pack: {name!r} is the name of nnfs's own distribution {name}; installing the new "
                          f"pack would replace it. Choose a name of your own, such as nnfs-wavelets")
    try:
        installed = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return
    raise ConfigError(f"new-pack: a distribution named {name!r} ({installed.version}) is already installed; "
                      f"installing the new pack would replace it. Choose another name")


def run(args: argparse.Namespace) -> int:
    target = create_pack(args.name, args.directory)
    print(f"created {target}\nnext:\n  cd {target}\n  pip install -e '.[test]'\n  pytest tests\n"
          f"then add your components (one per file) and their entry points in pyproject.toml")
    return 0
