"""The core's losses; each is registered under ``nnfs.losses`` and looked up by name (``"cross_entropy"``).

Every loss is mean-reduced and matches the PyTorch loss of the same meaning: ``forward(y_pred, y_true)``
returns a float, ``backward(y_pred, y_true)`` returns d loss / d y_pred in y_pred's shape and dtype, and
``check_target(output_shape, y_true)`` rejects targets that cannot fit the network's output before training.
"""

from nnfs_core.losses.binary_cross_entropy import BinaryCrossEntropy
from nnfs_core.losses.cross_entropy import CrossEntropy
from nnfs_core.losses.huber import Huber
from nnfs_core.losses.mae import MAE
from nnfs_core.losses.mse import MSE
from nnfs_core.losses.nll import NLL

__all__ = ["BinaryCrossEntropy", "CrossEntropy", "Huber", "MAE", "MSE", "NLL"]
