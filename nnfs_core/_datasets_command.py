"""``nnfs datasets``: every registered dataset, its sizes, and where its data comes from."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from nnfs_core._table import table

if TYPE_CHECKING:
    from nnfs_core.registry import Entry

HELP = """\
where the data comes from:
  digits, mnist-small  embedded in nnfs-core: always available
  mnist, fashion-mnist the four IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
                       t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]), looked for in
                       $NNFS_DATA/mnist or $NNFS_DATA/fashion-mnist, then the per-user cache
                       ({cache}/<name>), then for fashion-mnist /usr/share/datasets/fashion-mnist

to make mnist or fashion-mnist available, any of:
  - put the four files in a directory and set NNFS_DATA to its parent (NNFS_DATA=DIR, files in DIR/mnist),
    or pass it as an option: dataset = {name = "mnist", directory = "DIR"} in a config
  - fashion-mnist on Debian or Ubuntu: apt-get install dataset-fashion-mnist
  - configure a base URL holding the four .gz files, downloaded (resumable, SHA-256 verified) on first
    use: NNFS_MNIST_URL=URL, NNFS_FASHION_MNIST_URL=URL, or the url option; MNIST downloads also need
    the sha256 option (nnfs ships no MNIST digests)
see docs/datasets.md for sources, licences and attribution
"""


def add_parser(commands: Any) -> None:
    from nnfs_core.datasets import _idx_dataset

    parser = commands.add_parser(
        "datasets", help="list the registered datasets, their sizes and where their data comes from",
        description="List every registered dataset: its distribution, train/test sizes, sample shape and "
                    "where its data comes from. Nothing is loaded: sizes come from file headers.",
        epilog=HELP.replace("{cache}", str(_idx_dataset.cache_directory())),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nnfs_core import registry

    entries = registry.datasets.entries()
    if not entries:
        print("no datasets installed")
        return 0
    rows = [[entry.name, entry.distribution, *_describe(entry)] for entry in entries]
    print(table(rows, ["NAME", "DISTRIBUTION", "TRAIN", "TEST", "SAMPLE SHAPE", "SOURCE"]))
    return 0


def _describe(entry: Entry) -> list[str]:
    """TRAIN, TEST, SAMPLE SHAPE and SOURCE cells; a failure is shown in SOURCE, not raised."""
    from nnfs_core.datasets import describe
    from nnfs_core.errors import NNFSError

    try:
        info = describe(entry.load())
        if info is None:
            return ["?", "?", "?", "unknown (the loader has no describe())"]
        shape = "x".join(str(size) for size in info.sample_shape) if info.sample_shape else "?"
        return [_count(info.train_size), _count(info.test_size), shape, str(info.source)]
    except NNFSError as error:  # a pack that fails to import, or a malformed file: show it, list the rest
        return ["?", "?", "?", f"unavailable - {error}"]
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - a pack's describe() has a bug (or exits): its row says so
        return ["?", "?", "?", f"unavailable - describe() from {entry.distribution}=={entry.version} raised "
                               f"{type(error).__name__}: {error}"]


def _count(size: int | None) -> str:
    return "?" if size is None else f"{size:,}"
