"""Which first-party pack provides which names, so a missing name can say what to ``pip install``.

Kept in step with the packs' ``pyproject.toml`` entry points by ``tests/test_first_party_table.py``.
"""

from __future__ import annotations

FIRST_PARTY: dict[str, dict[str, tuple[str, ...]]] = {
    "nnfs-activations": {
        "activations": (
            "relu", "relu6", "leaky_relu", "prelu", "elu", "selu", "celu", "gelu", "silu", "swish", "mish",
            "sigmoid", "hard_sigmoid", "tanh", "hard_tanh", "hard_swish", "softplus", "softsign", "softmax",
            "log_softmax",
        ),
    },
    "nnfs-optim": {
        "optimizers": (
            "sgd", "adam", "adamw", "adamax", "nadam", "radam", "rmsprop", "adagrad", "adadelta", "lion",
        ),
        "schedulers": (
            "step_lr", "multi_step_lr", "exponential_lr", "cosine_annealing_lr", "cosine_annealing_warm_restarts",
            "linear_lr", "one_cycle_lr", "reduce_lr_on_plateau", "linear_warmup",
        ),
    },
    "nnfs-mpi": {"strategies": ("mpi",)},
    "nnfs-conv": {
        "layers": (
            "conv2d", "conv1d", "conv_transpose2d", "depthwise_conv2d", "max_pool2d", "avg_pool2d", "max_pool1d",
            "avg_pool1d", "global_avg_pool2d", "global_max_pool2d", "adaptive_avg_pool2d", "zero_pad2d",
            "constant_pad2d", "up_sampling2d",
        ),
    },
    "nnfs-sequence": {
        "layers": ("embedding", "rnn", "lstm", "gru", "multi_head_attention", "transformer_encoder_layer",
                   "transformer_decoder_layer", "positional_embedding", "sinusoidal_positional_encoding",
                   "last_step", "masked_mean_pooling", "time_distributed", "masked"),
        "datasets": ("sequential_mnist", "fortunes"),
        "callbacks": ("text_sample",),
    },
}
