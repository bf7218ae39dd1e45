"""Character-device handlers a device registers with `CharFrontend.enable_handlers(...)`.

SPEC §3.1.1: `accept_input()` / `write_all()` on a frontend count as calls to every handler
registered on that frontend field, by the class or any class of its hierarchy.
"""

from __future__ import annotations

import libcst as cst

from bqlint.model.api import HANDLER_PARAMS
from bqlint.model.classes import ClassInfo, Instance
from bqlint.model.functions import FunctionInfo
from bqlint.model.project import callable_of

Handler = tuple[FunctionInfo, "cst.CSTNode | None"]  # the handler, and the lambda's call reaching it


def _registrations(cls: ClassInfo) -> dict[str, list[Handler]]:
    """Return field -> handlers registered by the methods of `cls` itself."""
    cached = getattr(cls, "_handler_cache", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    found: dict[str, list[Handler]] = {}
    if "enable_handlers" in cls.module.source.text:
        for method in cls.methods.values():
            me = method.self_name
            # Each body's nodes are walked once for the analysis already (FunctionInfo.body_nodes).
            inner = cls.project.with_inner_functions(method)
            calls = [(fn, n) for fn in inner for n in fn.body_nodes() if type(n) is cst.Call]
            for caller, node in calls:
                if not (
                    type(node.func) is cst.Attribute
                    and node.func.attr.value == "enable_handlers"
                    and type(node.func.value) is cst.Attribute
                    and type(node.func.value.value) is cst.Name
                    and node.func.value.value.value == me
                ):
                    continue
                field = node.func.value.attr.value
                for index, arg in enumerate(node.args):
                    if arg.keyword is not None and arg.keyword.value not in HANDLER_PARAMS:
                        continue
                    value = callable_of(arg.value)
                    via = arg.value.body if isinstance(arg.value, cst.Lambda) else None
                    if (
                        isinstance(value, cst.Attribute)
                        and isinstance(value.value, cst.Name)
                        and value.value.value == me
                    ):
                        methods = cls.implementations(value.attr.value) or _called(
                            cls.fields().get(value.attr.value)
                        )
                        found.setdefault(field, []).extend((fn, via) for fn in methods)
                    elif isinstance(value, cst.Name) and value.value == me:
                        # The device itself is the handler: calling it runs its `__call__`.
                        found.setdefault(field, []).extend((fn, via) for fn in cls.implementations("__call__"))
                    elif isinstance(value, cst.Name):
                        target = _nested_def(caller, value.value) or cls.project.resolve_expr(value, cls.module)
                        if isinstance(target, FunctionInfo):
                            found.setdefault(field, []).append((target, via))
    cls._handler_cache = found  # type: ignore[attr-defined]
    return found


def _nested_def(caller: FunctionInfo, name: str) -> FunctionInfo | None:
    """Return the function `name` means in `caller` when a `def` of it in `caller` or an
    enclosing function binds it (`def receive(data): ...` in `realize()`), else None."""
    at: FunctionInfo | None = caller
    while at is not None and name not in at.param_names():
        nested = at.project.nested_function(at, name)
        if nested is not None:
            return nested
        at = at.parent
    return None


def _called(typed: object) -> list[FunctionInfo]:
    """Return what calling an object of type `typed` runs: its class's `__call__`."""
    return typed.cls.implementations("__call__") if isinstance(typed, Instance) else []


def handlers_for(cls: ClassInfo, field: str) -> tuple[Handler, ...]:
    """Return every handler registered on frontend `field` across the class hierarchy."""
    out: list[Handler] = []
    for related in (*cls.mro(), *cls.all_subclasses()):
        for handler in _registrations(related).get(field, ()):
            if all(handler[0] is not known for known, _ in out):
                out.append(handler)
    return tuple(out)
