"""nnfs-conv: convolution, pooling, padding and upsampling layers for nnfs, with PyTorch's semantics.

Arrays are NCHW (N, C, L for 1-D) and weights are laid out as in PyTorch. Each class lives in its own
module and is registered under the entry-point group ``nnfs.layers``, so ``"conv2d"`` or
``{"name": "max_pool2d", "kernel_size": 2}`` in a layer list finds it without importing this package.
"""

from nnfs_conv._version import __version__
from nnfs_conv.adaptive_avg_pool2d import AdaptiveAvgPool2D
from nnfs_conv.avg_pool1d import AvgPool1D
from nnfs_conv.avg_pool2d import AvgPool2D
from nnfs_conv.constant_pad2d import ConstantPad2D
from nnfs_conv.conv1d import Conv1D
from nnfs_conv.conv2d import Conv2D
from nnfs_conv.conv_transpose2d import ConvTranspose2D
from nnfs_conv.depthwise_conv2d import DepthwiseConv2D
from nnfs_conv.global_avg_pool2d import GlobalAvgPool2D
from nnfs_conv.global_max_pool2d import GlobalMaxPool2D
from nnfs_conv.max_pool1d import MaxPool1D
from nnfs_conv.max_pool2d import MaxPool2D
from nnfs_conv.up_sampling2d import UpSampling2D
from nnfs_conv.zero_pad2d import ZeroPad2D

__all__ = [
    "__version__",
    "AdaptiveAvgPool2D",
    "AvgPool1D",
    "AvgPool2D",
    "ConstantPad2D",
    "Conv1D",
    "Conv2D",
    "ConvTranspose2D",
    "DepthwiseConv2D",
    "GlobalAvgPool2D",
    "GlobalMaxPool2D",
    "MaxPool1D",
    "MaxPool2D",
    "UpSampling2D",
    "ZeroPad2D",
]
