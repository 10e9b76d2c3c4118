"""PyTorch weights by name for convolutional networks: a CNN (Conv2D, BatchNorm, pooling, float32) and a
ResNet-style network of residual blocks with strided 1x1 projections (float64), moved both ways between nnfs
and the same nn.Sequential: torch's weights and BatchNorm statistics loaded with
``Network.load_torch_state_dict``, and a network trained in nnfs loaded into torch with
``load_state_dict(strict=True)``, compared on the outputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from nnfs_core import Network, registry

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")
nn = torch.nn

TOLERANCE = {"float32": {"rtol": 1e-5, "atol": 1e-5}, "float64": {"rtol": 1e-6, "atol": 1e-6}}
layer = registry.layers.create


def moves_both_ways(make_net: Callable[[int], Network], module: Any, x: np.ndarray, dtype: str) -> None:
    """torch -> nnfs and nnfs -> torch, each compared on ``x`` in inference."""
    torch.manual_seed(0)
    x_t = torch.from_numpy(x)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(0.2 * torch.randn_like(parameter))
        module.train()
        for _ in range(3):  # BatchNorm running statistics away from 0 and 1
            module(x_t * 2 + 1)
    module.eval()
    net = make_net(1)
    assert net.load_torch_state_dict(module.state_dict()) == ([], [])
    with torch.no_grad():
        np.testing.assert_allclose(net.predict(x), module(x_t).numpy(), **TOLERANCE[dtype])

    trained = make_net(2)
    target = np.random.default_rng(3).standard_normal(trained.predict(x).shape).astype(dtype)
    trained.fit(x * 2 + 1, target, epochs=2, batch_size=8, verbose=0)
    module.load_state_dict({name: torch.from_numpy(value) for name, value in trained.torch_state_dict().items()},
                           strict=True)
    with torch.no_grad():
        np.testing.assert_allclose(trained.predict(x), module(x_t).numpy(), **TOLERANCE[dtype])


def test_a_cnn_with_batch_norm_and_pooling_moves_both_ways_in_float32():
    def make(seed: int) -> Network:
        return Network([layer("conv2d", out_channels=6, kernel_size=3, padding=1), layer("batch_norm"), "relu",
                        layer("max_pool2d", kernel_size=2), layer("conv2d", out_channels=8, kernel_size=3),
                        layer("batch_norm"), "relu", layer("avg_pool2d", kernel_size=2), "flatten",
                        layer("dense", output_size=16, activation="relu"), layer("dropout", rate=0.5),
                        layer("dense", output_size=4)],
                       optimizer="adam", loss="mse", input_shape=(2, 12, 12), seed=seed).build()

    module = nn.Sequential(nn.Conv2d(2, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
                           nn.Conv2d(6, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
                           nn.Linear(32, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 4))
    x = np.random.default_rng(0).standard_normal((16, 2, 12, 12)).astype(np.float32)
    moves_both_ways(make, module, x, "float32")


class TorchResidual(nn.Module):
    """nnfs's Residual as a torch module: children ``body`` and ``projection``, y = body(x) + projection(x)."""

    def __init__(self, body: Any, projection: Any = None) -> None:
        super().__init__()
        self.body = body
        self.projection = projection

    def forward(self, x: Any) -> Any:
        return self.body(x) + (x if self.projection is None else self.projection(x))


def nnfs_block(channels: int, stride: int) -> Any:
    body = [layer("conv2d", out_channels=channels, kernel_size=3, stride=stride, padding=1, use_bias=False),
            layer("batch_norm"), "relu",
            layer("conv2d", out_channels=channels, kernel_size=3, padding=1, use_bias=False), layer("batch_norm")]
    projection = None if stride == 1 else [layer("conv2d", out_channels=channels, kernel_size=1, stride=stride,
                                                 use_bias=False), layer("batch_norm")]
    return layer("residual", body=body, projection=projection)


def torch_block(in_channels: int, channels: int, stride: int) -> Any:
    double = torch.float64
    body = nn.Sequential(nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1, bias=False, dtype=double),
                         nn.BatchNorm2d(channels, dtype=double), nn.ReLU(),
                         nn.Conv2d(channels, channels, 3, padding=1, bias=False, dtype=double),
                         nn.BatchNorm2d(channels, dtype=double))
    projection = None if stride == 1 else nn.Sequential(
        nn.Conv2d(in_channels, channels, 1, stride=stride, bias=False, dtype=double),
        nn.BatchNorm2d(channels, dtype=double))
    return TorchResidual(body, projection)


def test_a_resnet_style_network_moves_both_ways_in_float64():
    def make(seed: int) -> Network:
        return Network([layer("conv2d", out_channels=4, kernel_size=3, padding=1), layer("batch_norm"), "relu",
                        nnfs_block(4, 1), "relu", nnfs_block(8, 2), "relu", layer("global_avg_pool2d"),
                        layer("dense", output_size=3)],
                       optimizer="sgd", loss="mse", input_shape=(3, 8, 8), dtype="float64", seed=seed).build()

    double = torch.float64
    module = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, dtype=double), nn.BatchNorm2d(4, dtype=double), nn.ReLU(),
                           torch_block(4, 4, 1), nn.ReLU(), torch_block(4, 8, 2), nn.ReLU(),
                           nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()),  # global_avg_pool2d: one slot
                           nn.Linear(8, 3, dtype=double))
    x = np.random.default_rng(0).standard_normal((16, 3, 8, 8))
    moves_both_ways(make, module, x, "float64")
