"""What an annotation or a constructor expression says a field holds (SPEC §3.1 "cell field")."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import libcst as cst

from bqlint.model.classes import (
    CellContainer,
    CellType,
    ClassInfo,
    FieldType,
    Instance,
    InstanceContainer,
    cell_kind,
    is_container_name,
    is_wrapper_name,
)

if TYPE_CHECKING:
    from bqlint.model.project import ModuleInfo, Project


def _name_of(project: Project, expr: cst.BaseExpression, module: ModuleInfo) -> tuple[str, object]:
    """Return the qualified name of what `expr` names (the one config lists, if any) and it."""
    target = project.resolve_expr(expr, module)
    if isinstance(target, ClassInfo):
        configured = project.config.cell_types
        # The class or one it derives from, as `isinstance` says: a project class deriving
        # from a cell type is a cell of that kind (`class CountCell(bql.BqlCell)`).
        listed = (q for c in target.mro() for q in c.qnames() if q in configured)
        external = (q for q in sorted(target.external_bases()) if cell_kind(q, configured))
        return (next(listed, None) or next(external, None) or target.qname, target)
    return (getattr(target, "qname", "") or "", target)


def _cell(
    project: Project, qname: str, inner: ClassInfo | None, decl: cst.CSTNode, module: ModuleInfo
) -> CellType | None:
    kind = cell_kind(qname, project.config.cell_types)
    return CellType(kind, qname.rsplit(".", 1)[-1], inner, decl, module) if kind else None


def type_of_annotation(
    project: Project, expr: cst.BaseExpression, module: ModuleInfo, decl: cst.CSTNode
) -> FieldType | None:
    """Return the field type an annotation declares, or None when it is not a cell or class."""
    if isinstance(expr, cst.SimpleString):
        try:
            inner = cst.parse_expression(
                expr.evaluated_value if isinstance(expr.evaluated_value, str) else ""
            )
        except (cst.ParserSyntaxError, Exception):
            return None
        return type_of_annotation(project, inner, module, decl)
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        return _in_union(
            type_of_annotation(project, expr.left, module, decl)
            or type_of_annotation(project, expr.right, module, decl)
        )
    if isinstance(expr, cst.Subscript):
        qname, origin = _name_of(project, expr.value, module)
        args = [e.slice.value for e in expr.slice if isinstance(e.slice, cst.Index)]
        if cell_kind(qname, project.config.cell_types):
            inner_class: ClassInfo | None = None
            if args:
                found = type_of_annotation(project, args[0], module, decl)
                inner_class = found.cls if isinstance(found, Instance) else None
            cell = _cell(project, qname, inner_class, decl, module)
            if cell is not None and inner_class is None and args and isinstance(args[0], cst.Name):
                cell = dataclasses.replace(cell, param=args[0].value)  # `BqlRefCell[R]`
            return cell
        if is_container_name(qname) or qname in ("list", "tuple", "dict", "set"):
            elements = [type_of_annotation(project, arg, module, decl) for arg in args]
            if qname.rsplit(".", 1)[-1] in _MAPPINGS:  # an item of a mapping is one of its values
                last = len(elements) - 1
                elements = [t if isinstance(t, CellType) or i == last else None for i, t in enumerate(elements)]
            return _element_container(elements, decl)
        if is_wrapper_name(qname):
            wrapper = qname.rsplit(".", 1)[-1]
            union = wrapper == "Optional" or (wrapper == "Union" and len(args) > 1)
            for arg in args:
                found = type_of_annotation(project, arg, module, decl)
                if found is not None:
                    return _in_union(found) if union else found
        if isinstance(origin, ClassInfo):
            return Instance(origin)  # `Fifo[int]`: a generic project class is its origin
        return None
    if isinstance(expr, (cst.Name, cst.Attribute)):
        qname, target = _name_of(project, expr, module)
        if isinstance(target, ClassInfo) and not cell_kind(qname, project.config.cell_types):
            return Instance(target)
        return _cell(project, qname, None, decl, module)
    return None


def _in_union(found: FieldType | None) -> FieldType | None:
    """A cell declared as one member of a union may be absent: the field may hold another value."""
    return dataclasses.replace(found, optional=True) if isinstance(found, CellType) else found


def type_of_constructor(
    project: Project, expr: cst.BaseExpression, module: ModuleInfo, decl: cst.CSTNode
) -> FieldType | None:
    """Return the field type a constructor expression creates (`BqlCell(0)`, `[IRQ() ...]`)."""
    if isinstance(expr, cst.Call):
        func = expr.func
        while isinstance(func, cst.Subscript):
            func = func.value  # `Fifo[int](8)`: an instance of its origin class
        qname, target = _name_of(project, func, module)
        if isinstance(target, ClassInfo) and not cell_kind(qname, project.config.cell_types):
            return Instance(target)
        if qname in ("list", "tuple", "set", "frozenset") and expr.args:
            return _container(project, expr.args[0].value, module, decl)
        inner = None
        if expr.args:
            found = type_of_constructor(project, expr.args[0].value, module, decl)
            inner = found.cls if isinstance(found, Instance) else None
        if inner is None and isinstance(expr.func, cst.Subscript):
            typed = type_of_annotation(project, expr.func, module, decl)
            if isinstance(typed, CellType):
                return typed
        return _cell(project, qname, inner, decl, module)
    return _container(project, expr, module, decl)


_MAPPINGS = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "DefaultDict", "defaultdict", "ChainMap"})


def _element_container(
    found: list[FieldType | None], decl: cst.CSTNode
) -> CellContainer | InstanceContainer | None:
    """The container of the first cell type among `found`, else of the one class instance."""
    for typed in found:
        if isinstance(typed, CellType):
            return CellContainer(typed, decl)
    instances = {id(t.cls): t for t in found if isinstance(t, Instance)}
    return InstanceContainer(next(iter(instances.values()))) if len(instances) == 1 else None


def _container(
    project: Project, expr: cst.BaseExpression, module: ModuleInfo, decl: cst.CSTNode
) -> CellContainer | InstanceContainer | None:
    elements: list[cst.BaseExpression] = []
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        elements = [e.value for e in expr.elements if isinstance(e, cst.Element)]
    elif isinstance(expr, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        elements = [expr.elt]
    elif isinstance(expr, cst.Dict):
        elements = [e.value for e in expr.elements if isinstance(e, cst.DictElement)]
    elif isinstance(expr, cst.DictComp):
        elements = [expr.value]
    return _element_container([type_of_constructor(project, element, module, decl) for element in elements], decl)
