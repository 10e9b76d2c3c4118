"""nnfs-sequence: embeddings, recurrent layers, attention and Transformers for nnfs, with PyTorch's
semantics and weight names.

Sequences are batch-first, (N, L, features); recurrent weights are named and shaped as in PyTorch
(``weight_ih_l0``, ``bias_hh_l1_reverse``, ...), so a ``state_dict`` moves across by name. Each class
lives in its own module and is registered under the entry-point group ``nnfs.layers``, so ``"lstm"`` or
``{"name": "embedding", "num_embeddings": 100, "embedding_dim": 16}`` in a layer list finds it without
importing this package.
"""

from nnfs_sequence._recurrent import RecurrentBase
from nnfs_sequence._version import __version__
from nnfs_sequence.embedding import Embedding
from nnfs_sequence.gru import GRU
from nnfs_sequence.last_step import LastStep
from nnfs_sequence.lstm import LSTM
from nnfs_sequence.masked import Masked
from nnfs_sequence.masked_mean_pooling import MaskedMeanPooling
from nnfs_sequence.multi_head_attention import MultiHeadAttention
from nnfs_sequence.positional_embedding import PositionalEmbedding
from nnfs_sequence.rnn import RNN
from nnfs_sequence.sinusoidal_positional_encoding import SinusoidalPositionalEncoding, sinusoids
from nnfs_sequence.text_sample import TextSample
from nnfs_sequence.time_distributed import TimeDistributed
from nnfs_sequence.transformer_decoder_layer import TransformerDecoderLayer
from nnfs_sequence.transformer_encoder_layer import TransformerEncoderLayer

__all__ = [
    "__version__",
    "Embedding",
    "GRU",
    "LSTM",
    "LastStep",
    "Masked",
    "MaskedMeanPooling",
    "MultiHeadAttention",
    "PositionalEmbedding",
    "RNN",
    "RecurrentBase",
    "SinusoidalPositionalEncoding",
    "TimeDistributed",
    "TransformerDecoderLayer",
    "TransformerEncoderLayer",
    "TextSample",
    "sinusoids",
]
