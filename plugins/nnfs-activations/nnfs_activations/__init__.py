"""nnfs-activations: the activation functions of PyTorch's ``torch.nn``, as nnfs layers.

Each class lives in its own module and is registered under the entry-point group ``nnfs.activations``,
so ``registry.activations.create("leaky_relu", negative_slope=0.2)`` and ``"relu"`` in a layer list find
them without importing this package by hand.
"""

from nnfs_activations._version import __version__
from nnfs_activations.celu import CELU
from nnfs_activations.elu import ELU
from nnfs_activations.gelu import GELU
from nnfs_activations.hard_sigmoid import HardSigmoid
from nnfs_activations.hard_swish import HardSwish
from nnfs_activations.hard_tanh import HardTanh
from nnfs_activations.leaky_relu import LeakyReLU
from nnfs_activations.log_softmax import LogSoftmax
from nnfs_activations.mish import Mish
from nnfs_activations.prelu import PReLU
from nnfs_activations.relu import ReLU
from nnfs_activations.relu6 import ReLU6
from nnfs_activations.selu import SELU
from nnfs_activations.sigmoid import Sigmoid
from nnfs_activations.silu import SiLU
from nnfs_activations.softmax import Softmax
from nnfs_activations.softplus import Softplus
from nnfs_activations.softsign import Softsign
from nnfs_activations.tanh import Tanh

__all__ = [
    "__version__",
    "CELU",
    "ELU",
    "GELU",
    "HardSigmoid",
    "HardSwish",
    "HardTanh",
    "LeakyReLU",
    "LogSoftmax",
    "Mish",
    "PReLU",
    "ReLU",
    "ReLU6",
    "SELU",
    "Sigmoid",
    "SiLU",
    "Softmax",
    "Softplus",
    "Softsign",
    "Tanh",
]
