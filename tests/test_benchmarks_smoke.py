"""The benchmark suite (``python -m benchmarks``) runs end to end at tiny sizes, so that it cannot rot.

No figure is checked here - timing has no place in the test suite; docs/benchmarks.md has the figures.
The reference test checks that the hand-written NumPy networks compute what PyTorch computes, so that
the suite compares like with like.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_quick_run_prints_the_tables_and_writes_the_summary(tmp_path):
    summary_path = tmp_path / "bench.json"
    command = [sys.executable, "-m", "benchmarks", "--quick", "--repeats", "1", "--threads", "1",
               "--contenders", "nnfs,numpy",
               "--workloads", "mlp_train,cnn_predict,resnet_predict,lstm_train,transformer_train,memory,layers,startup",
               "--json", str(summary_path)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for heading in ("## Machine", "## Throughput", "## Per layer", "## Start-up", "## Goals"):
        assert heading in done.stdout
    summary = json.loads(summary_path.read_text())
    training = summary["throughput"]["mlp_train"]
    assert training["nnfs"]["samples_per_s"]["median"] > 0, training["nnfs"]["note"]
    assert training["numpy"]["samples_per_s"]["median"] > 0, training["numpy"]["note"]
    assert summary["ratios"]["mlp_train"]["numpy"]["median"] > 0
    assert summary["layers"]["dense"]["nnfs"]["ms"]["median"] > 0
    assert summary["throughput"]["resnet_predict"]["nnfs"]["samples_per_s"]["median"] > 0  # the CNN zoo
    assert "MLP and the benchmark CNN only" in summary["throughput"]["resnet_predict"]["numpy"]["note"]
    for sequence in ("lstm_train", "transformer_train"):  # issue 19's sequence models
        assert summary["throughput"][sequence]["nnfs"]["samples_per_s"]["median"] > 0, sequence
    assert summary["startup"]["packs_imported_by_import"] == []
    assert {goal["goal"] for goal in summary["goals"]} >= {"mlp_train: nnfs >= 0.9x numpy",
                                                             "lstm_train: nnfs >= 1.0x torch",
                                                             "transformer_train: nnfs >= 0.8x torch",
                                                             "import nnfs_core < 150 ms"}
    rendered = subprocess.run([sys.executable, "-m", "benchmarks", "--render", str(summary_path)], cwd=ROOT,
                              capture_output=True, text=True, timeout=60, check=False)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == done.stdout  # the same tables from the saved summary


def test_unknown_names_are_refused():
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--contenders", "nnfs,jax"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "unknown contender jax" in done.stderr


@pytest.mark.reference
@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_numpy_reference_trains_like_pytorch(kind, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import contender_torch, numpy_reference

    rng = np.random.default_rng(0)
    net = numpy_reference.mlp(rng, 16) if kind == "mlp" else numpy_reference.cnn(rng, 16)
    model, _, _ = contender_torch.build(kind)
    with torch.no_grad():
        for theirs, ours in zip(model.parameters(), net["params"]):
            theirs.copy_(torch.from_numpy(ours))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    shape = (784,) if kind == "mlp" else (1, 28, 28)
    x, y = rng.random((48, *shape), dtype=np.float32), rng.integers(0, 10, 48)
    step = numpy_reference.mlp_step if kind == "mlp" else numpy_reference.cnn_step
    for start in (0, 16, 32):  # momentum is only exercised from the second step on
        xb, yb = x[start : start + 16], y[start : start + 16]
        ours, _ = step(net, xb, yb, 0.01, 0.9)
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(yb))
        loss.backward()
        optimizer.step()
        assert ours == pytest.approx(loss.item(), rel=1e-5)
    for theirs, ours in zip(model.parameters(), net["params"]):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-4, atol=1e-6)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(numpy_reference.predict(net, x), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.reference
@pytest.mark.parametrize("kind", ["cnn", "lenet", "resnet", "mobilenet"])
def test_the_zoo_models_are_the_same_network_in_both_frameworks(kind, monkeypatch):
    """Given nnfs's weights, the PyTorch model of each zoo workload computes nnfs's outputs."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("nnfs_conv")
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import contender_nnfs, contender_torch, workloads

    net = contender_nnfs.build(kind).build()
    model, _, _ = contender_torch.build(kind)
    ours = [value for _, value in net.named_parameters()]
    theirs = list(model.parameters())
    assert [value.size for value in ours] == [value.numel() for value in theirs]
    with torch.no_grad():
        for mine, other in zip(ours, theirs):
            other.copy_(torch.from_numpy(mine if mine.shape == tuple(other.shape) else mine.T))
    model.eval()
    x, _ = workloads.model_data(kind, 6)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.reference
@pytest.mark.parametrize("kind", ["lstm", "transformer"])
def test_the_sequence_models_are_the_same_network_in_both_frameworks(kind, monkeypatch):
    """Given nnfs's weights (moved across by name: nnfs's layers.<i>.<path> is torch's <i>.<path>), the PyTorch
    model of each sequence workload computes nnfs's outputs."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("nnfs_sequence")
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import contender_nnfs, contender_torch, workloads

    net = contender_nnfs.build(kind).build()
    model, _, _ = contender_torch.build(kind)
    ours = {path.removeprefix("layers."): value for path, value in net.named_parameters()}
    theirs = dict(model.named_parameters())
    assert sorted(ours) == sorted(theirs)
    with torch.no_grad():
        for path, value in ours.items():
            theirs[path].copy_(torch.from_numpy(value))
    model.eval()
    x, _ = workloads.model_data(kind, 6)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-4, atol=1e-5)


def test_the_layer_profile_prints_one_row_per_layer_and_the_whole_step():
    command = [sys.executable, "-m", "benchmarks.profile_layers", "lenet", "--contenders", "nnfs", "--repeats", "1",
               "--threads", "1"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows[0] == "| # | layer | output | nnfs fwd | nnfs bwd |"
    layers = [row.split(" | ")[1] for row in rows[1:-2]]
    assert layers == ["Conv2D", "ReLU", "MaxPool2D", "Conv2D", "ReLU", "MaxPool2D", "Flatten", "Dense", "ReLU",
                      "Dense", "ReLU", "Dense"]
    assert "| 3 | Conv2D | 32x10x10 |" in done.stdout
    times = [[float(cell) for cell in row.strip("| ").split(" | ")[-2:]] for row in rows[1:]]  # ms, 2 decimals
    assert all(time >= 0 for pair in times for time in pair)
    assert all(time > 0 for pair in times[-2:] for time in pair)  # the sum of the layers and the whole step
    assert "**whole training step**" in rows[-1]


def test_the_inference_profile_times_predicts_steps_with_the_folded_batch_norm_as_one_row():
    command = [sys.executable, "-m", "benchmarks.profile_layers", "resnet", "--inference", "--contenders", "nnfs",
               "--repeats", "1", "--threads", "1"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows[0] == "| # | layer | output | nnfs ms |"
    layers = [row.split(" | ")[1] for row in rows[1:-2]]
    assert layers == ["Conv2D+BatchNorm", "ReLU", "Residual", "ReLU", "MaxPool2D", "Residual", "ReLU", "MaxPool2D",
                      "GlobalAvgPool2D", "Dense"]
    assert float(rows[-1].strip("| ").split(" | ")[-1]) > 0
    assert "**whole predict batch**" in rows[-1]


def test_the_layer_profile_refuses_an_unknown_contender():
    done = subprocess.run([sys.executable, "-m", "benchmarks.profile_layers", "lenet", "--contenders", "jax"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "unknown contenders jax" in done.stderr
