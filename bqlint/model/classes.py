"""Classes: bases across modules, device classes, and what each field holds (cells or not).

SPEC §3.1: a device class derives (transitively) from `bql.Device` or a configured base; a
cell field is one whose annotation or constructor is a cell type, or a container of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
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
    # The type variable standing for the inner type (`BqlRefCell[R]`), bound by a subclass.
    param: str | None = None
    # Declared as one member of a union (`BqlCell[int] | None`): the field may hold no cell.
    optional: bool = False


@dataclass(frozen=True, eq=False)
class CellContainer:
    """A container (list, tuple, dict) whose elements are cells."""

    element: CellType
    decl: cst.CSTNode | None = None


@dataclass(frozen=True, eq=False)
class Instance:
    """An instance of a class defined in the checked files."""

    cls: ClassInfo


@dataclass(frozen=True, eq=False)
class InstanceContainer:
    """A container whose elements are instances of a class of the checked files
    (`self.chans: list[Channel]`, `[Channel(i) for i in range(8)]`): `self.chans[i].m()`."""

    element: Instance


FieldType = Union[CellType, CellContainer, Instance, InstanceContainer]
# A path to an object as the analysis names it: a root (`self`, `p:x`, `g:mod.name`) and then
# attributes and indexes: `("self", "regs")`.
CellKey = tuple[str, ...]

_ENUM_BASES = frozenset({"enum.Enum", "enum.IntEnum", "enum.Flag", "enum.IntFlag", "enum.StrEnum"})
# What reading, assigning and deleting a descriptor attribute runs (Python's data model).
_DESCRIPTOR_METHODS = {"getter": "__get__", "setter": "__set__", "deleter": "__delete__"}


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
    # Classes defined in this class's body (`class Rtc: class Snapshot: ...`).
    nested: dict[str, ClassInfo] = field(default_factory=dict)
    # Method names the body rebinds last to what no method is (`m = lambda self: None`):
    # a lookup stops here and finds nothing.
    unknown: set[str] = field(default_factory=set)
    _bases: list[Target] | None = None
    _fields: dict[str, FieldType] | None = None
    # Names the class body assigns -> the project descriptor class each holds, or None.
    _attributes: dict[str, ClassInfo | None] | None = None
    _device: bool | None = None
    _mro: list[ClassInfo] | None = None
    _external: frozenset[str] | None = None
    _parent: ClassInfo | None = None
    _parent_known: bool = False
    # (name, accessor kind) -> what `accessors` found.
    _accessors: dict[tuple[str, str], list[FunctionInfo]] = field(default_factory=dict)
    # Memoised once the hierarchy is built: asked at every call, linear in the subclasses.
    _all_subclasses: list[ClassInfo] | None = None
    _subclass_fields: dict[str, FieldType | None] | None = None
    _implementations: dict[str, list[FunctionInfo]] = field(default_factory=dict)
    _after: dict[str, tuple[FunctionInfo, ...]] = field(default_factory=dict)
    _definers: dict[str, ClassInfo | None] = field(default_factory=dict)

    # ---- hierarchy -------------------------------------------------------------------
    def bases(self) -> list[Target]:
        if self._bases is None:
            self._bases = []
            for arg in self.node.bases:
                if arg.keyword is not None or arg.star:
                    continue  # `metaclass=...`, `*bases`
                expr = arg.value
                # SPEC §3.1.2: a subscripted base (`RegisterBank[Regs]`, `Generic[T]`) is its origin.
                while isinstance(expr, cst.Subscript):
                    expr = expr.value
                earlier = self.module.earlier.get(id(self.node))
                if earlier is not None and (self.project.dotted_name(expr) or "").split(".")[0] == self.name:
                    self._bases.append(self.project.resolve_with(self.module, expr, earlier))
                else:
                    self._bases.append(self.project.resolve_expr(expr, self.module))
        return self._bases

    def mro(self) -> list[ClassInfo]:
        """Return this class and its project ancestors in Python's C3 order."""
        if self._mro is None:
            self._mro = [self]  # a cyclic hierarchy (an error in Python) stops here
            self._mro = c3_linearization(self)
        return self._mro

    def external_bases(self) -> set[str]:
        from bqlint.model.project import External  # project.py imports this module at its end

        if self._external is None:
            own = {b.qname for b in self.bases() if isinstance(b, External)}
            parent = self._mro_parent()
            if parent is not None:
                self._external = frozenset(own | parent.external_bases())
            else:
                self._external = frozenset(
                    {b.qname for cls in self.mro() for b in cls.bases() if isinstance(b, External)}
                )
        return set(self._external)

    def _mro_parent(self) -> ClassInfo | None:
        """Return the base whose MRO is this class's MRO after this class (the usual case, a
        single base), so that what is a union over the MRO is this class's own part and the
        base's memoised union: linear along a chain of classes, not quadratic."""
        if not self._parent_known:
            self._parent_known = True
            for base in self.bases():
                if isinstance(base, ClassInfo):
                    if self.mro()[1:] == base.mro():  # identical objects: compared by identity
                        self._parent = base
                    break
        return self._parent

    def qnames(self) -> tuple[str, ...]:
        """Return every qualified name of this class (one per name of its module)."""
        return self.module.qualified(self.qname)

    def is_device(self) -> bool:
        """Return whether this class is, or derives from, `bql.Device` or a configured device
        base (SPEC §3.1.2: a class listed in `device-bases` is itself a device class)."""
        if self._device is None:
            configured = set(self.project.config.device_bases)
            parent = self._mro_parent()
            if parent is not None:
                own = self.external_bases() | set(self.qnames())
                self._device = bool(own & (DEVICE_BASES | configured)) or parent.is_device()
            else:
                bases = self.external_bases() | {q for c in self.mro() for q in c.qnames()}
                self._device = bool(bases & (DEVICE_BASES | configured))
        return self._device

    def is_thread(self) -> bool:
        return THREAD in self.external_bases()

    def lookup(self, path: list[str]) -> Target:
        """Resolve `Class.attr...` to a method or nested class (`Op.PROGRAM.run`: the method
        of an enum member)."""
        name = path[0]
        for cls in self.mro():
            if name in cls.methods:
                return cls.methods[name] if len(path) == 1 else None
            if name in cls.unknown:
                return None
            if name in cls.nested:
                inner = cls.nested[name]
                return inner.lookup(path[1:]) if len(path) > 1 else inner
        if len(path) == 2 and self.is_enum_member(name):
            return self.method(path[1])
        return None

    def is_enum_member(self, name: str) -> bool:
        """Whether `name` is a member of this class, an `enum.Enum`: a class-body assignment."""
        return bool(self.external_bases() & _ENUM_BASES) and name in self._own_attributes()

    def method(self, name: str) -> FunctionInfo | None:
        """Return the method `name` as this class provides it (own or inherited)."""
        for cls in self.mro():
            if name in cls.methods:
                return cls.methods[name]
            if name in cls.unknown:
                return None
        return None

    def definer(self, name: str) -> ClassInfo | None:
        """Return the first class of the MRO whose body defines `name` (a method, a property,
        a nested class or an assignment): the one whose definition Python uses."""
        if name not in self._definers:
            self._definers[name] = next((cls for cls in self.mro() if cls.defines(name)), None)
        return self._definers[name]

    def accessor(self, name: str, kind: str) -> FunctionInfo | None:
        """Return the property accessor `kind` of attribute `name`, own or inherited."""
        cls = self.definer(name)
        return cls.properties[name].get(kind) if cls is not None and name in cls.properties else None

    def accessors(self, name: str, kind: str) -> list[FunctionInfo]:
        """Return every property accessor `kind` that `obj.name` may run: this class's, and
        those of subclasses whose MRO makes `name` a property of their own (an override).
        Asked at every attribute access on an object of this class: found once per name."""
        found = self._accessors.get((name, kind))
        if found is None:
            picked = (cls.accessor(name, kind) for cls in self._deciding(name) if cls.is_property(name))
            found = self._accessors[(name, kind)] = list(dict.fromkeys(a for a in picked if a is not None))
        return found

    def is_property(self, name: str) -> bool:
        """Whether `obj.name` is a property: `baud = 115200` in a class before the one with the
        property in the MRO hides it (an assignment then stores a plain attribute)."""
        cls = self.definer(name)
        return cls is not None and name in cls.properties

    def descriptor(self, name: str) -> ClassInfo | None:
        """Return the project class of the descriptor that class attribute `name` holds
        (`ctrl = RegField(0)` in the class body, own or inherited), else None: reading
        `obj.name` runs its `__get__`, assigning `__set__`, deleting `__delete__`."""
        cls = self.definer(name)
        if cls is None or name in cls.methods or name in cls.properties:
            return None
        return cls._own_attributes().get(name)

    def descriptor_method(self, name: str, kind: str) -> FunctionInfo | None:
        """Return what accessing descriptor attribute `name` runs: "getter" `__get__`,
        "setter" `__set__`, "deleter" `__delete__` of its class, or None."""
        descriptor = self.descriptor(name)
        return descriptor.method(_DESCRIPTOR_METHODS[kind]) if descriptor is not None else None

    def _own_attributes(self) -> dict[str, ClassInfo | None]:
        if self._attributes is None:
            self._attributes = {}
            for name, value in class_assignments(self, annotated=True):
                typed = self.project.type_of_constructor(value, self.module, value)
                is_descriptor = isinstance(typed, Instance) and any(
                    typed.cls.method(method) is not None for method in _DESCRIPTOR_METHODS.values()
                )
                self._attributes[name] = typed.cls if is_descriptor else None  # type: ignore[union-attr]
        return self._attributes

    def all_subclasses(self) -> list[ClassInfo]:
        if self._all_subclasses is None:
            seen: dict[int, ClassInfo] = {}  # each class once: a lattice has many paths to it
            stack = list(self.subclasses)
            while stack:
                cls = stack.pop()
                if id(cls) in seen:
                    continue
                seen[id(cls)] = cls
                if cls._all_subclasses is not None:
                    seen.update((id(sub), sub) for sub in cls._all_subclasses)  # memoised: taken whole
                else:
                    stack.extend(cls.subclasses)
            self._all_subclasses = list(seen.values())
        return self._all_subclasses

    def _deciding(self, name: str | None) -> list[ClassInfo]:
        """Return this class and the subclasses where a lookup of `name` may differ from
        their base's: a subclass whose MRO is its single base's plus itself (`_mro_parent`)
        and whose body does not define `name` finds what that base finds. With no name:
        the subclasses whose MRO differs after this class (what `super()` finds)."""
        subclasses = self.all_subclasses()
        if name is None:
            return [self] + [sub for sub in subclasses if sub._mro_parent() is None]
        return [self] + [sub for sub in subclasses if sub._mro_parent() is None or sub.defines(name)]

    def defines(self, name: str) -> bool:
        """Whether this class's own body defines `name` (a method, property, nested class or
        assignment)."""
        return (
            name in self.methods or name in self.properties or name in self.nested or name in self._own_attributes()
        )

    def implementations(self, name: str) -> list[FunctionInfo]:
        """Return every method that `self.name()` may run: the inherited one and overrides
        (on an instance of a subclass: its own, or one its MRO picks)."""
        found = self._implementations.get(name)
        if found is None and mangled(name, self.name) != name:
            # `self.__step()` in this class is `self._<Class>__step()`: this body's own only.
            found = self._implementations[name] = [self.methods[name]] if name in self.methods else []
        if found is None:
            picked = (cls.method(name) for cls in self._deciding(name))
            found = self._implementations[name] = list(dict.fromkeys(m for m in picked if m is not None))
        return list(found)

    def after(self, name: str) -> tuple[FunctionInfo, ...]:
        """Return what `super().name()` in this class may run: the next definition after this
        class in the MRO of this class and of each subclass."""
        found = self._after.get(name)
        if found is None:
            methods: list[FunctionInfo] = []
            for owner in self._deciding(None):
                mro = owner.mro()
                at = next((i for i, cls in enumerate(mro) if cls is self), None)
                if at is None:
                    continue
                for base in mro[at + 1 :]:
                    method = base.methods.get(name)
                    if method is not None:
                        methods.append(method)
                    if method is not None or name in base.unknown:
                        break
            found = self._after[name] = tuple(dict.fromkeys(methods))
        return found

    # ---- fields ----------------------------------------------------------------------
    def fields(self) -> dict[str, FieldType]:
        """Return the typed fields of this class, inherited ones included."""
        if self._fields is None:
            self._fields = {}
            bound = self._type_arguments()
            for cls in reversed(self.mro()):
                if cls is self:
                    self._fields.update(self._own_fields())
                else:
                    # A base's private `__x` is `_Base__x` here: its plain name is its own.
                    inherited = {n: t for n, t in cls.fields().items() if mangled(n, cls.name) == n}
                    self._fields.update(_bind_params(inherited, bound))
        return self._fields

    def type_params(self) -> list[str]:
        """Return the type variables this class is generic in (`Generic[R]`, `Base[R]`, `[R]`)."""
        names: list[str] = []
        if self.node.type_parameters is not None:
            names.extend(p.param.name.value for p in self.node.type_parameters.params)
        for arg in self.node.bases:
            if isinstance(arg.value, cst.Subscript):
                for element in arg.value.slice:
                    value = element.slice.value if isinstance(element.slice, cst.Index) else None
                    if isinstance(value, cst.Name) and value.value not in names:
                        if not isinstance(self.project.resolve_expr(value, self.module), ClassInfo):
                            names.append(value.value)
        return names

    def _type_arguments(self) -> dict[str, ClassInfo | str]:
        """`class Gpio(RegisterBank[GpioRegs])`: the base's type variable -> `GpioRegs`;
        `class Mid(Bank[U])`: the base's type variable -> this class's type variable `U`."""
        out: dict[str, ClassInfo | str] = {}
        for arg in self.node.bases:
            if not isinstance(arg.value, cst.Subscript):
                continue
            origin = self.project.resolve_expr(arg.value.value, self.module)
            if not isinstance(origin, ClassInfo) or origin is self:
                continue
            args = [e.slice.value for e in arg.value.slice if isinstance(e.slice, cst.Index)]
            for name, value in zip(origin.type_params(), args):
                typed = self.project.type_of_annotation(value, self.module, value)
                if isinstance(typed, Instance):
                    out[name] = typed.cls
                elif isinstance(value, cst.Name) and self._is_type_variable(value.value):
                    out[name] = value.value
        return out

    def _is_type_variable(self, name: str) -> bool:
        """Whether `name` is a type variable of this class: `[T]` on the class, or a
        `T = TypeVar("T")` of its module."""
        if self.node.type_parameters is not None:
            if any(p.param.name.value == name for p in self.node.type_parameters.params):
                return True
        entry = self.module.symbols.get(name)
        if entry is None or entry[0] != "alias" or not isinstance(entry[1], cst.Call):
            return False
        func = entry[1].func
        if isinstance(func, cst.Attribute):
            return func.attr.value == "TypeVar"
        return isinstance(func, cst.Name) and func.value == "TypeVar"

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
                    out[name] = replace(
                        known,
                        inner=known.inner or typed.inner,
                        decl=typed.decl,
                        module=typed.module,
                        param=known.param or typed.param,
                    )
        # A private field (`self.__regs`) is Python's `_Class__regs`: what access paths
        # (cell keys) name, so that two classes' private fields are two cells.
        out.update({private: t for n, t in out.items() if (private := mangled(n, self.name)) != n})
        return out

    def subclass_field(self, name: str) -> FieldType | None:
        """The type of field `name` that this class never sets but its subclasses all set
        alike (a mixin's `self.regs`, the device's cell): `self` is an instance of one of them."""
        if self._subclass_fields is None:
            self._subclass_fields = {}
        if name not in self._subclass_fields:
            found = [fields[name] for sub in self.all_subclasses() if name in (fields := sub.fields())]
            first = found[0] if found else None
            same = all(same_field(first, other) for other in found[1:])
            self._subclass_fields[name] = first if same else None
        return self._subclass_fields[name]

    def cell_field(self, name: str) -> CellType | CellContainer | None:
        typed = self.fields().get(name)
        return typed if isinstance(typed, (CellType, CellContainer)) else None


