"""Drive a bqlint fixture at run time: call every function that holds an `# expect:` row.

Used by the cross-check tests (run inside pytester sessions): each device class of the
fixture is built with its defaults and realized under the BQL, then each marked method (or
module function) is called with simple arguments made from its annotations, on a fresh
device each time. Whatever the runtime raises is recorded by ``--bql-crosscheck``; other
exceptions (a fixture is not a working device) are ignored.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import bql
from bql.lock import reset_for_tests

from tests.fixture_markers import markers

_VALUES: dict[str, object] = {"int": 1, "bool": True, "bytes": b"x", "str": "x", "float": 1.0}


def load(path: Path) -> ModuleType:
    """Import the fixture at `path` under a unique module name."""
    name = "fixture_" + "_".join(path.with_suffix("").parts[-3:])
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _arguments(function: Callable[..., Any]) -> list[object] | None:
    """Return positional arguments for `function` (self excluded), or None if unknown."""
    args: list[object] = []
    for parameter in list(inspect.signature(function).parameters.values()):
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.default is not parameter.empty:
            break
        annotation = parameter.annotation
        text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        if text not in _VALUES:
            return None
        args.append(_VALUES[text])
    return args


def _rows(function: object) -> range:
    code = getattr(function, "__code__", None)
    if code is None:
        return range(0)
    lines = [line for _, _, line in code.co_lines() if line is not None]
    return range(code.co_firstlineno, max(lines, default=code.co_firstlineno) + 1)


def _targets(module: ModuleType, rows: set[int]) -> Iterator[tuple[type | None, str]]:
    """Yield (device class or None, function name) for each function holding a marked row."""
    for name, value in vars(module).items():
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            if rows & set(_rows(value)):
                yield None, name
        elif inspect.isclass(value) and issubclass(value, bql.Device) and value.__module__ == module.__name__:
            for attr, member in vars(value).items():
                function = member.fset if isinstance(member, property) else member
                if isinstance(function, (staticmethod, classmethod)):
                    continue
                if inspect.isfunction(function) and rows & set(_rows(function)):
                    yield value, attr


def _call(cls: type | None, module: ModuleType, name: str) -> None:
    if cls is None:
        function = getattr(module, name)
        args = _arguments(function)
        if args is not None:
            function(*args)
        return
    device = cls()
    device.realize()
    member = vars(cls)[name]
    if isinstance(member, property):
        args = _arguments(member.fset)
        if args is not None and args:
            setattr(device, name, args[0])
        return
    args = _arguments(getattr(device, name))
    if args is not None:
        getattr(device, name)(*args)


def drive(path: Path) -> int:
    """Call every marked function of the fixture at `path`; return how many were called."""
    module = load(path)
    rows = {m.row for m in markers(path) if m.kind == "expect"}
    called = 0
    for cls, name in sorted(_targets(module, rows), key=lambda t: t[1]):
        reset_for_tests()
        bql.lock()
        try:
            _call(cls, module, name)
            called += 1
        except Exception:  # noqa: BLE001, S110 - the runtime's errors are recorded; the rest is noise
            called += 1
        finally:
            reset_for_tests()
    return called
