"""``nnfs_core._first_party.FIRST_PARTY`` must match the entry points the first-party packs declare.

The table lets a missing name say which pack to ``pip install``; it is only right while it says what the
packs' ``pyproject.toml`` files say. Packs whose directory does not exist yet are skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_core import registry
from nnfs_core._compat import tomllib
from nnfs_core._first_party import FIRST_PARTY

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
GROUPS = {group: kind for kind, group in registry.KINDS.items()}


def declared(dist):
    """``{kind: sorted names}`` of the component entry points in a pack's pyproject.toml."""
    project = tomllib.loads((PLUGINS / dist / "pyproject.toml").read_text())["project"]
    assert project["name"] == dist
    entry_points = project.get("entry-points", {})
    return {GROUPS[group]: sorted(names) for group, names in entry_points.items() if group in GROUPS}


@pytest.mark.parametrize("dist", sorted(FIRST_PARTY))
def test_first_party_table_matches_the_packs_entry_points(dist):
    if not (PLUGINS / dist / "pyproject.toml").exists():
        pytest.skip(f"plugins/{dist} does not exist yet")
    table = {kind: sorted(names) for kind, names in FIRST_PARTY[dist].items()}
    assert declared(dist) == table


def test_every_first_party_pack_is_in_the_table():
    packs = {path.parent.name for path in PLUGINS.glob("nnfs-*/pyproject.toml")}
    assert packs <= set(FIRST_PARTY), f"add {sorted(packs - set(FIRST_PARTY))} to nnfs_core/_first_party.py"


def test_table_is_well_formed():
    for dist, provided in FIRST_PARTY.items():
        assert dist.startswith("nnfs-") and set(provided) <= set(registry.KINDS), dist
        for kind, names in provided.items():
            keys = [registry.normalize(name) for name in names]
            assert len(keys) == len(set(keys)), f"{dist} {kind}: a name is listed twice"
