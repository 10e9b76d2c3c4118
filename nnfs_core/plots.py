"""Training curves with matplotlib (optional: ``pip install 'nnfs-core[plot]'``)."""

from __future__ import annotations

from pathlib import Path


def plot_history(history: dict[str, list[float]], path: str | Path) -> Path:
    """Write a PNG with one panel per quantity (loss, then each metric), training and validation curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [key for key in history if not key.startswith("val_")]
    figure, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.6), squeeze=False)
    for axis, key in zip(axes[0], keys):
        epochs = range(1, len(history[key]) + 1)
        axis.plot(epochs, history[key], marker="o", label="training")
        if f"val_{key}" in history:
            axis.plot(epochs, history[f"val_{key}"], marker="o", label="validation")
        axis.set_xlabel("epoch")
        axis.set_title(key)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
