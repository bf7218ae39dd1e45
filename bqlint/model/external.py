"""Which class outside the checked files a field or parameter holds, by its qualified name.

Used only to match config `unlock-points` that name a method of such a class
(`qemu_host.Host.run_on_cpu`, SPEC §3.1.1 "Names in config"): a field whose annotation or
constructor names that class (`self.host: qemu_host.Host = ...`, `self.host = Host()`,
a class-level `host: Host`), or a parameter annotated with it. Nothing is guessed: a field
typed two different ways, or by anything but a class name, has no external class.
"""

from __future__ import annotations

import weakref

import libcst as cst

from bqlint.model.classes import ClassInfo
from bqlint.model.project import External, ModuleInfo, Project
from bqlint.source import statements

_FIELDS: weakref.WeakKeyDictionary[ClassInfo, dict[str, str | None]] = weakref.WeakKeyDictionary()


def annotation_class(project: Project, module: ModuleInfo, expr: cst.BaseExpression) -> str | None:
    """Return the qualified name of the outside class an annotation names (`X`, `"X"`, `X | None`)."""
    if isinstance(expr, cst.SimpleString):
        text = expr.evaluated_value
        try:
            parsed = cst.parse_expression(text) if isinstance(text, str) else None
        except cst.ParserSyntaxError:
            return None
        return annotation_class(project, module, parsed) if parsed is not None else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        sides = [s for s in (expr.left, expr.right) if not (isinstance(s, cst.Name) and s.value == "None")]
        return annotation_class(project, module, sides[0]) if len(sides) == 1 else None
    if isinstance(expr, (cst.Name, cst.Attribute)):
        target = project.resolve_expr(expr, module)
        return target.qname if isinstance(target, External) else None
    return None


def _constructor_class(project: Project, module: ModuleInfo, value: cst.BaseExpression | None) -> str | None:
    if isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute)):
        return annotation_class(project, module, value.func)
    return None


def field_class(cls: ClassInfo, name: str) -> str | None:
    """Return the outside class field `name` of `cls` holds (own or inherited), if one."""
    for owner in cls.mro():
        fields = _FIELDS.get(owner)
        if fields is None:
            fields = _FIELDS[owner] = _own_fields(owner)
        if name in fields:
            return fields[name]
    return None


def _own_fields(cls: ClassInfo) -> dict[str, str | None]:
    found: dict[str, set[str | None]] = {}
    project, module = cls.project, cls.module
    for stmt in cls.node.body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    typed = annotation_class(project, module, small.annotation.annotation)
                    found.setdefault(small.target.value, set()).add(typed)
    for method in cls.methods.values():
        me = method.self_name
        if me is None:
            continue
        for node in statements(method.node.body):
            if isinstance(node, cst.AnnAssign):
                pairs = [(node.target, annotation_class(project, module, node.annotation.annotation))]
            elif isinstance(node, cst.Assign):
                pairs = [(t.target, _constructor_class(project, module, node.value)) for t in node.targets]
            else:
                continue
            for target, typed in pairs:
                if (
                    isinstance(target, cst.Attribute)
                    and isinstance(target.value, cst.Name)
                    and target.value.value == me
                ):
                    found.setdefault(target.attr.value, set()).add(typed)
    out: dict[str, str | None] = {}
    for name, typed_set in found.items():
        known = {t for t in typed_set if t is not None}
        out[name] = known.pop() if len(known) == 1 else None
    return out
