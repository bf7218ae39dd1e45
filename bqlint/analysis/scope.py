"""What names mean inside one function: locals, parameters, globals, their types, and calls.

Types are flow-insensitive (a local's type is the one its constructor or annotation gives);
guards are tracked flow-sensitively by the dataflow, this module only says which names may
hold one. Calls resolve as SPEC §3.1.1 fixes; anything else resolves to nothing.
"""

from __future__ import annotations

import libcst as cst

from bqlint.analysis.events import CellKey
from bqlint.model.api import BORROW_METHODS, TRY_BORROW_METHODS, CellKind
from bqlint.model.lazy import may_be_lazy
from bqlint.model.classes import (
    CellContainer,
    CellType,
    ClassInfo,
    FieldType,
    Instance,
    InstanceContainer,
    mangled,
    same_field,
)
from bqlint.model.external import annotation_class, field_class
from bqlint.model.functions import FunctionInfo
from bqlint.analysis.bindings import (
    DISPLAY_TYPES,
    DISPLAYS,
    branches,
    container_names,
    guard_bindings,
    guard_exprs,
    is_borrow_call,
    is_callable_expr,
    match_guard_bindings,
    value_bindings,
)
from bqlint.model.project import External, dotted, import_bindings


def _target_names(target: cst.BaseExpression) -> list[cst.Name]:
    if type(target) is cst.Name:
        return [target]
    if type(target) is cst.Tuple or type(target) is cst.List:
        out: list[cst.Name] = []
        for element in target.elements:
            out.extend(_target_names(element.value))
        return out
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


_EMPTY_MODULE = cst.Module([])
_BINDING_NODES = frozenset(
    {
        cst.Global,
        cst.Nonlocal,
        cst.Assign,
        cst.AnnAssign,
        cst.AugAssign,
        cst.NamedExpr,
        cst.For,
        cst.CompFor,
        cst.WithItem,
        cst.ExceptHandler,
        cst.Match,
        cst.FunctionDef,
        cst.ClassDef,
        cst.Import,
        cst.ImportFrom,
    }
)


_UNKNOWN = object()


