"""``nnfs new-pack NAME [--kind KIND]``: a new pack from the template (``plugins/_template``), ready to install
and test, holding one example component of the kind asked for."""

from __future__ import annotations

import argparse
import re
import shutil
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from nnfs_core.errors import ConfigError

TEMPLATE_DISTRIBUTION = "nnfs-example-pack"
TEMPLATE_PACKAGE = "nnfs_example_pack"
_VALID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_SKIP = ("__pycache__", ".egg-info", ".pytest_cache", "build", "dist")
_TEXT = (".py", ".toml", ".md", ".txt", ".cfg")


class Example(NamedTuple):
    """The example component a pack of one kind starts with (``kinds/<kind>/`` in the template)."""

    group: str  # entry-point group
    name: str  # registry name
    module: str  # file in the package, and in kinds/<kind>/ (its tests are kinds/<kind>/test_<module>.py)
    public: str  # the class or function


KINDS: dict[str, Example] = {
    "layer": Example("nnfs.layers", "feature_scale", "feature_scale", "FeatureScale"),
    "optimizer": Example("nnfs.optimizers", "sign_sgd", "sign_sgd", "SignSGD"),
    "loss": Example("nnfs.losses", "log_cosh", "log_cosh", "LogCosh"),
    "dataset": Example("nnfs.datasets", "xor", "xor", "load_xor"),
}
LAYER = KINDS["layer"]  # the template itself is a layer pack; other kinds swap in their example
ONNX_EXPORTER = f"""
# Optional: how a layer exports to ONNX (nnfs export, Network.to_onnx), registered under the layer's own name.
[project.entry-points."nnfs.onnx_exporters"]
{LAYER.name} = "{TEMPLATE_PACKAGE}.{LAYER.module}:export_onnx"
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("new-pack", help="create a new pack from the template, ready to install and test")
    parser.add_argument("name", help="distribution name, e.g. nnfs-wavelets (package: nnfs_wavelets)")
    parser.add_argument("--kind", choices=list(KINDS), default="layer",
                        help="the example component the pack starts with (default: layer)")
    parser.add_argument("--directory", default=".", help="where to create the pack's folder (default: here)")
    parser.set_defaults(run=run)


def template_path() -> Path:
    return Path(str(resources.files("nnfs_core").joinpath("_pack_template")))


def _for_kind(text: str, example: Example) -> str:
    """The layer's entry point, import and ``__all__`` swapped for the kind's example component."""
    swaps = {
        f'[project.entry-points."{LAYER.group}"]': f'[project.entry-points."{example.group}"]',
        f'{LAYER.name} = "{TEMPLATE_PACKAGE}.{LAYER.module}:{LAYER.public}"':
            f'{example.name} = "{TEMPLATE_PACKAGE}.{example.module}:{example.public}"',
        f"from {TEMPLATE_PACKAGE}.{LAYER.module} import {LAYER.public}":
            f"from {TEMPLATE_PACKAGE}.{example.module} import {example.public}",
        f'__all__ = ["{LAYER.public}"]': f'__all__ = ["{example.public}"]',
        ONNX_EXPORTER: "",  # only a layer exports to ONNX
    }
    for old, new in swaps.items():
        text = text.replace(old, new)
    return text


def _renamed(text: str, suffix: str, name: str, package: str) -> str:
    """The template's names replaced by the pack's; TOML comments are kept as written (they describe the
    template and its renaming, and would say nonsense with the names replaced)."""
    lines = text.splitlines(keepends=True)
    return "".join(line if suffix == ".toml" and line.lstrip().startswith("#") else
                   line.replace(TEMPLATE_DISTRIBUTION, name).replace(TEMPLATE_PACKAGE, package) for line in lines)


def _sources(source: Path, kind: str) -> dict[Path, Path]:
    """Destination (relative, template names) -> template file, with the kind's example swapped in."""
    files = {path.relative_to(source): path for path in sorted(source.rglob("*"))
             if path.is_file() and not any(part.endswith(_SKIP) for part in path.relative_to(source).parts)
             and path.relative_to(source).parts[0] != "kinds"}
    if kind != "layer":
        example, overlay = KINDS[kind], source / "kinds" / kind
        del files[Path(TEMPLATE_PACKAGE, f"{LAYER.module}.py")]
        files[Path(TEMPLATE_PACKAGE, f"{example.module}.py")] = overlay / f"{example.module}.py"
        files[Path("tests", "test_components.py")] = overlay / f"test_{example.module}.py"
    return files


def create_pack(name: str, directory: str | Path = ".", kind: str = "layer") -> Path:
    """Copy the template to ``directory/name`` with every ``nnfs-example-pack`` / ``nnfs_example_pack`` renamed,
    starting with the example component of ``kind`` (layer, optimizer, loss or dataset)."""
    if not _VALID.match(name):
        raise ConfigError(f"new-pack: {name!r} is not a valid distribution name; use lower-case letters, digits and "
                          f"single hyphens, e.g. nnfs-wavelets")
    if kind not in KINDS:
        raise ConfigError(f"new-pack: no template for the kind {kind!r}; kinds are {', '.join(KINDS)}")
    _refuse_taken(name)
    package = name.replace("-", "_")
    target = Path(directory) / name
    if target.exists():
        raise ConfigError(f"new-pack: {target} already exists; choose another name or --directory")
    source = template_path()
    for relative, path in _sources(source, kind).items():
        destination = target / Path(*(part.replace(TEMPLATE_PACKAGE, package) for part in relative.parts))
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix not in _TEXT:
            shutil.copyfile(path, destination)
            continue
        text = path.read_text(encoding="utf-8")
        if kind != "layer":
            text = _for_kind(text, KINDS[kind])
            if relative == Path("README.md"):
                text = _readme_for_kind(text, (source / "kinds" / kind / "components.md").read_text(encoding="utf-8"))
        destination.write_text(_renamed(text, path.suffix, name, package), encoding="utf-8")
    return target


def _readme_for_kind(readme: str, components: str) -> str:
    """The README's Components and Example sections replaced by the kind's."""
    start, end = readme.index("## Components\n"), readme.index("## Develop\n")
    return readme[:start] + components + readme[end:]


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
    target = create_pack(args.name, args.directory, args.kind)
    print(f"created {target} (one example {args.kind})\nnext:\n  cd {target}\n  pip install -e '.[test]'\n"
          f"  pytest tests\nthen add your components (one per file) and their entry points in pyproject.toml; "
          f"`nnfs doc NAME` shows any installed component's documentation")
    return 0
