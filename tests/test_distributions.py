"""What an index needs of every distribution, read from the pyproject files (fast; the build, twine check and
an install from a local index are tests/test_index_install.py, ``-m slow``): a README as long description,
and for each pack a compatible-release dependency on the nnfs-core of this repository (``nnfs-core~=X.Y``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from nnfs_core import __version__

ROOT = Path(__file__).resolve().parents[1]
PACKS = sorted(path for path in (ROOT / "plugins").glob("nnfs-*") if (path / "pyproject.toml").exists())
TEMPLATE = ROOT / "nnfs_core" / "_pack_template"


def project(directory: Path) -> dict:
    return tomllib.loads((directory / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.mark.parametrize("directory", [ROOT, *PACKS], ids=lambda path: path.name)
def test_every_distribution_carries_its_readme_as_long_description(directory):
    readme = project(directory)["readme"]
    assert readme == "README.md", f"{directory.name}: readme = {readme!r}"
    text = (directory / readme).read_text(encoding="utf-8")
    assert text.startswith("# ") and len(text.splitlines()) > 5, f"{directory.name}/README.md is not a README"


@pytest.mark.parametrize("directory", [*PACKS, TEMPLATE], ids=lambda path: path.name)
def test_every_pack_depends_on_a_compatible_release_of_this_core(directory):
    major, minor = __version__.split(".")[:2]
    wanted = f"nnfs-core~={major}.{minor}"
    core = [spec for spec in project(directory)["dependencies"] if re.match(r"nnfs-core\b", spec)]
    assert core == [wanted], f"{directory.name} declares {core}, expected [{wanted!r}] (nnfs-core is {__version__})"