def same_field(a: FieldType | None, b: FieldType | None) -> bool:
    """Whether two types are the same for a binding: the same class, or cells of one kind."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Instance) and isinstance(b, Instance):
        return a.cls is b.cls
    if isinstance(a, CellType) and isinstance(b, CellType):
        return a.kind == b.kind
    return a is b


def class_assignments(
    cls: ClassInfo, *, annotated: bool = False
) -> Iterator[tuple[str, cst.BaseExpression]]:
    """Yield (name, value) of each `name = value` statement of the class body (with
    `annotated`, of each `name: T = value` too)."""
    body = cls.node.body
    for stmt in body.body if isinstance(body, cst.IndentedBlock) else ():
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                if isinstance(small.targets[0].target, cst.Name):
                    yield small.targets[0].target.value, small.value
            elif annotated and isinstance(small, cst.AnnAssign) and small.value is not None:
                if isinstance(small.target, cst.Name):
                    yield small.target.value, small.value


def _bind_params(fields: dict[str, FieldType], bound: dict[str, ClassInfo | str]) -> dict[str, FieldType]:
    """Return `fields` with each cell whose inner type is a type variable of `bound` resolved
    to a class, or renamed to the subclass's own type variable."""
    if not bound:
        return fields
    out = dict(fields)
    for name, typed in fields.items():
        if isinstance(typed, CellType) and typed.inner is None and typed.param in bound:
            value = bound[typed.param]
            if isinstance(value, str):
                out[name] = dataclasses.replace(typed, param=value)
            else:
                out[name] = dataclasses.replace(typed, inner=value)
    return out


