"""The nnfs conformance kit over the pack: what every third-party pack runs, too."""

from __future__ import annotations

from nnfs_core import registry
from nnfs_core.testing import check_distribution, check_layer


def test_every_entry_point_of_the_pack_conforms():
    assert check_distribution("nnfs-activations") == []


def test_every_case_passes_the_layer_checks(act_case):
    name, config = act_case
    check_layer(registry.activations.create(name, **config), input_shape=(3, 5))