class FunctionScope:
    """Names, keys and types of one function."""

    def __init__(self, fn: FunctionInfo) -> None:
        self.fn = fn
        self.project = fn.project
        self.module = fn.module
        self.self_name = fn.self_name
        self._rebound_self = fn.rebound_self()
        # Where the body rebinds `self` later, its uses before the first rebinding still name the instance.
        self._self_before_rebinding = {
            id(node) for node in fn.before_rebinding() if type(node) is cst.Name and node.value == self._rebound_self
        }
        top = fn
        while top.parent is not None:
            top = top.parent
        # The class whose body holds this code: Python mangles its private names (`__x`).
        self.class_name = top.cls.name if top.cls is not None else None
        self.params = fn.param_names()
        # Keys of Attribute/Subscript paths by node, kept once the scan has settled the locals:
        # an attribute chain asks for the key of each of its prefixes, which walked the whole
        # prefix each time (quadratic in its length).
        self._keys: dict[int, CellKey | None] | None = None
        self.locals: set[str] = set(self.params)
        self.globals: set[str] = set()
        self.local_types: dict[str, FieldType | None] = {}
        self.guard_sources: dict[str, list[cst.BaseExpression]] = {}
        self.imports: dict[str, str] = {}  # local name -> dotted target, of imports in the body
        self._callable_sources: dict[str, list[cst.BaseExpression | None]] = {}
        self._callables: dict[str, tuple[cst.BaseExpression, ...]] = {}
        # Per binding of each name, the lazy iterator it is assigned (`g = (… for …)`), or None.
        self._lazy_sources: dict[str, list[cst.BaseExpression | None]] = {}
        self._resolving: set[str] = set()  # aliases being followed (`a = b; b = a` ends)
        # Names bound to a display or a starred target: iterating them yields what they hold.
        self.containers: set[str] = set()
        # Names bound somewhere by a form that is not a container display or starred list.
        self._not_containers: set[str] = set()
        self._loops_over: list[tuple[str, str]] = []
        self._parent: FunctionScope | None = None
        # Parameters of the lambdas whose body is being evaluated (bound_calls.py): unknown.
        self.hidden: set[str] = set()
        self._scan()
        self._keys = {}

    @property
    def parent(self) -> FunctionScope | None:
        """The scope of the enclosing function, for names a closure reads from it."""
        if self._parent is None and self.fn.parent is not None:
            self._parent = FunctionScope(self.fn.parent)
        return self._parent

    # ---- one pass over the body ------------------------------------------------------
    def _scan(self) -> None:
        if self._rebound_self is not None and self.fn.cls is not None:
            self.local_types[self._rebound_self] = Instance(self.fn.cls)  # until it is rebound
        for name in self.params:
            annotation = self.fn.param_annotation(name)
            if annotation is not None and name != self.self_name:
                self.local_types[name] = self.project.type_of_annotation(annotation, self.module, annotation)
        for node in self.fn.body_nodes():
            kind = type(node)
            if kind not in _BINDING_NODES:
                continue
            if kind is cst.Global or kind is cst.Nonlocal:
                self.globals.update(n.name.value for n in node.names)  # type: ignore[attr-defined]
            elif kind is cst.Assign:
                for target in node.targets:  # type: ignore[attr-defined]
                    self._bind(target.target, node.value)  # type: ignore[attr-defined]
            elif kind is cst.AnnAssign:
                self._bind(node.target, node.value, node.annotation.annotation)  # type: ignore[attr-defined]
            elif kind is cst.AugAssign:
                self._bind(node.target, None)  # type: ignore[attr-defined]
            elif kind is cst.NamedExpr:
                self._bind(node.target, node.value)  # type: ignore[attr-defined]
            elif kind is cst.For or kind is cst.CompFor:
                self._bind_loop(node.target, node.iter)  # type: ignore[attr-defined]
            elif kind is cst.WithItem:
                if node.asname is not None:  # type: ignore[attr-defined]
                    self._bind(node.asname.name, node.item)  # type: ignore[attr-defined]
            elif kind is cst.Match:
                for case in node.cases:  # type: ignore[attr-defined]
                    subject = node.subject  # type: ignore[attr-defined]
                    for name, source in match_guard_bindings(case.pattern, subject):
                        self._lazy_sources.setdefault(name, []).append(None)
                        self.locals.add(name)
                        self._not_containers.add(name)
                        self.guard_sources.setdefault(name, []).append(source)
            elif kind is cst.ExceptHandler:
                if node.name is not None:  # type: ignore[attr-defined]
                    self._bind(node.name.name, None)  # type: ignore[attr-defined]
            elif kind is cst.FunctionDef or kind is cst.ClassDef:
                if node is not self.fn.node:
                    self._lazy_sources.setdefault(node.name.value, []).append(None)  # type: ignore[attr-defined]
                    self.locals.add(node.name.value)  # type: ignore[attr-defined]
                    self._not_containers.add(node.name.value)  # type: ignore[attr-defined]
                    self.local_types[node.name.value] = None  # type: ignore[attr-defined]
            elif isinstance(node, (cst.Import, cst.ImportFrom)):
                # An import inside the function binds a local name to a module or definition.
                for local, target in import_bindings(node, self.module):
                    if local != "*":
                        self.imports[local] = target
        self.locals -= self.globals
        for name, container in self._loops_over:  # `for g in rest` where `first, *rest = ...`
            if container in self.containers:
                self.guard_sources.setdefault(name, []).append(cst.Name(container))
        self._keep_guard_names()

    def written_param(self, name: str) -> bool:
        """Whether `name` is a parameter (not `self`) that the body never rebinds: a write
        through it is a write through whatever the caller passed."""
        return (
            name in self.params
            and name != self.self_name
            and name not in self.containers
            and name not in self._not_containers
            and name not in self.globals
            and name not in self.guard_sources
        )

    def only_containers(self, name: str) -> bool:
        """Whether every binding of local `name` is a display or a starred target's list, so
        that a loop over it runs no iteration only when it holds nothing."""
        return (
            name in self.containers
            and name not in self._not_containers
            and name not in self.params
            and name not in self.globals
            and name not in self.imports
        )

    def bound_callables(self, name: str) -> tuple[cst.BaseExpression, ...]:
        """Return what local `name` is bound to when every binding of it is a resolvable
        callable (SPEC §3.1.2: `cb = self.m`, `partial(self.m, 1)`, a lambda), else ()."""
        found = self._callables.get(name)
        if found is None:
            values = self._callable_sources.get(name, [None])
            ok = name not in self.params and name not in self.globals
            if ok and all(v is not None and self._resolvable(v) for v in values):
                found = tuple(b for v in values if v is not None for b in branches(v))
            else:
                found = ()
            self._callables[name] = found
        return found

    def _resolvable(self, value: cst.BaseExpression) -> bool:
        """Whether a callable expression names a definition, not a parameter or a variable."""
        if isinstance(value, cst.IfExp):
            return self._resolvable(value.body) and self._resolvable(value.orelse)
        if isinstance(value, cst.Lambda):
            # Its body is evaluated at the call (`lambda: self.regs.borrow().fifo[0]`); only a
            # body that just calls a parameter or a variable resolves to nothing.
            if not isinstance(value.body, cst.Call) or dotted(value.body.func) is None:
                return True
            head = (dotted(value.body.func) or "").split(".")[0]
            lambda_params = {p.name.value for p in value.params.params}
            if head in lambda_params:
                return False
            # `lambda: g.release()`: a method of the guard a local holds, run at the call.
            guard_method = type(value.body.func) is cst.Attribute and self.may_hold_guard(head)
            return guard_method or self._resolvable(value.body.func)
        if isinstance(value, cst.Call):
            return self._resolvable(value.args[0].value)
        head = (dotted(value) or "").split(".")[0]
        if not head:
            return False
        if head == self.self_name or head in self.imports:
            return True
        if head in self.locals:
            if self._nested_function(head) is not None:
                return True
            # `cb2 = cb`: an alias of a local that is itself bound to callables on every path.
            return type(value) is cst.Name and head not in self._resolving and self._alias_resolves(head)
        return True

    def _alias_resolves(self, name: str) -> bool:
        self._resolving.add(name)
        try:
            return bool(self.bound_callables(name))
        finally:
            self._resolving.discard(name)

    def _keep_guard_names(self) -> None:
        """Keep in `guard_sources` only names that may end up holding a borrow guard."""
        capable = {n for n, srcs in self.guard_sources.items() if any(is_borrow_call(s) for s in srcs)}
        changed = True
        while changed:
            changed = False
            for name, sources in self.guard_sources.items():
                if name not in capable and any(
                    isinstance(s, cst.Name) and s.value in capable for s in sources
                ):
                    capable.add(name)
                    changed = True
        self.guard_sources = {n: s for n, s in self.guard_sources.items() if n in capable}

    def _bind(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        annotation: cst.BaseExpression | None = None,
    ) -> None:
        names = _target_names(target)
        # Each name's values where the syntax says them (`a, b = Cell(1), Cell(2)`).
        valued = {name: (values, starred) for name, values, starred in value_bindings(target, value)}
        for name in names:
            self.locals.add(name.value)
            typed = None
            if len(names) == 1 and annotation is not None:
                typed = self.project.type_of_annotation(annotation, self.module, target)
            if typed is None and name.value in valued:
                values, starred = valued[name.value]
                # A starred target holds a new list: its elements are not tracked as cells
                # (a loop over it would take every element for one cell).
                typed = None if starred else self.value_type(values[0])
            previous = self.local_types.get(name.value, typed)
            self.local_types[name.value] = typed if previous is typed or same_field(previous, typed) else None
        for bound, source in guard_bindings(target, value):
            self.guard_sources.setdefault(bound, []).append(source)
        held = set(container_names(target, value))
        self.containers.update(held)
        self._not_containers.update(name.value for name in names if name.value not in held)
        for name in names:
            lazy = value if type(target) is cst.Name and (may_be_lazy(value) or type(value) is cst.Call) else None
            self._lazy_sources.setdefault(name.value, []).append(lazy)
        if type(target) is cst.Name:
            bound_to = value if is_callable_expr(value) else None
            self._callable_sources.setdefault(target.value, []).append(bound_to)
            return
        for name in names:
            self._callable_sources.setdefault(name.value, []).append(None)

    def value_type(self, value: cst.BaseExpression) -> FieldType | None:
        """The type of a value bound to a name: through a walrus, and of a conditional
        expression whose branches have the same type (a cell's inner type only if both agree)."""
        if type(value) is cst.NamedExpr:
            return self.value_type(value.value)
        if type(value) is cst.IfExp:
            body, orelse = self.value_type(value.body), self.value_type(value.orelse)
            if body is None or not same_field(body, orelse):
                return None
            if isinstance(body, CellType) and isinstance(orelse, CellType) and body.inner is not orelse.inner:
                return CellType(body.kind, body.type_name, None, body.decl, body.module)
            return body
        typed = self.type_of_expr(value)
        if typed is None and type(value) is cst.Call:
            typed = self._cast_type(value) or self._result_type(value)
        return typed

    def _cast_type(self, call: cst.Call) -> FieldType | None:
        """`typing.cast(Dev, opaque)`: a value of the type its first argument names."""
        target = self.resolve_name(call.func) if type(call.func) in (cst.Name, cst.Attribute) else None
        if not (isinstance(target, External) and target.qname == "typing.cast") or not call.args:
            return None
        annotation = call.args[0].value
        return self.project.type_of_annotation(annotation, self.module, annotation)

    def _result_type(self, call: cst.Call) -> FieldType | None:
        """`s = PL061(opaque)` where `def PL061(...) -> PL061State`: what the callee is
        annotated to return, when calling it runs it (not a coroutine or generator function)."""
        callee = self.callee_of(call)
        if callee is None or callee.is_async or callee.is_generator():
            return None
        return self.return_type(call)

    def _bind_loop(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        if (
            isinstance(iterable, cst.Call)
            and isinstance(iterable.func, cst.Name)
            and isinstance(target, cst.Tuple)
        ):
            # `for irq, level in zip(self.irqs, levels)`, `for n, irq in enumerate(self.irqs)`
            sources = [a.value for a in iterable.args if a.keyword is None]
            if iterable.func.value == "enumerate" and sources:
                sources = [cst.Name("_"), sources[0]]
            if iterable.func.value in ("zip", "enumerate"):
                for part, source in zip(target.elements, sources):
                    self._bind_loop(part.value, source)
                return
        typed = self.type_of_expr(iterable)
        element = typed.element if isinstance(typed, (CellContainer, InstanceContainer)) else None
        for name in _target_names(target):
            self.locals.add(name.value)
            self._not_containers.add(name.value)
            self._lazy_sources.setdefault(name.value, []).append(None)
            self._callable_sources.setdefault(name.value, []).extend(_loop_callables(target, iterable))
            if name.value not in self.local_types:
                self.local_types[name.value] = element
        if isinstance(target, cst.Name) and isinstance(iterable, DISPLAYS):
            # `for g in (a.borrow(), b.borrow())`: the target holds one of the guards.
            self.guard_sources.setdefault(target.value, []).extend(guard_exprs(iterable))
        elif isinstance(target, cst.Name) and isinstance(iterable, cst.Name):
            self._loops_over.append((target.value, iterable.value))

    # ---- keys and types --------------------------------------------------------------
    def root_of(self, name: str) -> str | None:
        if name == self.self_name:
            return "self"
        if name == self._rebound_self:
            # `self = self.peer` in the body: a local whose cells change where it is rebound.
            return f"p:{name}"
        if name in self.locals:
            return f"p:{name}" if name in self.params else f"l:{name}"
        if self.fn.parent is not None and self.parent is not None and name in self.parent.locals:
            return f"c:{name}"
        if name in self.module.symbols:
            return f"g:{self.module.name}.{name}"
        return None

    def key_of(self, expr: cst.BaseExpression) -> CellKey | None:
        """Return the key of a Name/Attribute/Subscript path (`self.irqs[0]` -> self, irqs, [0])."""
        if type(expr) is cst.Name:
            root = "self" if id(expr) in self._self_before_rebinding else self.root_of(expr.value)
            return (root,) if root else None
        if type(expr) is cst.Attribute or type(expr) is cst.Subscript:
            keys = self._keys
            if keys is None:
                return self._path_key(expr)
            known = keys.get(id(expr), _UNKNOWN)
            if known is _UNKNOWN:
                known = keys[id(expr)] = self._path_key(expr)
            return known  # type: ignore[return-value]
        return None

    def _path_key(self, expr: cst.Attribute | cst.Subscript) -> CellKey | None:
        if type(expr) is cst.Attribute:
            base = self.key_of(expr.value)
            return (*base, mangled(expr.attr.value, self.class_name)) if base else None
        if type(expr) is cst.Subscript:
            base = self.key_of(expr.value)
            if base is None:
                return None
            index = expr.slice[0].slice if len(expr.slice) == 1 else None
            if isinstance(index, cst.Index):
                # The same index expression is the same element; `[n - 1]` and `[n]` are not.
                text = " ".join(_EMPTY_MODULE.code_for_node(index.value).split())
                return (*base, f"[{text}]")
            return (*base, "[:]")
        return None

    def type_of_key(self, key: CellKey) -> FieldType | None:
        """Return the type of the object a key names, when the model knows it."""
        root = key[0]
        typed: FieldType | None
        if root == "self":
            typed = Instance(self.fn.cls) if self.fn.cls is not None else None
        elif root.startswith(("p:", "l:")):
            typed = self.local_types.get(root[2:])
        elif root.startswith("c:"):
            typed = self.parent.type_of_key((self.parent.root_of(root[2:]) or "",)) if self.parent else None
        else:
            typed = self._global_type(root[2:].rsplit(".", 1)[-1])
        for index, part in enumerate(key[1:]):
            if isinstance(typed, Instance):
                fields = typed.cls.fields()
                if part in fields or index or root != "self":
                    typed = fields.get(part)
                else:  # a mixin's `self.regs`: the field its subclasses declare
                    typed = typed.cls.subclass_field(part)
            elif isinstance(typed, (CellContainer, InstanceContainer)) and part.startswith("["):
                typed = typed.element
            else:
                return None
        return typed

    def _global_type(self, name: str) -> FieldType | None:
        entry = self.module.symbols.get(name)
        if entry is None or entry[0] != "alias":
            return None
        value = entry[1]
        if not isinstance(value, cst.BaseExpression):
            return None
        return self.project.type_of_constructor(value, self.module, value) or self.project.type_of_annotation(
            value, self.module, value
        )

    def type_of_expr(self, expr: cst.BaseExpression) -> FieldType | None:
        key = self.key_of(expr)
        if key is not None:
            return self.type_of_key(key)
        if isinstance(expr, cst.Call):
            return self.project.type_of_constructor(expr, self.module, expr)
        return None

    def callee_of(self, call: cst.Call) -> FunctionInfo | None:
        """Return the function of the checked files `call` calls: a method of a known object
        (`self.m()`, `self.bus.m()`), or a function or `Class.method` by name."""
        func = call.func
        if isinstance(func, cst.Attribute):
            typed = self.type_of_expr(func.value)
            if isinstance(typed, Instance):
                return typed.cls.method(func.attr.value)
        if isinstance(func, cst.Name) and func.value in self.locals:
            return None
        callee = self.resolve_name(func)
        return callee if isinstance(callee, FunctionInfo) else None

    def return_type(self, call: cst.Call) -> FieldType | None:
        """Return the type the function `call` calls is annotated to return (`def
        transaction(self) -> Transaction`)."""
        callee = self.callee_of(call)
        if callee is None or callee.node.returns is None:
            return None
        return self.project.type_of_annotation(callee.node.returns.annotation, callee.module, callee.node)

    def property_type(self, expr: cst.BaseExpression) -> FieldType | None:
        """Return the type a property's getter is annotated to return (`obj.calibration`)."""
        if not isinstance(expr, cst.Attribute):
            return None
        owner = self.type_of_expr(expr.value)
        getter = owner.cls.accessor(expr.attr.value, "getter") if isinstance(owner, Instance) else None
        if getter is None or getter.node.returns is None:
            return None
        return self.project.type_of_annotation(getter.node.returns.annotation, getter.module, getter.node)

    def external_class_of(self, key: CellKey) -> str | None:
        """Return the qualified name of the class outside the checked files that the object
        `key` names is declared as: a parameter's annotation, or a field's."""
        if len(key) == 1 and key[0].startswith("p:"):
            annotation = self.fn.param_annotation(key[0][2:])
            return annotation_class(self.project, self.module, annotation) if annotation is not None else None
        if len(key) >= 2 and not key[-1].startswith("["):
            owner = self.type_of_key(key[:-1])
            if isinstance(owner, Instance):
                return field_class(owner.cls, key[-1])
        return None

    def cell_of(self, expr: cst.BaseExpression) -> tuple[CellKey, CellType] | None:
        key = self.key_of(expr)
        if key is None:
            return None
        typed = self.type_of_key(key)
        return (key, typed) if isinstance(typed, CellType) else None

    def untyped_param_refcell(self, expr: cst.BaseExpression, method: str) -> tuple[CellKey, CellType] | None:
        """`dev.regs.borrow_mut()` on a parameter the model has no type for: a borrow of
        `dev.regs`, which a caller maps onto its argument (SPEC §3.1.2 "Calls also resolve":
        `helper(self)` that borrows `dev.regs` borrows `self.regs`)."""
        if method not in BORROW_METHODS and method not in TRY_BORROW_METHODS:
            return None
        key = self.key_of(expr)
        if key is None or len(key) < 2 or not key[0].startswith("p:") or key[0][2:] == self.self_name:
            return None
        if self.type_of_key(key[:1]) is not None or self.type_of_key(key) is not None:
            return None
        return key, _UNTYPED_REFCELL

    # ---- calls -----------------------------------------------------------------------
    def resolve_name(self, expr: cst.BaseExpression) -> object:
        """Resolve a Name/Attribute callee not rooted in a local: a definition or External."""
        name = dotted(expr)
        if name is None:
            return None
        head = name.split(".")[0]
        if head in self.hidden:
            return None  # a parameter of the lambda being evaluated: unknown
        enclosing = self._enclosing(head)
        imports = self.imports
        if head not in imports and enclosing is not None:
            imports = enclosing.imports
        if head in imports:
            target = ".".join([imports[head], *name.split(".")[1:]])
            return self.project.resolve(target, self.module.root)
        if head == self.self_name or head == self._class_param():
            return self.class_attribute(expr)
        if head in self.locals:
            nested = self._nested_function(head) if "." not in name else None
            return nested
        if enclosing is not None:
            # A closure reads the enclosing function's local: its nested `def`, else unknown.
            return enclosing._nested_function(head) if "." not in name else None
        return self.project.resolve_expr(expr, self.module)  # module names, then star imports

    def _enclosing(self, head: str) -> FunctionScope | None:
        """The nearest enclosing function that binds `head` (a closure reads its names), or
        None when `head` is this function's own, declared global, or bound by none."""
        if head in self.locals or head in self.globals:
            return None
        scope = self.parent
        while scope is not None:
            if head in scope.imports or head in scope.locals:
                return scope
            if head in scope.globals:
                return None
            scope = scope.parent
        return None

    def _class_param(self) -> str | None:
        """Return the `cls` parameter of a classmethod, or None."""
        if self.fn.cls is None or self.fn.parent is not None or not self.fn.is_classmethod():
            return None
        return self.params[0] if self.params else None

    def class_attribute(self, expr: cst.BaseExpression) -> ClassInfo | FunctionInfo | None:
        """`self.Snapshot`, `cls.Snapshot.capture`: a nested class of the enclosing class (or
        a method of one), reached through `self` / `cls`; None for anything else."""
        name = dotted(expr)
        cls = self.fn.cls
        if name is None or cls is None or name.count(".") < 1:
            return None
        parts = name.split(".")[1:]
        if parts[0] in cls.fields():
            return None  # an instance field shadows the class attribute
        nested = cls.lookup(parts[:1])
        if not isinstance(nested, ClassInfo):
            return None
        found = nested.lookup(parts[1:]) if len(parts) > 1 else nested
        return found if isinstance(found, (ClassInfo, FunctionInfo)) else None

    def is_builtin(self, name: str) -> bool:
        """Whether `name` here is Python's builtin: no local, import or module definition
        binds it (a module that defines its own `type` or `super` means that one)."""
        return name not in self.locals and name not in self.imports and name not in self.module.symbols

    def _nested_function(self, name: str) -> FunctionInfo | None:
        return self.project.nested_function(self.fn, name)

    def methods_on(self, typed: FieldType | None, name: str) -> tuple[FunctionInfo, ...]:
        if isinstance(typed, Instance):
            return tuple(typed.cls.implementations(name))
        return ()

    def super_method(self, name: str, start: ClassInfo | None = None) -> tuple[FunctionInfo, ...]:
        """Return what `super().name()` may run: the next class after `start` (the enclosing
        class) in the MRO of that class and of each subclass in the checked files."""
        cls = start or self.fn.cls
        return () if cls is None else cls.after(name)

    def inner_class(self, guard: str) -> ClassInfo | None:
        """Return the class inside the cells whose guards `guard` may hold."""
        for source in self.guard_sources.get(guard, ()):
            if is_borrow_call(source):
                assert isinstance(source, cst.Call) and isinstance(source.func, cst.Attribute)
                found = self.cell_of(source.func.value)
                if found is not None and found[1].inner is not None:
                    return found[1].inner
            elif isinstance(source, cst.Name) and source.value != guard:
                inner = self.inner_class(source.value) if source.value in self.guard_sources else None
                if inner is not None:
                    return inner
        return None

    def lazy_value(self, name: str) -> cst.BaseExpression | None:
        """Return the lazy iterator or call local `name` is assigned when that assignment is
        its only binding (`samples = (self.sample(i) for i in ...)`, `gen = self.machine()`),
        else None."""
        values = self._lazy_sources.get(name)
        if values is None or len(values) != 1 or name in self.params or name in self.globals:
            return None
        return None if name in self.imports else values[0]

    def may_hold_guard(self, name: str) -> bool:
        return name in self.guard_sources


_UNTYPED_REFCELL = CellType(CellKind.REFCELL, "BqlRefCell")


def _loop_callables(
    target: cst.BaseExpression, iterable: cst.BaseExpression
) -> list[cst.BaseExpression | None]:
    """What a loop binds its target to, as callables: `for step in (self.a, self.b)` binds
    `step` to each element in turn; [None] when that is not a display of callables."""
    if type(target) is not cst.Name or type(iterable) not in (cst.Tuple, cst.List, cst.Set):
        return [None]
    elements = iterable.elements  # type: ignore[attr-defined]
    if not elements or any(type(e) is not cst.Element or not is_callable_expr(e.value) for e in elements):
        return [None]
    return [e.value for e in elements]
