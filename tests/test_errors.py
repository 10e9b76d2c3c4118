"""The exception tree: every nnfs error is an NNFSError and the built-in a Python user would catch."""

from __future__ import annotations

import pytest

from nnfs_core import errors
from nnfs_core.errors import (
    ComponentConflictError,
    ComponentNotFoundError,
    ConfigError,
    ExportError,
    ModelFormatError,
    NNFSError,
    PluginLoadError,
    ShapeError,
    TrainingDivergedError,
)

BUILTINS = {
    ComponentNotFoundError: KeyError,
    ComponentConflictError: LookupError,
    PluginLoadError: ImportError,
    ShapeError: ValueError,
    ModelFormatError: ValueError,
    TrainingDivergedError: FloatingPointError,
    ConfigError: ValueError,
    ExportError: ValueError,
}


@pytest.mark.parametrize("error", list(BUILTINS), ids=lambda error: error.__name__)
def test_each_error_is_an_nnfs_error_and_its_builtin(error):
    assert issubclass(error, NNFSError) and issubclass(error, BUILTINS[error])
    with pytest.raises(NNFSError):
        raise error("message")
    with pytest.raises(BUILTINS[error]):
        raise error("message")


def test_the_tree_is_complete_and_exported():
    assert set(errors.__all__) == {"NNFSError", *(error.__name__ for error in BUILTINS)}
    assert issubclass(NNFSError, Exception) and not issubclass(NNFSError, (ValueError, LookupError))
    assert {name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, NNFSError)} \
        == set(errors.__all__)


def test_component_not_found_shows_its_message_unquoted():
    message = "No layers component named 'x'. Did you mean 'y'?"
    error = ComponentNotFoundError(message)
    assert str(error) == message  # a plain KeyError would show repr(message)
    assert str(KeyError(message)) != message
    assert str(ComponentNotFoundError()) == ""
    assert error.args == (message,)


def test_plugin_load_error_keeps_import_error_fields():
    error = PluginLoadError("could not load", name="relu")
    assert error.name == "relu" and str(error) == "could not load"
