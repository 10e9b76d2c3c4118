"""Training configurations: a TOML file that names everything by registry name (``nnfs train``).

A config is checked completely before anything is trained: unknown keys, wrong types and unknown
component names fail with a ``ConfigError`` that names the file, the line and
the key, and for names the did-you-mean or the pack to install.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from nnfs_core._compat import tomllib
from nnfs_core._config_checks import check_callbacks, check_dataset_options, check_values
from nnfs_core.errors import ConfigError, NNFSError

__all__ = ["TrainConfig", "load_config", "default_config_path"]

_COMPONENT = (str, dict)


@dataclass
class TrainConfig:
    """Everything ``nnfs train`` needs; field names are the TOML keys."""

    dataset: Any
    layers: list[Any]
    loss: Any
    optimizer: Any
    scheduler: Any = None
    metrics: list[Any] | None = None
    callbacks: list[Any] = field(default_factory=list)
    epochs: int = 10
    batch_size: int = 32
    accumulate: int = 1
    freeze: list[str] | None = None
    seed: int | None = 0
    validation_split: float = 0.0
    dtype: str = "float32"
    ops: str | None = None
    strategy: Any = None
    input_shape: list[int] | None = None
    output: str | None = None
    targets: str = "labels"
    source: str = field(default="<dict>", repr=False)
    text: str = field(default="", repr=False)
    overridden: frozenset[str] = field(default=frozenset(), repr=False)  # keys set on the command line

    def error(self, key: str, message: str, written: str | None = None) -> ConfigError:
        """A ``ConfigError`` blaming ``key``: its file and line, or the command-line option that set it.

        ``written`` is a string value under ``key`` (a pattern): the line is then the one where it is written.
        """
        line = None if written is None or key in self.overridden else _line_of_value(self.text, key, written)
        if line is not None:
            return ConfigError(f"{self.source}, line {line}: {key}: {message}")
        return ConfigError(f"{_where(self.source, self.text, self.overridden, key, None)}: {message}")

    def apply_to(self, network: Any) -> None:
        """Freeze the layers ``freeze`` names and check the optimizer's ``param_groups`` against the built
        ``network``'s paths: a pattern that selects nothing is an error naming the file, line, key, the
        pattern and the paths that exist."""
        from nnfs_core._param_groups import unmatched_patterns
        from nnfs_core._parameters import named_layers

        for pattern in self.freeze or ():
            try:
                network.freeze(pattern)
            except ConfigError:
                paths = [path for path, _ in named_layers(network)]
                raise self.error("freeze", f"the pattern {pattern!r} matches no layer; the layers are "
                                           f"{_listed(paths)}", pattern) from None
        names = [name for name, _ in network.named_parameters()]
        groups = getattr(network.optimizer, "param_groups", None) or []
        for index, pattern in unmatched_patterns(names, groups):
            raise self.error("optimizer", f"param_groups[{index}] pattern {pattern!r} matches no parameter; the "
                                          f"parameters are {_listed(names)}", pattern)

    @contextlib.contextmanager
    def blame(self, key: str) -> Iterator[None]:
        """Errors of the block (loading the dataset, building the layers) become errors of ``key``."""
        try:
            yield
        except ConfigError as error:
            if str(error).startswith(self.source):
                raise
            raise self.error(key, str(error)) from error
        except (NNFSError, TypeError, ValueError, OSError) as error:
            raise self.error(key, f"{type(error).__name__}: {error}" if not isinstance(error, NNFSError)
                             else str(error)) from error

    def network(self) -> Any:
        """A fresh Network built from this config (components created by name)."""
        from nnfs_core.network import Network

        return Network(layers=self.layers, optimizer=self.optimizer, loss=self.loss, metrics=self.metrics,
                       scheduler=self.scheduler, dtype=self.dtype, seed=self.seed, input_shape=self.input_shape,
                       ops=self.ops)

    def dataset_name_and_options(self) -> tuple[str, dict[str, Any]]:
        if isinstance(self.dataset, str):
            return self.dataset, {}
        options = dict(self.dataset)
        return options.pop("name"), options


_REQUIRED = ("dataset", "layers", "loss", "optimizer")
_TYPES: dict[str, tuple[type, ...]] = {
    "dataset": _COMPONENT, "layers": (list,), "loss": _COMPONENT, "optimizer": _COMPONENT,
    "scheduler": _COMPONENT, "metrics": (list,), "callbacks": (list,), "epochs": (int,), "batch_size": (int,),
    "accumulate": (int,), "freeze": (list,), "seed": (int,), "validation_split": (float, int), "dtype": (str,),
    "ops": (str,), "strategy": _COMPONENT, "input_shape": (list,), "output": (str,),
    "targets": (str,),
}
_TYPE_NAMES = {str: "a string", dict: "a table", list: "a list", int: "an integer", float: "a number",
               bool: "a boolean"}
# Which registry checks the names found under a key.
_KINDS = {"dataset": "datasets", "layers": "layers", "loss": "losses", "optimizer": "optimizers",
          "scheduler": "schedulers", "metrics": "metrics", "callbacks": "callbacks", "ops": "ops",
          "strategy": "strategies"}


def default_config_path() -> Path:
    return Path(str(resources.files("nnfs_core.configs").joinpath("default.toml")))


def _line_of(text: str, key: str, index: int | None) -> int | None:
    """The 1-based line where ``key`` (or its ``index``-th ``[[key]]`` table) is written, if found."""
    lines = text.splitlines()
    if index is not None:
        headers = [n for n, line in enumerate(lines, 1) if re.match(rf"\s*\[\[\s*{re.escape(key)}\s*\]\]", line)]
        if index < len(headers):
            return headers[index]
    for number, line in enumerate(lines, 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line) or re.match(rf"\s*\[\s*{re.escape(key)}\s*\]", line):
            return number
    return None


def _listed(paths: list[str], limit: int = 24) -> str:
    return ", ".join(paths[:limit]) + (f", ... ({len(paths)} in all)" if len(paths) > limit else "")


def _line_of_value(text: str, key: str, value: str) -> int | None:
    """The 1-based line where the string ``value`` is written, first searched from ``key``'s line on."""
    quoted = re.compile(rf"""["']{re.escape(value)}["']""")
    lines = text.splitlines()
    start = (_line_of(text, key, None) or 1) - 1
    for number in [*range(start, len(lines)), *range(0, start)]:
        if quoted.search(lines[number]):
            return number + 1
    return None


