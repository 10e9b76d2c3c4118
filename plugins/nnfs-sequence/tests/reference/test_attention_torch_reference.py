"""MultiHeadAttention.attend against ``torch.nn.MultiheadAttention(batch_first=True)`` in float64: cross
attention between sequences of different lengths, key padding masks, boolean and float ``attn_mask`` of both
shapes, causal masks, the returned attention weights (averaged and per head), and the gradients of the query,
key, value and every parameter."""

from __future__ import annotations

import numpy as np
import pytest
from nnfs_sequence import MultiHeadAttention

pytestmark = [pytest.mark.reference,
              pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask:UserWarning")]
torch = pytest.importorskip("torch")

TOLERANCE = 1e-5


def random_case(rng):
    heads = int(rng.integers(1, 4))
    width = heads * int(rng.integers(1, 4))
    n, lq, lk = int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
    case = {"heads": heads, "width": width, "bias": bool(rng.random() < 0.8),
            "query": rng.standard_normal((n, lq, width)), "key": rng.standard_normal((n, lk, width)),
            "value": rng.standard_normal((n, lk, width)), "padding": None, "attn_mask": None,
            "average": bool(rng.random() < 0.5), "causal": False}
    if rng.random() < 0.5:
        padding = rng.random((n, lk)) < 0.4
        padding[:, 0] = False                          # every query keeps a key (torch gives NaN otherwise)
        case["padding"] = padding
    kind = rng.integers(0, 4)
    if kind == 1:
        mask = rng.random((lq, lk)) < 0.3
        mask[:, 0] = False
        case["attn_mask"] = mask
    elif kind == 2:
        case["attn_mask"] = rng.standard_normal((n * heads, lq, lk))
    elif kind == 3 and lq == lk:
        case["causal"] = True
    return case


@pytest.mark.parametrize("seed", range(40))
def test_attend_matches_torch(seed):
    rng = np.random.default_rng(seed)
    case = random_case(rng)
    layer = MultiHeadAttention(case["heads"], use_bias=case["bias"])
    layer.build(case["query"].shape[1:], rng=rng, dtype=np.float64)
    if case["bias"]:
        for name in ("in_proj_bias", "out_proj.bias"):
            layer.params[name][...] = rng.standard_normal(layer.params[name].shape)
    module = torch.nn.MultiheadAttention(case["width"], case["heads"], bias=case["bias"], batch_first=True).double()
    module.load_state_dict({name: torch.tensor(value) for name, value in layer.params.items()})
    inputs = [torch.tensor(case[name], requires_grad=True) for name in ("query", "key", "value")]
    attn_mask = case["attn_mask"]
    if case["causal"]:
        attn_mask = np.triu(np.ones((case["query"].shape[1],) * 2, dtype=bool), 1)
    expected, expected_weights = module(*inputs, key_padding_mask=None if case["padding"] is None else
                                        torch.tensor(case["padding"]),
                                        attn_mask=None if attn_mask is None else torch.tensor(attn_mask),
                                        need_weights=True, average_attn_weights=case["average"])
    y, weights, cache = layer.attend(case["query"], case["key"], case["value"], padding_mask=case["padding"],
                                     attn_mask=case["attn_mask"], causal=case["causal"],
                                     average_attn_weights=case["average"], training=True)
    upstream = rng.standard_normal(y.shape)
    (expected * torch.tensor(upstream)).sum().backward()
    grads = layer.attend_backward(upstream, cache)
    where = f"seed {seed}: {({k: v for k, v in case.items() if not isinstance(v, np.ndarray)})}"
    np.testing.assert_allclose(y, expected.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE, err_msg=where)
    np.testing.assert_allclose(weights, expected_weights.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                               err_msg=where)
    for name, grad, tensor in zip(("query", "key", "value"), grads, inputs):
        np.testing.assert_allclose(grad, tensor.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=f"{where}: d {name}")
    for name, parameter in module.named_parameters():
        np.testing.assert_allclose(layer.grads[name], parameter.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=f"{where}: {name}")


def test_self_attention_with_padding_matches_torch_in_a_layer_list():
    """forward_pass(x, padding_mask=...) is torch's self-attention with key_padding_mask."""
    rng = np.random.default_rng(3)
    layer = MultiHeadAttention(2, causal=True)
    layer.build((5, 4), rng=rng, dtype=np.float64)
    module = torch.nn.MultiheadAttention(4, 2, batch_first=True).double()
    module.load_state_dict({name: torch.tensor(value) for name, value in layer.params.items()})
    x = rng.standard_normal((3, 5, 4))
    padding = np.array([[False] * 5, [False] * 3 + [True] * 2, [False] + [True] * 4])
    y, _ = layer.forward_pass(x, padding_mask=padding)
    x_torch = torch.tensor(x)
    expected = module(x_torch, x_torch, x_torch, key_padding_mask=torch.tensor(padding),
                      attn_mask=torch.triu(torch.ones(5, 5, dtype=torch.bool), 1), need_weights=False)[0]
    np.testing.assert_allclose(y, expected.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE)
