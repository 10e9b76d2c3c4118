"""`nnfs new-pack NAME --kind ...`: packs of every kind, and an embedding pack made the way the docs say,
installed for real with pip, pass their own tests and `nnfs plugins --check` (issue "Pack authors, second
round")."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core._new_pack_command import KINDS, create_pack, template_path
from nnfs_core.cli import main
from nnfs_core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def docs_embedding() -> str:
    """The Embedding of docs/writing-a-pack.md, word for word: the pack is made the way the docs say."""
    page = (ROOT / "docs" / "writing-a-pack.md").read_text()
    block = re.search(r"```python\n(\s*class Embedding\(BaseLayer\):.*?)```", page, re.S)
    assert block, "docs/writing-a-pack.md lost its Embedding example"
    header = "import numpy as np\n\nfrom nnfs_core.protocols import BaseLayer\n\n\n"
    return header + textwrap.dedent(block.group(1))


EMBEDDING = docs_embedding()


def run_tests(*packs):
    """The packs' own test suites, in one pytest run (their test files share a name: importlib mode)."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
                           *(str(pack / "tests") for pack in packs)], cwd=packs[0], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def plugins_check():
    done = subprocess.run([sys.executable, "-m", "nnfs_core", "plugins", "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def embedding_pack(tmp_path):
    """A layer pack from `nnfs new-pack`, with an Embedding added as docs/writing-a-pack.md says.

    It is registered as ``lookup_embedding``: ``embedding`` is first-party (nnfs-sequence) and an outside pack
    taking the same name would need a pin."""
    pack = create_pack("nnfs-lookup", tmp_path, kind="layer")
    (pack / "nnfs_lookup" / "embedding.py").write_text(EMBEDDING)
    pyproject = pack / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        'feature_scale = "nnfs_lookup.feature_scale:FeatureScale"',
        'feature_scale = "nnfs_lookup.feature_scale:FeatureScale"\n'
        'lookup_embedding = "nnfs_lookup.embedding:Embedding"'))
    tests = pack / "tests" / "test_components.py"
    tests.write_text(tests.read_text().replace(
        "from nnfs_lookup import FeatureScale",
        "from nnfs_lookup import FeatureScale\nfrom nnfs_lookup.embedding import Embedding").replace(
        "[FeatureScale(), FeatureScale(init=0.5)]", "[FeatureScale(), FeatureScale(init=0.5), Embedding(7, 3)]"))
    assert "expected_failed_checks" not in EMBEDDING + tests.read_text()
    return pack


def test_packs_of_every_kind_and_an_embedding_pack_pass_their_tests_and_plugins_check(tmp_path, pip_installed):
    """One install, one test run and one `nnfs plugins --check` for all of them, to keep this fast."""
    packs = [embedding_pack(tmp_path)]
    packs += [create_pack(f"nnfs-made-{kind}", tmp_path, kind=kind) for kind in ("optimizer", "loss", "dataset")]
    pip_installed(*packs)
    assert registry.optimizers.entry("sign_sgd").distribution == "nnfs-made-optimizer"
    assert registry.layers.entry("lookup_embedding").distribution == "nnfs-lookup"

    run_tests(*packs)
    listed = plugins_check()  # exits 0: no failure anywhere, and none declared expected
    assert all(name in listed for name in ("lookup_embedding", "sign_sgd", "log_cosh", "xor"))
    network = Network([{"name": "lookup_embedding", "num_embeddings": 7, "embedding_dim": 3}], seed=0)
    ids = np.array([[5, 6], [0, 1]], dtype=np.int32)
    np.testing.assert_array_equal(network.predict(ids), network.layers[0].params["weight"][ids])
    assert main(["doc", "sign_sgd"]) == 0


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind != "layer"])
def test_each_kind_makes_a_pack_of_that_kind(tmp_path, kind):
    example = KINDS[kind]
    pack = create_pack(f"nnfs-a-{kind}", tmp_path, kind=kind)
    package = pack / f"nnfs_a_{kind}"
    assert {path.name for path in package.iterdir()} == {"__init__.py", f"{example.module}.py", "py.typed"}
    assert f'[project.entry-points."{example.group}"]' in (pack / "pyproject.toml").read_text()
    assert f"from nnfs_a_{kind}.{example.module} import {example.public}" in (package / "__init__.py").read_text()
    assert "feature_scale" not in (pack / "README.md").read_text() + (pack / "tests" / "test_components.py").read_text()


def test_the_pyproject_comments_survive_the_rename(tmp_path):
    def comments(path):
        return [line for line in path.read_text().splitlines() if line.lstrip().startswith("#")]

    pack = create_pack("nnfs-wavelets", tmp_path)
    made, template = comments(pack / "pyproject.toml"), comments(template_path() / "pyproject.toml")
    assert made == template and "nnfs-example-pack" in made[1]
    assert 'name = "nnfs-wavelets"' in (pack / "pyproject.toml").read_text()


def test_an_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="no template for the kind 'metric'; kinds are layer, optimizer"):
        create_pack("nnfs-metrics", tmp_path, kind="metric")
