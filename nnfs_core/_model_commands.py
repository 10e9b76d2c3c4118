"""``nnfs summary``, ``nnfs evaluate`` and ``nnfs predict``: working with configs and saved models."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from nnfs_core._table import table
from nnfs_core.errors import ConfigError


def add_parsers(commands: Any) -> None:
    summary = commands.add_parser("summary", help="layers, output shapes and parameter counts of a model or config")
    summary.add_argument("source", help="a saved model (.nnfs) or a TOML config")
    _trust_argument(summary)
    summary.set_defaults(run=run_summary)

    evaluate = commands.add_parser("evaluate", help="loss, metrics and confusion matrix of a saved model")
    evaluate.add_argument("model", help="a saved model (.nnfs)")
    evaluate.add_argument("--dataset", required=True, help="a registered dataset (see `nnfs datasets`)")
    evaluate.add_argument("--split", choices=("train", "test"), default="test")
    _trust_argument(evaluate)
    evaluate.set_defaults(run=run_evaluate)

    predict = commands.add_parser("predict", help="outputs of a saved model for inputs in a .npy file")
    predict.add_argument("model", help="a saved model (.nnfs)")
    predict.add_argument("inputs", help="a .npy array of samples, batch first")
    predict.add_argument("--output", metavar="NPY",
                         help="write the outputs (with --classes, the classes) to this .npy file (default: print "
                              "them); .npy is added to a name without it, and the message says so")
    predict.add_argument("--classes", action="store_true",
                         help="the arg-max class of each output (a classifier's (N, classes) outputs only)")
    _trust_argument(predict)
    predict.set_defaults(run=run_predict)


def _trust_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trust-file", action="store_true",
                        help="load the model without the load budget (a file you trust; see docs/file-format.md)")


def _load_model(path: str, trust_file: bool = False) -> Any:
    from nnfs_core.network import Network
    from nnfs_core.persistence import DEFAULT_LIMITS, LoadLimits

    if not Path(path).is_file():
        raise ConfigError(f"no model file at {path}; train one with `nnfs train` (it saves runs/<name>/model.nnfs)")
    return Network.load(path, limits=LoadLimits(check_architecture=False) if trust_file else DEFAULT_LIMITS)


def run_summary(args: argparse.Namespace) -> int:
    if args.source.endswith(".toml"):
        from nnfs_core.config import build_network, load_config
        from nnfs_core.datasets import load

        config = load_config(args.source)
        network = build_network(config)
        if network.input_shape is None:
            name, options = config.dataset_name_and_options()
            network.build(load(name, **options).train.x.shape[1:])
    else:
        network = _load_model(args.source, args.trust_file)
    print(network.summary())
    return 0


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """counts[true, predicted], one row per true class."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def run_evaluate(args: argparse.Namespace) -> int:
    from nnfs_core.datasets import load

    network = _load_model(args.model, args.trust_file)
    split = getattr(load(args.dataset), args.split)
    scores = network.evaluate(split.x, split.y)
    print(table([[key, f"{value:.4f}"] for key, value in scores.items()], ["metric", args.split]))
    outputs = network.predict(split.x)
    if split.y.ndim == 1 and outputs.ndim == 2 and outputs.shape[1] > 1:
        classes = outputs.shape[1]
        counts = confusion_matrix(split.y, outputs.argmax(axis=1), classes)
        print("\nconfusion matrix (rows: true class, columns: predicted class)")
        print(table([[str(c), *map(str, counts[c])] for c in range(classes)], ["", *map(str, range(classes))]))
    return 0


def _output_path(output: str) -> tuple[Path, str]:
    """Where ``--output`` writes (``.npy`` added to a name without it, as NumPy does) and a note saying so;
    a place that cannot be written is refused before anything is computed."""
    from nnfs_core._config_checks import writable_directory_problem

    path = Path(output if output.endswith(".npy") else output + ".npy")
    note = "" if path.name == Path(output).name else f" (.npy added to {output})"
    if path.is_dir():
        raise ConfigError(f"--output {output}: {path} is a directory; name a .npy file")
    problem = writable_directory_problem(path.parent)
    if problem:
        raise ConfigError(f"--output {output}: cannot write {path}: {problem}")
    return path, note


def _check_classifier(outputs_shape: tuple[int, ...] | None) -> None:
    if outputs_shape is not None and (len(outputs_shape) != 1 or outputs_shape[0] < 2):
        raise ConfigError(f"--classes needs a classifier: outputs of shape (N, classes) with 2 or more classes, but "
                          f"this model's outputs are (N, {', '.join(map(str, outputs_shape))}); leave out --classes "
                          f"to get the outputs themselves")


def run_predict(args: argparse.Namespace) -> int:
    network = _load_model(args.model, args.trust_file)
    output = _output_path(args.output) if args.output else None
    try:
        inputs = np.load(args.inputs, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read {args.inputs} as a .npy array (no pickles): {error}") from error
    if args.classes:  # known from the model before anything is computed, when it records its output shape
        declared = getattr(network.layers[-1], "output_shape", None) if network.layers else None
        _check_classifier(None if declared is None else tuple(declared))
    outputs = network.predict(inputs)
    if args.classes:
        _check_classifier(tuple(outputs.shape[1:]))
        outputs = outputs.argmax(axis=1)
    if output is not None:
        path, note = output
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, outputs, allow_pickle=False)
        except OSError as error:
            raise ConfigError(f"--output {args.output}: cannot write {path}: {error.strerror or error}") from error
        what = "classes" if args.classes else f"outputs of shape {outputs.shape[1:]}"
        print(f"{len(outputs)} {what} written to {path}{note}")
    elif args.classes:
        print("\n".join(str(int(c)) for c in outputs))
    else:
        with np.printoptions(precision=4, suppress=True, threshold=10_000):
            print(outputs)
    return 0