def _where(source: str, text: str, overridden: frozenset[str], key: str, index: int | None) -> str:
    """``"file, line N: key"``, or ``"file: --key (command line)"`` for a key the command line set."""
    label = key if index is None else f"{key}[{index}]"
    if key in overridden:
        return f"{source}: --{key.replace('_', '-')} (command line)"
    line = _line_of(text, key, index)
    return f"{source}" + (f", line {line}" if line else "") + f": {label}"


class _Checker:
    def __init__(self, data: dict[str, Any], source: str, text: str, overridden: frozenset[str]) -> None:
        self.data, self.source, self.text, self.overridden = data, source, text, overridden

    def fail(self, key: str, message: str, index: int | None = None) -> ConfigError:
        return ConfigError(f"{_where(self.source, self.text, self.overridden, key, index)}: {message}")

    def check(self) -> TrainConfig:
        known = [f.name for f in fields(TrainConfig) if f.name not in ("source", "text")]
        for key in self.data:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
                raise self.fail(key, f"unknown key{hint}")
        for key, value in self.data.items():
            found = _non_finite(value, key, None)
            if found is not None:
                path, number, index = found
                raise self.fail(key, f"{path} = {number}: numbers must be finite (TOML reads a number too large "
                                     f"for a float, such as 1e400, as inf)", index)
        for key in _REQUIRED:
            if key not in self.data:
                raise ConfigError(f"{self.source}: the required key {key!r} is missing")
        for key, value in self.data.items():
            expected = _TYPES[key]
            if isinstance(value, bool) or not isinstance(value, expected):
                names = " or ".join(_TYPE_NAMES[t] for t in expected)
                raise self.fail(key, f"must be {names}, got {_TYPE_NAMES.get(type(value), type(value).__name__)} "
                                     f"{value!r}")
        self._check_ranges()
        for key, kind in _KINDS.items():
            value = self.data.get(key)
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                self._check_component(key, kind, item, index if isinstance(value, list) else None)
        try:
            check_dataset_options(self.data["dataset"], self.fail)
            check_callbacks(self.data, self.fail)
        except ConfigError:
            raise
        except NNFSError as error:
            raise self.fail("dataset", str(error)) from None
        return TrainConfig(**self.data, source=self.source, text=self.text, overridden=self.overridden)

    def _check_ranges(self) -> None:
        data = self.data
        if data.get("epochs", 0) < 0:
            raise self.fail("epochs", f"must be >= 0, got {data['epochs']}")
        if data.get("batch_size", 1) < 1:
            raise self.fail("batch_size", f"must be >= 1, got {data['batch_size']}")
        if data.get("accumulate", 1) < 1:
            raise self.fail("accumulate", f"must be >= 1 (batches per optimizer step), got {data['accumulate']}")
        for pattern in data.get("freeze") or ():
            if not isinstance(pattern, str) or not pattern:
                raise self.fail("freeze", f"must be a list of layer path patterns such as \"layers.0\" or "
                                          f"\"layers.[0-3]\", got {pattern!r}")
        if not 0 <= data.get("validation_split", 0) < 1:
            raise self.fail("validation_split", f"must be in [0, 1), got {data['validation_split']}")
        if data.get("targets", "labels") not in ("labels", "inputs"):
            raise self.fail("targets", f"must be 'labels' or 'inputs' (an autoencoder), got {data['targets']!r}")
        check_values(data, self.fail)

    def _check_component(self, key: str, kind: str, item: Any, index: int | None) -> None:
        from nnfs_core import registry

        if isinstance(item, dict):
            if "name" not in item:
                raise self.fail(key, f"a table needs a 'name' key, got keys {sorted(item)}", index)
            name = item["name"]
        elif isinstance(item, str):
            name = item
        else:
            raise self.fail(key, f"must be a name or a table with a 'name', got {item!r}", index)
        try:
            registry.of_kind(kind).entry(name)
            if kind not in ("datasets", "strategies"):  # creating checks the arguments; data and processes wait
                registry.of_kind(kind).create(item)
        except NNFSError as error:
            raise self.fail(key, str(error), index) from None


