"""The text table printed by ``Network.summary()``."""

from __future__ import annotations

from typing import Any


def _rows(label: str, layer: Any, depth: int) -> list[tuple[str, str, str, str]]:
    """The layer's row, then its children's, indented: a layer that holds layers is shown as a tree."""
    count = sum(int(value.size) for value in layer.params.values())
    shape = "(None, " + ", ".join(str(size) for size in (layer.output_shape or ())) + ")"
    frozen = "" if getattr(layer, "trainable", True) else " (frozen)"
    rows = [(label, "  " * depth + type(layer).__name__ + frozen, shape.replace(", )", ")"), f"{count:,}")]
    children = getattr(layer, "children", None)
    if callable(children):
        for name, child in children():
            rows += _rows(f"{label}.{name}", child, depth + 1)
    return rows


def summary_table(network: Any) -> str:
    rows = [("#", "Layer (type)", "Output shape", "Params")]
    for index, layer in enumerate(network.layers):
        rows += _rows(str(index), layer, 0)
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    rule = "-" * (sum(widths) + 6)

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(cell.rjust(w) if column == 3 else cell.ljust(w)
                         for column, (cell, w) in enumerate(zip(row, widths))).rstrip()

    from nnfs_core._parameters import named_trainable

    total = network.count_params()
    trainable = sum(int(value.size) for value in named_trainable(network)[0].values())
    lines = [f"Network: input {network.input_shape}, dtype {network.dtype.name}", rule, line(rows[0]), rule]
    lines += [line(row) for row in rows[1:]]
    lines += [rule, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}"]
    return "\n".join(lines)
