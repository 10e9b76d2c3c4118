"""Build-time generator (mkdocs-gen-files): one reference page per kind, listing every installed component.

Each component's section is rendered by mkdocstrings from its docstring, so the reference can never miss
a registered component: it is read from the same entry points users' lookups use.
"""

from __future__ import annotations

import mkdocs_gen_files

from nnfs_core import registry

PAGES = {
    "layers": ("Layers", ["layers"]),
    "activations": ("Activations", ["activations"]),
    "losses": ("Losses", ["losses"]),
    "optimizers": ("Optimizers and schedulers", ["optimizers", "schedulers"]),
    "initializers": ("Initializers", ["initializers"]),
    "metrics": ("Metrics", ["metrics"]),
    "callbacks": ("Callbacks", ["callbacks"]),
    "datasets": ("Datasets", ["datasets"]),
}

for page, (title, kinds) in PAGES.items():
    with mkdocs_gen_files.open(f"reference/{page}.md", "w") as out:
        out.write(f"# {title}\n\n")
        for kind in kinds:
            if len(kinds) > 1:
                out.write(f"## {kind.capitalize()}\n\n")
            rows, targets = [], {}
            for entry in registry.of_kind(kind).entries():
                rows.append(f"| `{entry.name}` | {entry.distribution} {entry.version} | `{entry.target}` |")
                targets.setdefault(entry.target, []).append(entry.name)
            out.write("| name | distribution | target |\n|---|---|---|\n" + "\n".join(rows) + "\n\n")
            for target in targets:
                out.write(f"::: {target.replace(':', '.')}\n    options:\n      heading_level: 3\n\n")
