"""``python -m benchmarks.profile_layers MODEL``: where one training step's time goes, layer by layer.

Each contender runs in a fresh process with the suite's thread settings and times every top-level layer of
the model's training step on one batch of the suite's data: its forward pass (training mode) and its
backward pass (input and parameter gradients), median over ``--repeats`` steps after two warm-up steps.
Each layer runs on its own: its input is the previous layer's output, held (in PyTorch, a detached
tensor that requires a gradient), so a layer's time is its own and the columns add up to the step less
the loss and the optimizer; the last row times whole steps (nnfs: ``train_on_batch``). docs/benchmarks.md
shows the table for the CNN zoo.

With ``--inference`` it times one batch of inference instead: nnfs's steps as ``predict`` takes them (a
convolution and the BatchNorm folded into it are one row, ``nnfs_core.layers.composite.inference_steps``),
PyTorch's modules in ``eval()`` under ``no_grad``, and the last row a whole batch (nnfs: ``predict``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks import runner, workloads

MODELS = ("mlp", "cnn", "lenet", "resnet", "mobilenet", "lstm", "transformer")
WARM_UP = 2


def _median_ms(times: list[float]) -> float:
    return 1e3 * statistics.median(times)


def _profile_nnfs(kind: str, repeats: int) -> list[dict[str, Any]]:
    from benchmarks import contender_nnfs
    from nnfs_core.protocols import loss_backward, loss_forward, run_backward, run_forward

    network = contender_nnfs.build(kind).build()
    x, y = workloads.model_data(kind, workloads.batch_size(kind))
    if x.dtype.kind == "f":
        x = x.astype(network.dtype)
    rows = [{"layer": type(layer).__name__, "forward": [], "backward": []} for layer in network.layers]
    with network.ops.running(network.layers):
        for step in range(WARM_UP + repeats):
            caches, output = [], x
            for row, layer in zip(rows, network.layers):
                start = time.perf_counter()
                output, cache = run_forward(layer, output, training=True)
                _keep(row, "forward", step, start)
                row["shape"] = list(output.shape[1:])
                caches.append(cache)
            grad = loss_backward(network.loss, loss_forward(network.loss, output, y)[1])
            for row, layer, cache in zip(reversed(rows), reversed(network.layers), reversed(caches)):
                start = time.perf_counter()
                grad = run_backward(layer, grad, cache)
                _keep(row, "backward", step, start)
        steps = []  # a whole step: train_on_batch (which also checks its arguments; fit's loop does not)
        for step in range(WARM_UP + repeats):
            start = time.perf_counter()
            network.train_on_batch(x, y)
            if step >= WARM_UP:
                steps.append(time.perf_counter() - start)
    return [*rows, {"layer": "step", "forward": steps, "backward": steps}]


def _profile_nnfs_inference(kind: str, repeats: int) -> list[dict[str, Any]]:
    from benchmarks import contender_nnfs
    from nnfs_core.layers.composite import inference_steps

    network = contender_nnfs.build(kind).build()
    x, _ = workloads.model_data(kind, workloads.batch_size(kind))
    if x.dtype.kind == "f":
        x = x.astype(network.dtype)
    rows: list[dict[str, Any]] = []
    with network.ops.running(network.layers):
        for step in range(WARM_UP + repeats):
            output = x
            for index, (covered, apply) in enumerate(inference_steps(network.layers)):
                if step == 0:
                    rows.append({"layer": "+".join(type(layer).__name__ for layer in covered), "forward": [],
                                 "backward": []})
                start = time.perf_counter()
                output = apply(output)
                _keep(rows[index], "forward", step, start)
                rows[index]["shape"] = list(output.shape[1:])
    whole = []
    for step in range(WARM_UP + repeats):
        start = time.perf_counter()
        network.predict(x, batch_size=len(x))
        if step >= WARM_UP:
            whole.append(time.perf_counter() - start)
    return _without_backward([*rows, {"layer": "step", "forward": whole, "backward": []}])


def _profile_torch_inference(kind: str, repeats: int, threads: int) -> list[dict[str, Any]]:
    import torch

    from benchmarks import contender_torch

    torch.set_num_threads(threads)
    model, _, _ = contender_torch.build(kind)
    model.eval()
    x, _ = workloads.model_data(kind, workloads.batch_size(kind))
    inputs = torch.from_numpy(x)
    modules = list(model.children())
    rows = [{"layer": type(module).__name__, "forward": [], "backward": []} for module in modules]
    whole = []
    with torch.no_grad():
        for step in range(WARM_UP + repeats):
            output = inputs
            for row, module in zip(rows, modules):
                start = time.perf_counter()
                output = module(output)
                _keep(row, "forward", step, start)
                row["shape"] = list(output.shape[1:])
        for step in range(WARM_UP + repeats):
            start = time.perf_counter()
            model(inputs)
            if step >= WARM_UP:
                whole.append(time.perf_counter() - start)
    return _without_backward([*rows, {"layer": "step", "forward": whole, "backward": []}])


def _without_backward(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Inference rows: no backward pass, so its column repeats zero."""
    for row in rows:
        row["backward"] = [0.0]
    return rows


