"""Classes: bases across modules, device classes, and what each field holds (cells or not).

SPEC §3.1: a device class derives (transitively) from `bql.Device` or a configured base; a
cell field is one whose annotation or constructor is a cell type, or a container of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

import libcst as cst

from bqlint.model.api import CELL_TYPES, DEVICE_BASES, THREAD, CellKind

if TYPE_CHECKING:
    from bqlint.model.functions import FunctionInfo
    from bqlint.model.project import ModuleInfo, Project, Target

_CONTAINERS = frozenset(
    "list tuple set frozenset dict deque List Tuple Set FrozenSet Dict Deque Sequence "
    "MutableSequence Mapping MutableMapping Iterable".split()
)
_WRAPPERS = frozenset({"Optional", "Union", "Final", "ClassVar", "Annotated"})


@dataclass(frozen=True, eq=False)
class CellType:
    """A cell: its kind, the inner class of a `BqlRefCell[T]` when known, and its declaration."""

    kind: CellKind
    type_name: str
    inner: ClassInfo | None = None
    decl: cst.CSTNode | None = None
    module: ModuleInfo | None = None


@dataclass(frozen=True, eq=False)
class CellContainer:
    """A container (list, tuple, dict) whose elements are cells."""

    element: CellType
    decl: cst.CSTNode | None = None


@dataclass(frozen=True, eq=False)
class Instance:
    """An instance of a class defined in the checked files."""

    cls: ClassInfo


FieldType = Union[CellType, CellContainer, Instance]


@dataclass(eq=False)
class ClassInfo:
    name: str
    qname: str
    node: cst.ClassDef
    module: ModuleInfo
    project: Project
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    subclasses: list[ClassInfo] = field(default_factory=list)
    # Property name -> {"getter"/"setter"/"deleter": accessor}.
    properties: dict[str, dict[str, FunctionInfo]] = field(default_factory=dict)
    _bases: list[Target] | None = None
    _fields: dict[str, FieldType] | None = None
    _device: bool | None = None
    _mro: list[ClassInfo] | None = None

    # ---- hierarchy -------------------------------------------------------------------
    def bases(self) -> list[Target]:
        if self._bases is None:
            self._bases = []
            for arg in self.node.bases:
                self._bases.append(self.project.resolve_expr(arg.value, self.module))
        return self._bases

    def mro(self) -> list[ClassInfo]:
        """Return this class and its project ancestors, depth-first, without repeats."""
        if self._mro is not None:
            return self._mro
        seen: list[ClassInfo] = []
        stack: list[ClassInfo] = [self]
        while stack:
            cls = stack.pop(0)
            if cls in seen:
                continue
            seen.append(cls)
            stack.extend(b for b in cls.bases() if isinstance(b, ClassInfo))
        self._mro = seen
        return seen

    def external_bases(self) -> set[str]:
        from bqlint.model.project import External  # project.py imports this module at its end

        return {b.qname for cls in self.mro() for b in cls.bases() if isinstance(b, External)}

    def is_device(self) -> bool:
        """Return whether this class derives from `bql.Device` or a configured device base."""
        if self._device is None:
            configured = set(self.project.config.device_bases)
            bases = self.external_bases() | {c.qname for c in self.mro()[1:]}
            self._device = bool(bases & (DEVICE_BASES | configured))
        return self._device

    def is_thread(self) -> bool:
        return THREAD in self.external_bases()

    def lookup(self, path: list[str]) -> Target:
        """Resolve `Class.attr...` to a method or nested class."""
        name = path[0]
        for cls in self.mro():
            if name in cls.methods:
                return cls.methods[name] if len(path) == 1 else None
        return None

    def method(self, name: str) -> FunctionInfo | None:
        """Return the method `name` as this class provides it (own or inherited)."""
        for cls in self.mro():
            if name in cls.methods:
                return cls.methods[name]
        return None

    def accessor(self, name: str, kind: str) -> FunctionInfo | None:
        """Return the property accessor `kind` of attribute `name`, own or inherited."""
        for cls in self.mro():
            if name in cls.properties:
                return cls.properties[name].get(kind)
        return None

    def is_property(self, name: str) -> bool:
        return any(name in cls.properties for cls in self.mro())

    def all_subclasses(self) -> list[ClassInfo]:
        out: list[ClassInfo] = []
        stack = list(self.subclasses)
        while stack:
            cls = stack.pop()
            if cls not in out:
                out.append(cls)
                stack.extend(cls.subclasses)
        return out

    def implementations(self, name: str) -> list[FunctionInfo]:
        """Return every method that `self.name()` may run: the inherited one and overrides."""
        found: list[FunctionInfo] = []
        own = self.method(name)
        if own is not None:
            found.append(own)
        for sub in self.all_subclasses():
            # What `self.name()` runs on an instance of `sub`: its own, or a mixin's by MRO.
            method = sub.method(name)
            if method is not None and method not in found:
                found.append(method)
        return found

    # ---- fields ----------------------------------------------------------------------
    def fields(self) -> dict[str, FieldType]:
        """Return the typed fields of this class, inherited ones included."""
        if self._fields is None:
            self._fields = {}
            for cls in reversed(self.mro()):
                if cls is self:
                    self._fields.update(self._own_fields())
                else:
                    self._fields.update(cls.fields())
        return self._fields

    def _own_fields(self) -> dict[str, FieldType]:
        out: dict[str, FieldType] = {}
        project, module = self.project, self.module
        for stmt in self.node.body.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if (
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                ):
                    typed = project.type_of_constructor(small.value, module, small)
                    if isinstance(typed, (CellType, CellContainer)):
                        out[small.targets[0].target.value] = typed
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    typed = project.type_of_annotation(small.annotation.annotation, module, small)
                    if typed is None and small.value is not None:
                        typed = project.type_of_constructor(small.value, module, small)
                    if typed is not None:
                        out[small.target.value] = typed
        for method in self.methods.values():
            for name, typed in method.self_field_types():
                known = out.get(name)
                if known is None or isinstance(known, Instance):
                    out[name] = typed
                elif isinstance(known, CellType) and isinstance(typed, CellType) and method.is_construction():
                    # The construction site is the cell's declaration (BQL007's related location).
                    out[name] = CellType(
                        known.kind, known.type_name, known.inner or typed.inner, typed.decl, typed.module
                    )
        return out

    def cell_field(self, name: str) -> CellType | CellContainer | None:
        typed = self.fields().get(name)
        return typed if isinstance(typed, (CellType, CellContainer)) else None


def cell_kind(qname: str, configured: tuple[str, ...]) -> CellKind | None:
    """Return the cell kind of a resolved type name, or None."""
    if qname in CELL_TYPES:
        return CELL_TYPES[qname]
    if qname in configured:
        return CellKind.CUSTOM
    return None


def is_container_name(name: str) -> bool:
    return name.rsplit(".", 1)[-1] in _CONTAINERS


def is_wrapper_name(name: str) -> bool:
    return name.rsplit(".", 1)[-1] in _WRAPPERS
