"""Registry-driven tests over every layer the installed nnfs-conv distribution registers."""

from __future__ import annotations

import zlib

import numpy as np

from nnfs_core import registry
from nnfs_core._first_party import FIRST_PARTY
from nnfs_core.testing import check_distribution, check_layer, gradcheck

CASES_PER_NAME = 6


def test_conv_registers_exactly_the_first_party_names():
    assert sorted(registry.normalize(name) for name in FIRST_PARTY["nnfs-conv"]["layers"]) == \
        sorted(registry.normalize(entry.name) for entry in registry.layers.entries()
               if registry.normalize(entry.distribution) == registry.normalize("nnfs-conv"))


def test_conv_every_entry_point_passes_the_conformance_kit():
    assert check_distribution("nnfs-conv") == []


def test_conv_gradients_on_random_cases(conv_name, conv_cases, conv_build):
    """Input gradient and every parameter's gradient against finite differences, in float64."""
    rng = np.random.default_rng(zlib.crc32(conv_name.encode()))
    for config, shape in conv_cases(conv_name, CASES_PER_NAME, seed=len(conv_name)):
        layer = conv_build(conv_name, config, shape)
        x = rng.standard_normal((int(rng.integers(1, 3)), *shape))
        try:
            gradcheck(layer, x)
        except AssertionError as error:
            raise AssertionError(f"{conv_name}({config}) on samples of shape {shape}: {error}") from None


def test_conv_kit_checks_on_random_cases(conv_name, conv_cases):
    """The conformance kit's layer checks on a few non-default configurations too."""
    for config, shape in conv_cases(conv_name, 2, seed=99):
        check_layer(registry.layers.create(conv_name, **config), input_shape=shape)