def _profile_torch(kind: str, repeats: int, threads: int) -> list[dict[str, Any]]:
    import torch

    from benchmarks import contender_torch

    torch.set_num_threads(threads)
    model, optimizer, _ = contender_torch.build(kind)
    model.train()
    x, y = workloads.model_data(kind, workloads.batch_size(kind))
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    modules = list(model.children())
    rows = [{"layer": type(module).__name__, "forward": [], "backward": []} for module in modules]
    for step in range(WARM_UP + repeats):
        held, output = [], inputs
        for index, (row, module) in enumerate(zip(rows, modules)):
            given = output.detach().requires_grad_(index > 0 and output.is_floating_point())  # as in training
            start = time.perf_counter()
            output = module(given)
            _keep(row, "forward", step, start)
            row["shape"] = list(output.shape[1:])
            held.append((given, output))
        loss = torch.nn.functional.cross_entropy(held[-1][1], targets)
        grad = torch.autograd.grad(loss, held[-1][1])[0]
        for row, (given, output) in zip(reversed(rows), reversed(held)):
            start = time.perf_counter()
            output.backward(grad)
            _keep(row, "backward", step, start)
            grad = given.grad
        model.zero_grad()
    steps = []  # a whole step, as the suite's training loop takes it
    for step in range(WARM_UP + repeats):
        start = time.perf_counter()
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), targets).backward()
        optimizer.step()
        if step >= WARM_UP:
            steps.append(time.perf_counter() - start)
    return [*rows, {"layer": "step", "forward": steps, "backward": steps}]


def _keep(row: dict[str, Any], phase: str, step: int, start: float) -> None:
    if step >= WARM_UP:
        row[phase].append(time.perf_counter() - start)


def _child(contender: str, kind: str, repeats: int, threads: int, inference: bool = False) -> list[dict[str, Any]]:
    """Profile in a fresh process with the suite's thread settings; the rows with median ms."""
    command = [sys.executable, "-m", "benchmarks.profile_layers", kind, "--contender", contender,
               "--repeats", str(repeats), "--threads", str(threads), "--raw", *(["--inference"] if inference else [])]
    done = subprocess.run(command, cwd=runner.ROOT, env=runner.child_env(threads), capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"profiling {contender} failed:\n{done.stderr}")
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def table(kind: str, profiles: dict[str, list[dict[str, Any]]], inference: bool = False) -> str:
    """Markdown: one row per layer, forward and backward ms per contender (layers side by side when the
    contenders have as many top-level layers, else one table each); with ``inference``, one column each."""
    phases = ("forward",) if inference else ("forward", "backward")
    suffixes = ("ms",) if inference else ("fwd", "bwd")

    def cells(row: dict[str, Any]) -> list[str]:
        return [f"{row[phase]:.2f}" for phase in phases]

    lines = [f"{kind}: ms per layer and batch (median), " + ("inference" if inference else "forward / backward")]
    names = list(profiles)
    steps = {name: rows.pop() for name, rows in profiles.items()}  # the last row is the whole step
    counts = {len(rows) for rows in profiles.values()}
    groups = [names] if len(counts) == 1 else [[name] for name in names]
    for group in groups:
        header = ["#", "layer", "output"] + [f"{name} {suffix}" for name in group for suffix in suffixes]
        lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        first = profiles[group[0]]
        for index, row in enumerate(first):
            values = [value for name in group for value in cells(profiles[name][index])]
            shape = "x".join(str(size) for size in row["shape"])
            lines.append("| " + " | ".join([str(index), row["layer"], shape, *values]) + " |")
        totals = [f"{sum(row[phase] for row in profiles[name]):.2f}" for name in group for phase in phases]
        whole = [f"{steps[name]['forward']:.2f}" for name in group for _ in phases]
        lines.append("| " + " | ".join(["", "**sum of the layers**", "", *totals]) + " |")
        last = "**whole predict batch**" if inference else "**whole training step**"
        lines.append("| " + " | ".join(["", last, "", *whole]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_layers", description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=MODELS)
    parser.add_argument("--contenders", default="nnfs,torch", help="comma-separated subset of nnfs,torch")
    parser.add_argument("--repeats", type=int, default=10, help="timed steps after the warm-up (default 10)")
    parser.add_argument("--threads", type=int, default=runner.default_threads())
    parser.add_argument("--inference", action="store_true",
                        help="time one batch of inference (predict's steps, folded BatchNorms included) instead")
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contender:  # the child: profile, print raw times as JSON
        nnfs, torch = ((_profile_nnfs_inference, _profile_torch_inference) if args.inference
                       else (_profile_nnfs, _profile_torch))
        profile: Callable[[], list[dict[str, Any]]] = (
            (lambda: nnfs(args.model, args.repeats)) if args.contender == "nnfs"
            else (lambda: torch(args.model, args.repeats, args.threads)))
        rows = profile()
        for row in rows:
            row["forward"], row["backward"] = _median_ms(row["forward"]), _median_ms(row["backward"])
        print(json.dumps(rows))
        return 0
    contenders = [name.strip() for name in args.contenders.split(",") if name.strip()]
    unknown = sorted(set(contenders) - {"nnfs", "torch"})
    if unknown or args.repeats < 1:
        parser.error(f"unknown contenders {', '.join(unknown)}" if unknown else "--repeats must be at least 1")
    profiles = {name: _child(name, args.model, args.repeats, args.threads, args.inference) for name in contenders}
    print(table(args.model, profiles, args.inference))
    return 0


if __name__ == "__main__":
    sys.exit(main())
