"""``nnfs train [CONFIG]``: train a network described by a TOML config on a registered dataset."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from nnfs_core import strategies
from nnfs_core._config_checks import writable_directory_problem
from nnfs_core._table import table
from nnfs_core.errors import ConfigError


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("train", help="train a network from a TOML config (default: a CNN on mnist-small)")
    parser.add_argument("config", nargs="?", help="TOML config; the built-in default when omitted")
    parser.add_argument("--dataset", help="override the config's dataset (a registered name)")
    parser.add_argument("--epochs", type=int, help="override the config's epochs")
    parser.add_argument("--batch-size", type=int, help="override the config's batch_size")
    parser.add_argument("--seed", type=int, help="override the config's seed")
    parser.add_argument("--output", help="directory for the model, history and plot (default runs/<config name>)")
    parser.add_argument("--plot", metavar="PNG", help="write training/validation curves to this PNG (needs matplotlib)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--resume", nargs="?", const="", metavar="DIR",
                        help="continue from the newest checkpoint in DIR (a checkpoint file also works); without "
                             "DIR, from this run's checkpoints (<output>/checkpoints unless the config says where)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nnfs_core.callbacks.csv_logger import CSVLogger
    from nnfs_core.config import build_network, load_config
    from nnfs_core.datasets import load

    config = load_config(args.config, dataset=args.dataset, epochs=args.epochs, batch_size=args.batch_size,
                         seed=args.seed, output=args.output)
    if args.plot:
        _check_matplotlib()
        _check_output_file(Path(args.plot), f"{config.source}: --plot (command line)")
    output = Path(config.output or Path("runs") / (Path(args.config).stem if args.config else "default"))
    problem = writable_directory_problem(output)
    if problem:  # only the default can get here: a configured output was checked with the config
        raise ConfigError(f"{config.source}: cannot write the results to {output}: {problem}; pass --output DIR")
    dataset, options = config.dataset_name_and_options()
    with config.blame("dataset"):
        splits = load(dataset, **options)
    (x_train, y_train), (x_test, y_test) = splits
    if config.targets == "inputs":  # an autoencoder learns to reproduce its input
        y_train, y_test = x_train, x_test
    network = build_network(config)
    network.metadata.update(getattr(splits, "metadata", None) or {})  # a corpus's vocabulary (SplitsWithMetadata)
    with config.blame("strategy"):
        strategy = strategies.get(config.strategy)
        strategy.local_batch_size(config.batch_size)
    say = print if strategy.is_main else _silent  # under mpiexec, rank 0 alone prints and writes
    with config.blame("layers"):
        network.build(x_train.shape[1:])
    config.apply_to(network)  # freeze patterns and parameter groups, against the built network's paths
    with config.blame("loss"):  # the loss must fit the last layer's output and the targets
        network._check_training_data(x_train[:1], y_train[:1])
    say(f"nnfs train: {config.source}\ndataset {dataset}: {len(x_train)} train, {len(x_test)} test samples"
        + ("" if strategy.world_size == 1 else f"\nstrategy {strategy!r}"))
    say(network.summary())
    with config.blame("output"):
        output.mkdir(parents=True, exist_ok=True)
    callbacks, checkpoints = _with_checkpoints(config.callbacks, output)
    resume_from = _resume_point(args.resume, checkpoints, say, network, callbacks)
    start = time.perf_counter()
    try:
        history = network.fit(x_train, y_train, epochs=config.epochs, batch_size=config.batch_size,
                              validation_split=config.validation_split, verbose=0 if args.quiet else 1,
                              callbacks=[CSVLogger(str(output / "history.csv"), append=resume_from is not None),
                                         *callbacks], resume_from=resume_from, strategy=strategy,
                              accumulate=config.accumulate)
    except OSError as error:
        return _write_failed("training stopped: writing a file", error, checkpoints)
    seconds = time.perf_counter() - start
    test = network.evaluate(x_test, y_test, strategy=strategy)
    trained = len(x_train) * (1 - config.validation_split) * len(history.epoch)
    say(_results(history.history, test, seconds, trained))
    if not strategy.is_main:
        return 0
    model_path = output / "model.nnfs"
    try:
        network.save(model_path)
    except OSError as error:
        return _write_failed(f"saving the model to {model_path}", error, checkpoints)
    print(f"model saved to {model_path}")
    print(f"history written to {output / 'history.csv'}")
    if args.plot:
        from nnfs_core.plots import plot_history

        plot_history(history.history, args.plot)
        print(f"curves plotted to {args.plot}")
    return 0


def _with_checkpoints(callbacks: list[Any], output: Path) -> tuple[list[Any], Path]:
    """The config's callbacks with a checkpoint every epoch (unless it has its own), and their directory."""
    from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint

    own = [callback for callback in callbacks if isinstance(callback, ModelCheckpoint)]
    if own:  # the deepest directory that no placeholder decides
        return callbacks, Path(os.path.dirname(own[0].filepath.split("{", 1)[0]) or ".")
    checkpoints = output / "checkpoints"
    return [*callbacks, ModelCheckpoint(str(checkpoints / "epoch-{epoch:04d}.nnfs"), keep_last=1)], checkpoints