def c3_linearization(cls: ClassInfo) -> list[ClassInfo]:
    """Return `cls` followed by its project ancestors as Python's C3 merge orders them.

    Bases outside the checked files are left out (they hold no project methods); a hierarchy
    C3 rejects (Python raises TypeError) falls back to depth-first order without repeats.
    The merge walks each sequence with an index and counts, per class, the sequences that
    still hold it after their head, so it costs the length of the sequences, not its square
    (a chain of 2,000 classes in one file).
    """
    bases = [b for b in cls.bases() if isinstance(b, ClassInfo)]
    if len(bases) == 1:
        return [cls, *bases[0].mro()]  # C3 of [base.mro(), [base]] is base.mro() itself
    sequences = [b.mro() for b in bases] + [bases]
    heads = [0] * len(sequences)
    in_tails: dict[int, int] = {}
    for seq in sequences:
        for later in seq[1:]:
            in_tails[id(later)] = in_tails.get(id(later), 0) + 1
    out: list[ClassInfo] = [cls]
    while True:
        head: ClassInfo | None = None
        pending = False
        for seq, at in zip(sequences, heads):
            if at < len(seq):
                pending = True
                if not in_tails.get(id(seq[at])):
                    head = seq[at]
                    break
        if not pending:
            return out
        if head is None:
            seen = {id(c) for c in out}
            for base in bases:
                for c in base.mro():
                    if id(c) not in seen:
                        seen.add(id(c))
                        out.append(c)
            return out
        out.append(head)
        for i, seq in enumerate(sequences):
            at = heads[i]
            if at < len(seq) and seq[at] is head:
                heads[i] = at = at + 1
                if at < len(seq):
                    in_tails[id(seq[at])] -= 1


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


def mangled(name: str, class_name: str | None) -> str:
    """Return attribute `name` as Python stores it when written in the body of class
    `class_name`: `__x` is `_Class__x` (leading underscores of the class name dropped;
    dunder names and classes named only `_` are left alone)."""
    if class_name is None or not name.startswith("__") or name.endswith("__"):
        return name
    stripped = class_name.lstrip("_")
    return f"_{stripped}{name}" if stripped else name