def _non_finite(value: Any, path: str, index: int | None) -> tuple[str, float, int | None] | None:
    """The first NaN or infinite number in ``value`` (a config value, ``path`` its key): where it is, the number,
    and the index of the ``[[table]]`` it is in (for the line), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, value, index
    if isinstance(value, dict):
        items: Any = ((f"{path}.{key}", item, index) for key, item in value.items())
    elif isinstance(value, list):
        items = ((f"{path}[{number}]", item, number if index is None else index) for number, item in enumerate(value))
    else:
        return None
    for inner_path, item, inner_index in items:
        found = _non_finite(item, inner_path, inner_index)
        if found is not None:
            return found
    return None


def load_config(source: str | Path | dict[str, Any] | None = None, **overrides: Any) -> TrainConfig:
    """Read and check a TOML config (a path, a dict, or None for the built-in default).

    ``overrides`` (``epochs=3``) replace keys after reading, and are checked like the rest.
    """
    if source is None:
        source = default_config_path()
    if isinstance(source, dict):
        data, name, text = dict(source), "<config>", ""
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read the config {path}: {error.strerror}") from error
        name = str(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from error
    given = {key: value for key, value in overrides.items() if value is not None}
    data.update(given)
    return _Checker(data, name, text, frozenset(given)).check()


def build_network(config: TrainConfig) -> Any:
    """``config.network()``, with construction errors pointing at the config."""
    try:
        return config.network()
    except NNFSError as error:
        raise ConfigError(f"{config.source}: {error}") from error
