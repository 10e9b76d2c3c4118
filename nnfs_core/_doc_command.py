"""``nnfs doc NAME``: the documentation of an installed component, found by its registry name (like pydoc)."""

from __future__ import annotations

import argparse
import difflib
import inspect
import json
from typing import TYPE_CHECKING, Any

from nnfs_core.errors import ComponentNotFoundError

if TYPE_CHECKING:
    from nnfs_core.registry import Entry


def add_parser(commands: Any) -> None:
    from nnfs_core.registry import KINDS

    parser = commands.add_parser("doc", help="docstring, signature, config keys and pack of a component by name")
    parser.add_argument("name", help="a registry name, e.g. conv2d or adam (see `nnfs plugins`)")
    parser.add_argument("--kind", choices=sorted(KINDS), help="only this kind (when a name is in several)")
    parser.set_defaults(run=run)


def find(name: str, kind: str | None = None) -> list[Entry]:
    """The entries called ``name`` in ``kind`` or in every kind (``mse`` is a loss and a metric)."""
    from nnfs_core import registry

    found = []
    for candidate in [kind] if kind else registry.kinds():
        reg = registry.of_kind(candidate)
        if any(entry.key == registry.normalize(name) for entry in reg.entries()):
            found.append(reg.entry(name))  # resolves clashes, or raises ComponentConflictError naming both
    if not found:
        switched_off = sorted({entry.distribution for entry in registry.disabled_entries()
                               if entry.key == registry.normalize(name) and (kind is None or entry.kind == kind)})
        if switched_off:
            raise ComponentNotFoundError(f"{name!r} comes from {', '.join(switched_off)}, which NNFS_DISABLE_PLUGINS "
                                         f"switches off; remove it from that variable to see its page")
        known = {registry.normalize(n): n for k in ([kind] if kind else registry.kinds())
                 for n in registry.of_kind(k).names()}
        close = difflib.get_close_matches(registry.normalize(name), list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(repr(known[c]) for c in close)}?" if close else ""
        raise ComponentNotFoundError(f"no {kind or 'component'} named {name!r} is installed{hint} "
                                     f"(`nnfs plugins` lists every name)")
    return found


class _Written(str):
    """An annotation kept as the text it was written as (``from __future__ import annotations``), unquoted."""

    def __repr__(self) -> str:
        return str(self)


def _signature(target: Any) -> inspect.Signature | None:
    """The call signature with annotations as written; a class's without its ``-> None``."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    parameters = [parameter.replace(annotation=_Written(parameter.annotation))
                  if isinstance(parameter.annotation, str) else parameter
                  for parameter in signature.parameters.values()]
    returns = signature.return_annotation
    if isinstance(target, type):
        returns = inspect.Signature.empty
    elif isinstance(returns, str):
        returns = _Written(returns)
    return signature.replace(parameters=parameters, return_annotation=returns)


def _config_keys(signature: inspect.Signature) -> list[list[str]]:
    """One row per argument (for a class, what ``get_config`` returns): name, annotation, default."""
    rows = []
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        annotation = "" if parameter.annotation is parameter.empty else str(parameter.annotation)
        default = "(required)" if parameter.default is parameter.empty else repr(parameter.default)
        rows.append([parameter.name, annotation, default])
    return rows


def page(entry: Entry) -> str:
    """The text ``nnfs doc`` prints for one entry."""
    from nnfs_core._table import table

    target = entry.load()
    name = getattr(target, "__name__", entry.target)
    signature = _signature(target)
    lines = [f"{entry.name} ({entry.kind}) - {entry.target}",
             f"distribution: {entry.distribution} {entry.version}".rstrip(), "",
             name if signature is None else f"{name}{signature}", "", inspect.getdoc(target) or "(no docstring)"]
    rows = [] if signature is None else _config_keys(signature)
    if rows:
        what = "constructor arguments, as get_config() returns them" if isinstance(target, type) else "arguments"
        lines += ["", f"Config keys ({what}):", table(rows, ["KEY", "TYPE", "DEFAULT"])]
    if isinstance(target, type):
        example = {"name": entry.name, **getattr(target, "example_args", {})}
        lines += ["", f"Example config: {json.dumps(example, default=list)}"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    print("\n\n".join(page(entry) for entry in find(args.name, args.kind)))
    return 0
