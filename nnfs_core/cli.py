"""The ``nnfs`` command."""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from nnfs_core._table import table

if TYPE_CHECKING:
    from nnfs_core.registry import Entry
from nnfs_core._version import __version__

__all__ = ["main"]

HOOKS = "hooks"  # the kind shown for the lifecycle plugins of the nnfs.hooks group


def _matches(entry: Entry, pattern: str) -> bool:
    """Glob on the normalised name, so 'conv*' and 'max-pool*' match as users expect."""
    from nnfs_core.registry import normalize

    return fnmatch.fnmatch(normalize(entry.name), normalize(pattern))


def _entries(kind: str) -> list[Entry]:
    """The installed entries of a component kind, or of ``hooks`` (the ``nnfs.hooks`` plugins)."""
    from nnfs_core import registry

    if kind == HOOKS:
        return sorted(registry.hook_entries(), key=lambda entry: (entry.key, entry.distribution))
    return registry.of_kind(kind).entries()


def _plugins(args: argparse.Namespace) -> int:
    from nnfs_core import registry

    kinds = [args.kind] if args.kind else [*registry.kinds(), HOOKS]
    rows = []
    for kind in kinds:
        for entry in _entries(kind):
            if args.pattern and not _matches(entry, args.pattern):
                continue
            rows.append((entry, [kind, entry.name, entry.distribution, entry.version, entry.target]))
    if not rows:
        print("no components found" + (f" matching {args.pattern!r}" if args.pattern else ""))
        return 0
    print(table([cells for _, cells in rows], ["KIND", "NAME", "DISTRIBUTION", "VERSION", "TARGET"]))
    from nnfs_core._plugins_compat import report_incompatible

    incompatible = report_incompatible({entry.distribution for entry, _ in rows})
    if not args.check:
        return 0
    from nnfs_core.testing.distribution import check_components

    failures = check_components([entry for entry, _ in rows if entry.distribution not in incompatible])
    failures += [f"{name}: incompatible plugin API (see above)" for name in sorted(incompatible)]
    print()
    if failures:
        for line in failures:
            print(f"FAIL  {line}")
        print(f"{len(failures)} problem(s) in {len(rows)} component(s)")
        return 1
    print(f"all {len(rows)} component(s) load and pass the conformance checks")
    return 0


def _parser() -> argparse.ArgumentParser:
    from nnfs_core.registry import KINDS

    parser = argparse.ArgumentParser(prog="nnfs", description="nnfs: a deep-learning framework in pure NumPy")
    parser.add_argument("--version", action="version", version=f"nnfs-core {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    plugins = commands.add_parser("plugins", help="list installed components by kind, distribution and version")
    plugins.add_argument("pattern", nargs="?", help="glob on the component name, e.g. 'conv*'")
    plugins.add_argument("--kind", choices=sorted([*KINDS, HOOKS]), help="only this kind")
    plugins.add_argument("--check", action="store_true",
                         help="import every component, run the conformance kit on it, and report failures")
    plugins.set_defaults(run=_plugins)
    from nnfs_core import _train_command

    _train_command.add_parser(commands)
    from nnfs_core import _datasets_command

    _datasets_command.add_parser(commands)
    from nnfs_core import _new_pack_command

    _new_pack_command.add_parser(commands)
    from nnfs_core import _model_commands

    _model_commands.add_parsers(commands)
    from nnfs_core import _doc_command

    _doc_command.add_parser(commands)
    from nnfs_core import _generate_command

    _generate_command.add_parser(commands)
    from nnfs_core import _export_command

    _export_command.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    from nnfs_core.errors import NNFSError

    try:
        code = int(args.run(args))
        sys.stdout.flush()  # a reader that went away (| head) is found here, not at the interpreter's exit
        return code
    except NNFSError as error:
        print(f"nnfs: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The reader of stdout went away (``nnfs plugins | head -1``): stop quietly, with SIGPIPE's status.

    Python would report the closed pipe again when it flushes stdout at exit, so stdout is pointed at
    the null device first.
    """
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
