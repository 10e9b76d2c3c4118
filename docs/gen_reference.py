"""Build-time generator (mkdocs-gen-files): the reference pages, one per area, complete by construction.

Two sources fill them, so the reference can miss neither a component nor a public name:

- every installed component of a page's kinds, read from the same entry points users' lookups use;
- every name in the ``__all__`` of the page's public modules (what ``from module import name`` offers),
  apart from the components already listed.

Each entry is rendered by mkdocstrings from its docstring. ``tests/docs/test_site.py`` checks the built
site against both sources. This script is excluded from the published site (``exclude_docs``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import mkdocs_gen_files

from nnfs_core import registry

ENTRY = "::: {path}\n    options:\n      heading_level: {level}\n{extra}\n"


@dataclass(frozen=True)
class Page:
    """One reference page: its title, what it is about, its component kinds and its public modules."""

    title: str
    intro: str
    kinds: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


PAGES: dict[str, Page] = {
    "network": Page("Network and configs", "The network that holds the layers and trains them, the TOML "
                    "training configs of `nnfs train`, and PyTorch weights by name ([Interoperability]"
                    "(../interop.md)).", modules=("nnfs_core.network", "nnfs_core.config", "nnfs_core.torch_weights")),
    "layers": Page("Layers", "Every installed layer, by the name the registry knows it under; the combinators "
                   "(`sequential`, `residual`, `branch`, ...) are built on `CompositeLayer`.", ("layers",),
                   ("nnfs_conv", "nnfs_sequence", "nnfs_core.layers.composite")),
    "activations": Page("Activations", "Activations are layers without parameters, registered under their own "
                        "kind.", ("activations",), ("nnfs_activations",)),
    "losses": Page("Losses", "Each loss is mean-reduced over the batch, as the PyTorch loss of the same name.",
                   ("losses",), ("nnfs_core.losses",)),
    "optimizers": Page("Optimizers and schedulers", "Update rules and hyperparameter names follow `torch.optim`, "
                       "with `lr` spelled `learning_rate`.", ("optimizers", "schedulers"), ("nnfs_optim",)),
    "initializers": Page("Initializers", "Weight and bias initializers, and the helpers they share.",
                         ("initializers",), ("nnfs_core.initializers",)),
    "metrics": Page("Metrics", "Metrics reported by `fit` and `evaluate`.", ("metrics",), ("nnfs_core.metrics",)),
    "callbacks": Page("Callbacks", "Callbacks are pluggy plugins of the training lifecycle "
                      "([hooks](registry.md)).", ("callbacks",)),
    "datasets": Page("Dataset loaders", "The registered dataset loaders and the API they share; the guide is "
                     "[Using datasets](../datasets.md). Character vocabularies and text sampling "
                     "(`nnfs_core.text`) go with the text corpora.", ("datasets",),
                     ("nnfs_core.datasets", "nnfs_core.text", "nnfs_sequence.fortunes",
                      "nnfs_sequence.sequential_mnist")),
    "persistence": Page("Saving and loading", "Model files, checkpoints and their limits; the format itself is "
                        "described in [The model file format](../file-format.md).", modules=("nnfs_core.persistence",)),
    "registry": Page("Registry, protocols, hooks and errors", "What a component is, how it is found by name, the "
                     "training lifecycle's hooks, and the errors nnfs raises.",
                     modules=("nnfs_core.registry", "nnfs_core.plugin_api", "nnfs_core.protocols",
                              "nnfs_core.hookspecs", "nnfs_core.errors")),
    "onnx": Page("ONNX export", "Exporting a network to ONNX and writing an exporter for a component; the guide is "
                 "[Interoperability](../interop.md#onnx-export).", modules=("nnfs_core.onnx",)),
    "testing": Page("Conformance kit", "The checks every component passes, for pack authors and for nnfs itself; "
                    "see [Writing a pack](../writing-a-pack.md#4-test-with-the-conformance-kit).",
                    modules=("nnfs_core.testing",)),
    "validation": Page("Validation helpers", "The checks components run on their arguments; each error names the "
                       "component, what was expected and what came.", modules=("nnfs_core.validation",)),
    "ops": Page("Compute backends", "Where a component's products, kernels and scratch memory come from; "
                "chosen with `Network(ops=...)` or `NNFS_OPS`.", ("ops",), ("nnfs_core.ops",)),
    "strategies": Page("Training strategies", "How `fit` spreads a run over processes, chosen with "
                       "`fit(strategy=...)`, the config's `strategy` key, `NNFS_STRATEGY` or the launcher; see "
                       "[Distributed training](../distributed.md).", ("strategies",),
                       ("nnfs_core.strategies", "nnfs_mpi")),
    "parallel": Page("Threads (deprecated)", "The first release's thread helpers, kept for packs that call "
                     "them; components now get their speed from their compute backend, see "
                     "[Compute backends](../concepts.md#compute-backends).", modules=("nnfs_core.parallel",)),
}


def public_names(module_name: str) -> list[str]:
    """The module's ``__all__``, dunder names (``__version__``) left out."""
    module = importlib.import_module(module_name)
    return [name for name in getattr(module, "__all__", []) if not name.startswith("__")]


def write_components(out: Any, kinds: tuple[str, ...]) -> set[int]:
    """A table and an entry per component; returns the ids of the objects documented."""
    documented: set[int] = set()
    for kind in kinds:
        if len(kinds) > 1:
            out.write(f"## {kind.capitalize()}\n\n")
        rows, targets = [], {}
        for entry in registry.of_kind(kind).entries():
            rows.append(f"| `{entry.name}` | {entry.distribution} {entry.version} | `{entry.target}` |")
            targets.setdefault(entry.target, []).append(entry.name)
        out.write("| name | distribution | target |\n|---|---|---|\n" + "\n".join(rows) + "\n\n")
        for target in targets:
            module_name, _, attribute = target.partition(":")
            documented.add(id(getattr(importlib.import_module(module_name), attribute)))
            out.write(ENTRY.format(path=target.replace(":", "."), level=3, extra=""))
    return documented


def write_module(out: Any, module_name: str, documented: set[int], extra: str) -> None:
    """The module's docstring, then an entry for each public name not documented yet."""
    module = importlib.import_module(module_name)
    names = [name for name in public_names(module_name)
             if not (callable(getattr(module, name)) and id(getattr(module, name)) in documented)]
    if not names:
        return
    out.write(f"## `{module_name}`\n\n")
    out.write(ENTRY.format(path=module_name, level=2, extra="      members: false\n      show_root_heading: false"))
    for name in names:
        if callable(getattr(module, name)):
            documented.add(id(getattr(module, name)))
        out.write(ENTRY.format(path=f"{module_name}.{name}", level=3, extra=extra))


for slug, page in PAGES.items():
    with mkdocs_gen_files.open(f"reference/{slug}.md", "w") as out:
        out.write(f"# {page.title}\n\n{page.intro}\n\n")
        done = write_components(out, page.kinds)
        for module_name in page.modules:
            write_module(out, module_name, done, page.extra.get(module_name, ""))
