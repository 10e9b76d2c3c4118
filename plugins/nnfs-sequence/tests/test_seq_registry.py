"""Registry-driven tests over every layer the installed nnfs-sequence distribution registers."""

from __future__ import annotations

import zlib

import numpy as np

from nnfs_core import registry
from nnfs_core._first_party import FIRST_PARTY
from nnfs_core.testing import check_distribution, check_layer, gradcheck

CASES_PER_NAME = 6


def test_sequence_registers_exactly_the_first_party_names():
    assert sorted(registry.normalize(name) for name in FIRST_PARTY["nnfs-sequence"]["layers"]) == \
        sorted(registry.normalize(entry.name) for entry in registry.layers.entries()
               if registry.normalize(entry.distribution) == registry.normalize("nnfs-sequence"))


def test_sequence_every_entry_point_passes_the_conformance_kit():
    assert check_distribution("nnfs-sequence") == []


def test_sequence_gradients_on_random_cases(seq_name, seq_cases, seq_build, seq_batch):
    """Input gradient (float layers) and every parameter's gradient against finite differences, in float64."""
    rng = np.random.default_rng(zlib.crc32(seq_name.encode()))
    for config, shape in seq_cases(seq_name, CASES_PER_NAME, seed=len(seq_name)):
        layer = seq_build(seq_name, config, shape)
        x = seq_batch(layer, int(rng.integers(1, 4)), rng)
        try:
            gradcheck(layer, x)
        except AssertionError as error:
            raise AssertionError(f"{seq_name}({config}) on samples of shape {shape}: {error}") from None


def test_sequence_kit_checks_on_random_cases(seq_name, seq_cases):
    """The conformance kit's layer checks on a few non-default configurations too."""
    for config, shape in seq_cases(seq_name, 2, seed=99):
        check_layer(registry.layers.create(seq_name, **config), input_shape=shape)
