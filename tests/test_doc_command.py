"""``nnfs doc NAME``: a component's page from the command line, found by its registry name."""

from __future__ import annotations

import pytest

from nnfs_core.cli import main


def doc(capsys, *args):
    code = main(["doc", *args])
    return code, capsys.readouterr()


def test_conv2d_has_its_pack_signature_docstring_and_config_keys(capsys):
    code, out = doc(capsys, "conv2d")
    assert code == 0
    lines = out.out.splitlines()
    assert lines[0] == "conv2d (layers) - nnfs_conv.conv2d:Conv2D"
    assert lines[1].startswith("distribution: nnfs-conv ")
    assert "Conv2D(out_channels: int, kernel_size: Any, *, stride: Any = 1" in out.out
    assert "cross-correlation" in out.out or "Shapes: x (N, C, H, W)" in out.out
    keys = out.out.split("Config keys")[1]
    assert "out_channels  int   (required)" in keys and "padding_mode  str   'zeros'" in keys
    assert 'Example config: {"name": "conv2d", "out_channels": 4, "kernel_size": 3}' in out.out


def test_adam_by_any_spelling_shows_its_update_rule_and_hyperparameters(capsys):
    code, out = doc(capsys, "Adam")
    assert code == 0
    assert out.out.startswith("adam (optimizers) - nnfs_optim.adam:Adam\ndistribution: nnfs-optim ")
    assert "torch.optim.Adam" in out.out and "betas" in out.out and "learning_rate" in out.out


def test_a_name_in_two_kinds_gets_both_pages_unless_a_kind_is_given(capsys):
    _, both = doc(capsys, "mse")
    assert "mse (losses)" in both.out and "mse (metrics)" in both.out
    _, one = doc(capsys, "mse", "--kind", "metrics")
    assert "mse (losses)" not in one.out and "mse (metrics)" in one.out


def test_an_unknown_name_suggests_close_ones(capsys):
    code, out = doc(capsys, "conv2f")
    assert code == 2
    assert "no component named 'conv2f'" in out.err and "'conv2d'" in out.err and "nnfs plugins" in out.err


@pytest.mark.parametrize("name", ["digits", "relu"])
def test_functions_and_activations_have_pages_too(capsys, name):
    code, out = doc(capsys, name)
    assert code == 0 and out.out.startswith(f"{name} (")


def test_a_switched_off_pack_is_named_not_called_missing(capsys, monkeypatch):
    from nnfs_core import registry

    monkeypatch.setenv("NNFS_DISABLE_PLUGINS", "nnfs-conv")
    registry.refresh()
    try:
        code, out = doc(capsys, "conv2d")
    finally:
        monkeypatch.delenv("NNFS_DISABLE_PLUGINS")
        registry.refresh()
    assert code == 2
    assert "nnfs-conv" in out.err and "NNFS_DISABLE_PLUGINS" in out.err and "not installed" not in out.err
