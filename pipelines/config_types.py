"""Type-check one configuration value against its dataclass annotation, once, at the edge.

Messages name the dotted key, the expected type in TOML/JSON words and the value given, so
`--set seed=abc` or `queries_per_product = "x"` is a one-line error, not a crash deep inside a
stage. Integers are accepted for float keys; lists become tuples for tuple keys.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pipelines.errors import ConfigError

_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        return f"a list of {_plural(args[0])}"
    if origin is dict:
        return f"a table (JSON object) of {_plural(args[1])}"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(a) for a in args if a is not type(None))
    return _NAMES.get(hint, getattr(hint, "__name__", str(hint)))


def _plural(hint: Any) -> str:
    return {bool: "booleans", int: "integers", float: "numbers", str: "strings"}.get(hint, describe(hint))


def _shown(value: Any) -> str:
    kind = {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "table",
            type(None): "null"}.get(type(value), type(value).__name__)
    return f"{value!r} ({kind})"


def checked(key: str, value: Any, hint: Any) -> Any:
    """`value` converted to `hint`'s shape, or ConfigError naming `key` and the expected type."""
    converted = _convert(value, hint)
    if converted is _BAD:
        raise ConfigError(f"{key} must be {describe(hint)}, got {_shown(value)}")
    return converted


_BAD = object()


def _convert(value: Any, hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        for option in args:
            out = value if option is type(None) and value is None else _convert(value, option)
            if out is not _BAD and (value is None) == (option is type(None)):
                return out
        return _BAD
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return _BAD
        items = [_convert(v, args[0]) for v in value]
        return _BAD if any(i is _BAD for i in items) else tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            return _BAD
        items = {k: _convert(v, args[1]) for k, v in value.items()}
        return _BAD if any(not isinstance(k, str) or v is _BAD for k, v in items.items()) else items
    if hint is float:
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else _BAD
    if hint is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _BAD
    if isinstance(hint, type):
        return value if isinstance(value, hint) else _BAD
    return value  # an annotation this checker does not know: the dataclass's own checks apply
