"""Every float hyperparameter of every registered optimizer and scheduler, and every parameter-group
override, refuses inf, -inf and NaN when the component is made, naming the component and the parameter
(issue 17, item 5; a TOML config refuses them as well, tests/test_bad_configs.py).

The cases come from the registry and the constructors' signatures: an optimizer or scheduler that any
installed pack registers later is covered the moment it is registered.
"""

from __future__ import annotations

import inspect
import math
import re

import pytest

from nnfs_core import registry
from nnfs_core.errors import ConfigError

BAD = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
# Values for required constructor arguments; a component with a new required argument fails
# test_every_component_is_made_from_its_defaults until it gets one here.
REQUIRED = {"step_size": 3, "milestones": [2, 5], "gamma": 0.5, "t_max": 10, "t_0": 4, "max_lr": 0.1,
            "warmup_steps": 3}


def _arguments(cls):
    """``{name: parameter}`` of the constructor, without ``self`` and ``*args``/``**kwargs``."""
    return {name: parameter for name, parameter in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)}


def _required(cls):
    return {name: REQUIRED.get(name) for name, parameter in _arguments(cls).items()
            if parameter.default is inspect.Parameter.empty}


def _float_arguments(cls):
    """``(name, position)`` for each float hyperparameter: position None for a number, 0, 1, ... for each
    element of a tuple of floats (``betas``). Found from the annotation, or the default for an unannotated one."""
    found = []
    for name, parameter in _arguments(cls).items():
        annotation, default = str(parameter.annotation), parameter.default
        is_pair = annotation.startswith(("tuple[float", "Tuple[float")) or (
            isinstance(default, tuple) and default and all(isinstance(item, float) for item in default))
        if is_pair:
            length = len(default) if isinstance(default, tuple) else annotation.count("float")
            found += [(name, position) for position in range(length)]
        elif re.search(r"\bfloat\b", annotation) or isinstance(default, float):
            found.append((name, None))
    return found


def _components(kind):
    return [(kind, name) for name in getattr(registry, kind).names()]


COMPONENTS = _components("optimizers") + _components("schedulers")
CASES = [(kind, name, argument, position, bad)
         for kind, name in COMPONENTS
         for argument, position in _float_arguments(getattr(registry, kind).get(name))
         for bad in BAD]


def _case_id(case):
    kind, name, argument, position, bad = case
    return f"{name}.{argument}{'' if position is None else f'[{position}]'}={bad}"


def _bad_value(cls, argument, position, bad):
    if position is None:
        return BAD[bad]
    pair = list(_arguments(cls)[argument].default)
    pair[position] = BAD[bad]
    return tuple(pair)


def _shown(argument, position):
    return re.escape(argument if position is None else f"{argument}[{position}]")


def test_the_walk_finds_the_hyperparameters():
    """The signature walk sees what it must: a broken walk would make every test below vacuous."""
    assert {name for kind, name in COMPONENTS if kind == "optimizers"} >= {"sgd", "adam"}
    found = {(name, argument, position) for _, name, argument, position, _ in CASES}
    for expected in [("sgd", "learning_rate", None), ("sgd", "momentum", None), ("sgd", "dampening", None),
                     ("adam", "betas", 0), ("adam", "betas", 1), ("adam", "eps", None), ("adam", "clip_norm", None),
                     ("one_cycle_lr", "max_lr", None), ("one_cycle_lr", "div_factor", None),
                     ("reduce_lr_on_plateau", "min_lr", None), ("step_lr", "gamma", None)]:
        assert expected in found


@pytest.mark.parametrize(("kind", "name"), COMPONENTS, ids=[name for _, name in COMPONENTS])
def test_every_component_is_made_from_its_defaults(kind, name):
    cls = getattr(registry, kind).get(name)
    missing = [argument for argument, value in _required(cls).items() if value is None]
    assert not missing, f"{name}: give the test a value for its required arguments {missing} (REQUIRED)"
    cls(**_required(cls))


@pytest.mark.parametrize(("kind", "name", "argument", "position", "bad"), CASES, ids=[_case_id(c) for c in CASES])
def test_a_non_finite_hyperparameter_is_refused_by_name(kind, name, argument, position, bad):
    cls = getattr(registry, kind).get(name)
    value = _bad_value(cls, argument, position, bad)
    with pytest.raises((TypeError, ValueError), match=rf"^{re.escape(cls.__name__)}: {_shown(argument, position)} "):
        cls(**{**_required(cls), argument: value})


OPTIMIZER_CASES = [case for case in CASES if case[0] == "optimizers"]


@pytest.mark.parametrize(("kind", "name", "argument", "position", "bad"), OPTIMIZER_CASES,
                         ids=[_case_id(c) for c in OPTIMIZER_CASES])
def test_a_non_finite_parameter_group_override_is_refused_when_the_optimizer_is_made(kind, name, argument,
                                                                                     position, bad):
    cls = registry.optimizers.get(name)
    value = _bad_value(cls, argument, position, bad)
    where = re.escape(f"param_groups[0][{argument!r}]") + ("" if position is None else re.escape(f"[{position}]"))
    with pytest.raises(ConfigError, match=rf"^{re.escape(cls.__name__)}: {where} "):
        cls(**_required(cls), param_groups=[{"params": "layers.0.*", argument: value}])
