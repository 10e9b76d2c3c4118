"""Running the checks: ``check_layer`` and friends, and ``parametrize_with_checks`` for pytest."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nnfs_core.testing._common import Check, ConformanceError, instance
from nnfs_core.testing._layer_checks import LAYER_CHECKS
from nnfs_core.testing._loss_checks import LOSS_CHECKS
from nnfs_core.testing._optimizer_checks import OPTIMIZER_CHECKS, SCHEDULER_CHECKS


def checks_for(component: Any) -> list[Check]:
    """The checks of a component's kind, recognised by its members."""
    obj = instance(component)
    if hasattr(obj, "attach") and hasattr(obj, "interval"):
        return SCHEDULER_CHECKS
    if hasattr(obj, "step") and hasattr(obj, "learning_rate"):
        return OPTIMIZER_CHECKS
    if hasattr(obj, "build"):
        return LAYER_CHECKS
    if hasattr(obj, "forward") and hasattr(obj, "backward"):
        return LOSS_CHECKS
    raise TypeError(f"{type(obj).__name__} is not a layer, loss, optimizer or scheduler")


def _prepare(component: Any, input_shape: tuple[int, ...] | None) -> Any:
    obj = instance(component)
    if input_shape is not None:
        obj._nnfs_check_input_shape = tuple(input_shape)
    return obj


def declared_failures(obj: Any, given: Mapping[str, str] | None = None) -> dict[str, str]:
    """The component's own ``expected_failed_checks`` (a class attribute), plus those given to the runner."""
    return {**dict(getattr(obj, "expected_failed_checks", None) or {}), **dict(given or {})}


def _conformance(check: Check) -> Check:
    """``check`` raising only ConformanceError: a component that crashes a check fails it like any other."""

    @functools.wraps(check)
    def run(component: Any) -> None:
        try:
            check(component)
        except ConformanceError:
            raise
        except Exception as error:  # noqa: BLE001 - reported as the component's failure, chained
            raise ConformanceError(f"{type(component).__name__}: {check.__name__} raised "
                                   f"{type(error).__name__}: {error}") from error

    return run


def run_checks(
    component: Any,
    checks: list[Check],
    *,
    input_shape: tuple[int, ...] | None = None,
    expected_failed_checks: Mapping[str, str] | None = None,
) -> None:
    """Run ``checks``; raise one ConformanceError listing every unexpected failure (and unexpected pass)."""
    obj = _prepare(component, input_shape)
    expected = declared_failures(obj, expected_failed_checks)
    problems = []
    for check in checks:
        try:
            check(obj)
        except Exception as error:  # noqa: BLE001 - a broken component must be reported, not crash the kit
            if check.__name__ not in expected:
                detail = error if isinstance(error, ConformanceError) else f"raised {type(error).__name__}: {error}"
                problems.append(f"{check.__name__}: {detail}")
        else:
            if check.__name__ in expected:
                problems.append(f"{check.__name__} passes but is listed in expected_failed_checks")
    if problems:
        raise ConformanceError(f"{type(obj).__name__} fails {len(problems)} check(s):\n  " + "\n  ".join(problems))


def check_layer(layer: Any, *, input_shape: tuple[int, ...] | None = None,
                expected_failed_checks: Mapping[str, str] | None = None) -> None:
    """Every check a layer or activation must pass (an instance, or a class built with its ``example_args``)."""
    run_checks(layer, LAYER_CHECKS, input_shape=input_shape, expected_failed_checks=expected_failed_checks)


def check_loss(loss: Any, *, expected_failed_checks: Mapping[str, str] | None = None) -> None:
    """Every check a loss must pass."""
    run_checks(loss, LOSS_CHECKS, expected_failed_checks=expected_failed_checks)


def check_optimizer(optimizer: Any, *, expected_failed_checks: Mapping[str, str] | None = None) -> None:
    """Every check an optimizer must pass."""
    run_checks(optimizer, OPTIMIZER_CHECKS, expected_failed_checks=expected_failed_checks)


def check_scheduler(scheduler: Any, *, expected_failed_checks: Mapping[str, str] | None = None) -> None:
    """Every check a learning-rate scheduler must pass."""
    run_checks(scheduler, SCHEDULER_CHECKS, expected_failed_checks=expected_failed_checks)


def _describe(obj: Any) -> str:
    try:
        arguments = ",".join(f"{k}={v}" for k, v in obj.get_config().items())
    except Exception:  # noqa: BLE001 - a broken get_config must not break test collection
        arguments = "?"
    return f"{type(obj).__name__}({arguments})"


def parametrize_with_checks(
    components: Iterable[Any],
    *,
    expected_failed_checks: Callable[[Any], Mapping[str, str]] | Mapping[str, str] | None = None,
) -> Any:
    """A ``pytest.mark.parametrize`` over (component, check) pairs with readable ids.

    Items are instances, classes (built with ``example_args``) or ``(layer, input_shape)`` pairs.
    ``expected_failed_checks`` maps check names to the documented reason they fail (or is a function of
    the component returning such a mapping); with those the component's class declares in its own
    ``expected_failed_checks``, they become strict xfails. A check that crashes (any exception) fails
    with a ConformanceError chained to the original error:

        @parametrize_with_checks([Dense(4), (Reshape((2, 3)), (6,))])
        def test_conformance(component, check):
            check(component)
    """
    import pytest

    params = []
    for item in components:
        component, shape = item if isinstance(item, tuple) else (item, None)
        obj = _prepare(component, shape)
        given = expected_failed_checks(obj) if callable(expected_failed_checks) else expected_failed_checks
        failing = declared_failures(obj, given)
        for check in checks_for(obj):
            marks = [pytest.mark.xfail(reason=failing[check.__name__], strict=True,
                                       raises=ConformanceError)] if check.__name__ in failing else []
            params.append(pytest.param(obj, _conformance(check), marks=marks,
                                       id=f"{_describe(obj)}-{check.__name__}"))
    return pytest.mark.parametrize(("component", "check"), params)
