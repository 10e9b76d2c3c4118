"""Griffe extension for the reference: documented parameters take their defaults from the signature.

numpydoc lets a docstring describe several parameters at once (``min_val, max_val : float``). Griffe,
which mkdocstrings uses to read docstrings, gives every name of such a group the first name's default,
so the reference showed ``HardTanh.max_val`` defaulting to -1.0. The signature is the truth: after a
class or function is loaded, each documented parameter's default is set from it by name.
``tests/docs/test_site.py`` compares every default the built site shows with ``inspect.signature``.
"""

from __future__ import annotations

from typing import Any

import griffe


class SignatureDefaults(griffe.Extension):
    """Re-parse each docstring once and set every documented parameter's default from the signature."""

    def on_class(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        self._fix(cls)

    def on_function(self, *, func: griffe.Function, **kwargs: Any) -> None:
        self._fix(func)

    @staticmethod
    def _fix(obj: griffe.Class | griffe.Function) -> None:
        if obj.docstring is None:
            return
        try:
            signature = obj.parameters
        except (AttributeError, KeyError):  # a class without a visible __init__
            return
        sections = obj.docstring.parse()
        kinds = (griffe.DocstringSectionKind.parameters, griffe.DocstringSectionKind.other_parameters)
        for section in sections:
            if section.kind not in kinds:
                continue
            for parameter in section.value:
                if parameter.name in signature:
                    parameter.value = signature[parameter.name].default
        obj.docstring.parsed = sections  # the cached parse mkdocstrings renders
