"""Benchmarks of nnfs side by side with PyTorch's CPU build and a hand-written NumPy reference.

Run ``python -m benchmarks`` (or ``nox -s bench``); ``--help`` lists the options. docs/benchmarks.md has
the published figures and how they were taken.

Modules: :mod:`~benchmarks.workloads` (what runs, at which size), :mod:`~benchmarks.runner` (one fresh
process per contender and run, round-robin), ``contender_nnfs`` / ``contender_torch`` /
``contender_numpy`` (the same networks three ways), :mod:`~benchmarks.numpy_reference` and
:mod:`~benchmarks.numpy_ops` (the hand-written floor), :mod:`~benchmarks.report` and
:mod:`~benchmarks.tables` (summary, ratios, goals, tables).
"""
