"""The numba cell (lstm_numba) against nnfs-sequence's own LSTM in float64: outputs, input and weight gradients.

``python check_lstm_numba.py``: each configuration runs once through the patched float32 layer and once
through the unpatched float64 layer with the same weights; prints the largest relative error of each.
"""

import lstm_numba
import numpy as np

from nnfs_core import registry
from nnfs_core.protocols import run_backward, run_forward

CONFIGS = [
    {"hidden_size": 128},
    {"hidden_size": 128, "return_sequences": False},
    {"hidden_size": 32, "num_layers": 2, "bidirectional": True},
    {"hidden_size": 16, "bidirectional": True, "return_sequences": False},
]


def run(config: dict, dtype: type, x: np.ndarray, params: dict | None, grad: np.ndarray | None):  # noqa: ANN201
    layer = registry.layers.create("lstm", **config)
    layer.build(x.shape[1:], rng=np.random.default_rng(1), dtype=dtype)
    if params is not None:
        for name, value in params.items():
            layer.params[name][...] = value
    y, cache = run_forward(layer, x.astype(dtype), training=True)
    grad = np.random.default_rng(2).standard_normal(y.shape) if grad is None else grad
    grad_x = run_backward(layer, grad.astype(dtype), cache)
    return y, grad_x, {name: array.copy() for name, array in layer.grads.items()}, layer.params, grad


def main() -> None:
    rng = np.random.default_rng(0)
    lstm_numba.patch()  # float32 layers take the compiled cell, float64 ones NumPy's
    for config in CONFIGS:
        x = rng.standard_normal((16, 12, 28))
        y64, gx64, g64, params, grad = run(config, np.float64, x, None, None)
        before = lstm_numba.CALLS[0]
        y32, gx32, g32, _, _ = run(config, np.float32, x, {k: v.astype(np.float32) for k, v in params.items()}, grad)
        assert lstm_numba.CALLS[0] > before, "the float32 layer did not take the compiled cell"
        errors = {"output": y32 - y64, "input gradient": gx32 - gx64, **{k: g32[k] - g64[k] for k in g64}}
        scale = {"output": y64, "input gradient": gx64, **g64}
        worst = max(errors, key=lambda k: np.abs(errors[k]).max() / np.abs(scale[k]).max())
        print(f"{config}: largest error {np.abs(errors[worst]).max() / np.abs(scale[worst]).max():.1e} "
              f"of the largest value ({worst})")


if __name__ == "__main__":
    main()
