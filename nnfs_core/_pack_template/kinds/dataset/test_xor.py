"""The pack's own tests: every entry point loads, and the dataset is what its docstring says."""

from __future__ import annotations

import numpy as np
from nnfs_example_pack import load_xor

from nnfs_core.datasets import load
from nnfs_core.testing import check_distribution

DISTRIBUTION = "nnfs-example-pack"


def test_every_entry_point_of_the_pack_loads():
    assert check_distribution(DISTRIBUTION) == []


def test_it_loads_by_name_with_options():
    (x, y), (x_test, y_test) = load("xor", samples=64)
    assert x.shape == (64, 2) and x.dtype == np.float32 and y.shape == (64,) and y.dtype == np.int64
    assert x_test.shape == (16, 2) and set(np.unique(y)) == {0, 1}


def test_the_same_options_give_the_same_data_and_labels_follow_the_signs():
    first, second = load_xor(seed=3), load_xor(seed=3)
    np.testing.assert_array_equal(first.train.x, second.train.x)
    x, y = load_xor(noise=0.0).train
    np.testing.assert_array_equal(y, (np.sign(x[:, 0]) != np.sign(x[:, 1])).astype(np.int64))