def _silent(*_: Any) -> None:
    """``print`` on the processes other than rank 0."""


def _resume_point(resume: str | None, checkpoints: Path, say: Any, network: Any, callbacks: list[Any]) -> str | None:
    """The checkpoint ``--resume`` names (None without --resume); an error if there is none to resume from.

    In a directory, only this run's checkpoints count (``checkpoint_to_resume``: its naming, its layers).
    """
    from nnfs_core.persistence import checkpoint_to_resume

    if resume is None:
        return None
    where = Path(resume) if resume else checkpoints
    found, why = (str(where), "") if where.is_file() else (None, "")
    if where.is_dir():
        try:
            found = checkpoint_to_resume(network, where, callbacks)
        except FileNotFoundError as error:
            why = f" ({str(error).split('; ', 1)[1]})" if "; " in str(error) else ""
    if found is None:
        raise ConfigError(f"--resume: no checkpoint of this run in {where} to resume from{why}; train without "
                          f"--resume first"
                          + ("" if resume else ", or pass --resume DIR naming the directory of the checkpoints"))
    say(f"resuming from {found}")
    return found


def _write_failed(what: str, error: OSError, checkpoints: Path) -> int:
    """Say what could not be written and why, and where the last checkpoint is kept; the exit status 1."""
    from nnfs_core.persistence import latest_checkpoint

    last = latest_checkpoint(checkpoints) if checkpoints.is_dir() else None
    kept = (f"the last checkpoint is kept at {last}; make room and run the same command with --resume "
            f"{checkpoints} to continue from it" if last else "no checkpoint had been written yet")
    reason = error.strerror or str(error)
    print(f"nnfs train: error: {what} failed: {reason}" + (f" ({error.filename})" if error.filename else "")
          + f"; {kept}", file=sys.stderr)
    return 1


def _results(history: dict[str, list[float]], test: dict[str, float], seconds: float, samples: float) -> str:
    metrics = [key for key in test]
    rows = []
    for split, prefix in (("train", ""), ("validation", "val_")):
        if f"{prefix}loss" in history:
            rows.append([split, *(f"{history[prefix + key][-1]:.4f}" for key in metrics)])
    rows.append(["test", *(f"{test[key]:.4f}" for key in metrics)])
    rate = samples / max(seconds, 1e-9)
    timing = f"trained {len(history.get('loss', []))} epochs in {seconds:.2f} s ({rate:,.0f} samples/s)"
    return "\n" + table(rows, ["split", *metrics]) + "\n" + timing


def _check_output_file(path: Path, where: str) -> None:
    problem = writable_directory_problem(path.parent) or ("it is a directory" if path.is_dir() else None)
    if problem:
        raise ConfigError(f"{where}: cannot write {path}: {problem}")


def _check_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ConfigError("--plot needs matplotlib: pip install 'nnfs-core[plot]' (or: pip install matplotlib)") \
            from None
