"""What a model file may declare before it is read: sizes, counts and the dtype whitelist.

Every limit is checked on declared values (zip directory, header, ``.npy`` headers) before the bytes they
describe are decompressed or allocated, so a hostile file is refused after reading a few kilobytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LoadLimits", "DEFAULT_LIMITS", "DTYPES", "check_dtype_name", "npy_descr"]

#: The only array dtypes a file may hold, by name. Object, string, void, structured and complex dtypes
#: never load; byte order in the file is little-endian (``'<f4'``), single bytes have none (``'|u1'``).
DTYPES = (
    "float16", "float32", "float64",
    "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64",
    "bool",
)


def npy_descr(name: str) -> str:
    """The ``.npy`` header ``descr`` a whitelisted dtype is written with, e.g. ``'<f4'`` or ``'|b1'``."""
    return np.dtype(name).newbyteorder("<").str


def check_dtype_name(value: Any) -> str | None:
    """``value`` if it names a whitelisted dtype, else None."""
    return value if isinstance(value, str) and value in DTYPES else None


@dataclass(frozen=True)
class LoadLimits:
    """Bounds on what a file may declare. Pass your own to ``load`` to read bigger (trusted) files.

    Attributes
    ----------
    max_file_bytes : int
        Size of the file on disk. Format version 1 has no ZIP64, so files stay under 2 GiB.
    max_header_bytes : int
        Size of ``header.json``.
    max_members : int
        Number of zip members (``header.json`` and one per array).
    max_total_bytes : int
        Sum of the declared uncompressed sizes of all members.
    max_compression_ratio : float
        Largest uncompressed / compressed size of a deflated member (zip bombs reach thousands).
    max_ndim : int
        Dimensions of one array.
    max_npy_header_bytes : int
        Size of one ``.npy`` member's own header.
    max_json_depth : int
        Nesting of the header's JSON values.
    min_build_budget, min_sample_budget, budget_per_stored_value : int
        The load budget, in array values (``docs/file-format.md``, "The load budget"). With V the values
        the file stores for its layers (at most one per 4 bytes they occupy on disk), what building the
        layers allocates and keeps may not exceed ``max(min_build_budget, budget_per_stored_value * V)``,
        and the input, every layer's output and scratch for one sample may not exceed
        ``max(min_sample_budget, budget_per_stored_value * V)``. A layer declares its cost with
        ``build_cost(input_shape)``; a default bounds layers that do not (see ``check_architecture``).
    check_architecture : bool
        Bound the architecture by the load budget before building it. Building allocates every layer's
        parameters before they can be compared with the file's arrays, so a header claiming huge layers
        is refused first. Turn off only for files you trust (``nnfs ... --trust-file``).
    """

    max_file_bytes: int = 2**31 - 1
    max_header_bytes: int = 2**20
    max_members: int = 10_000
    max_total_bytes: int = 2**31 - 1
    max_compression_ratio: float = 50.0
    max_ndim: int = 32
    max_npy_header_bytes: int = 4096
    max_json_depth: int = 64
    min_build_budget: int = 2**18
    min_sample_budget: int = 2**24
    budget_per_stored_value: int = 256
    check_architecture: bool = True


DEFAULT_LIMITS = LoadLimits()
