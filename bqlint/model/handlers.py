"""Character-device handlers a device registers with `CharFrontend.enable_handlers(...)`.

SPEC §3.1.1: `accept_input()` / `write_all()` on a frontend count as calls to every handler
registered on that frontend field, by the class or any class of its hierarchy.
"""

from __future__ import annotations

import libcst as cst

from bqlint.model.api import HANDLER_PARAMS
from bqlint.model.classes import ClassInfo
from bqlint.model.functions import FunctionInfo
from bqlint.model.project import callable_of
from bqlint.source import walk


def _registrations(cls: ClassInfo) -> dict[str, list[FunctionInfo]]:
    """Return field -> handlers registered by the methods of `cls` itself."""
    cached = getattr(cls, "_handler_cache", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found: dict[str, list[FunctionInfo]] = {}
    if "enable_handlers" in cls.module.source.text:
        for method in cls.methods.values():
            me = method.self_name
            for node in walk(method.node.body):
                if not (
                    isinstance(node, cst.Call)
                    and isinstance(node.func, cst.Attribute)
                    and node.func.attr.value == "enable_handlers"
                    and isinstance(node.func.value, cst.Attribute)
                    and isinstance(node.func.value.value, cst.Name)
                    and node.func.value.value.value == me
                ):
                    continue
                field = node.func.value.attr.value
                for index, arg in enumerate(node.args):
                    if arg.keyword is not None and arg.keyword.value not in HANDLER_PARAMS:
                        continue
                    value = callable_of(arg.value)
                    if (
                        isinstance(value, cst.Attribute)
                        and isinstance(value.value, cst.Name)
                        and value.value.value == me
                    ):
                        found.setdefault(field, []).extend(cls.implementations(value.attr.value))
                    elif isinstance(value, cst.Name):
                        target = cls.project.resolve_expr(value, cls.module)
                        if isinstance(target, FunctionInfo):
                            found.setdefault(field, []).append(target)
    cls._handler_cache = found  # type: ignore[attr-defined]
    return found


def handlers_for(cls: ClassInfo, field: str) -> tuple[FunctionInfo, ...]:
    """Return every handler registered on frontend `field` across the class hierarchy."""
    out: list[FunctionInfo] = []
    for related in (*cls.mro(), *cls.all_subclasses()):
        for fn in _registrations(related).get(field, ()):
            if fn not in out:
                out.append(fn)
    return tuple(out)
