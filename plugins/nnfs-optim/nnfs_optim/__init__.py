"""nnfs-optim: torch.optim's optimizers and learning-rate schedulers for nnfs, registered by name.

Components are found through the registry (``Network(optimizer="adam", scheduler="step_lr")``); the
classes are also importable from here.
"""

from nnfs_optim.adadelta import Adadelta
from nnfs_optim.adagrad import Adagrad
from nnfs_optim.adam import Adam
from nnfs_optim.adamax import Adamax
from nnfs_optim.adamw import AdamW
from nnfs_optim.cosine_annealing_lr import CosineAnnealingLR
from nnfs_optim.cosine_annealing_warm_restarts import CosineAnnealingWarmRestarts
from nnfs_optim.exponential_lr import ExponentialLR
from nnfs_optim.linear_lr import LinearLR
from nnfs_optim.linear_warmup import LinearWarmup
from nnfs_optim.lion import Lion
from nnfs_optim.multi_step_lr import MultiStepLR
from nnfs_optim.nadam import NAdam
from nnfs_optim.one_cycle_lr import OneCycleLR
from nnfs_optim.radam import RAdam
from nnfs_optim.reduce_lr_on_plateau import ReduceLROnPlateau
from nnfs_optim.rmsprop import RMSprop
from nnfs_optim.sgd import SGD
from nnfs_optim.step_lr import StepLR

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "RAdam",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Lion",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "LinearLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "LinearWarmup",
    "__version__",
]
