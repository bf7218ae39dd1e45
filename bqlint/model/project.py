"""Modules, their import tables, and qualified names resolved across modules.

One pass over each module's statements records what every top-level name means (an import,
a definition, an alias); `Project.resolve` follows those through re-exports to a definition
in a checked file or to an external dotted name (canonicalised for the `bql` API).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import libcst as cst

from bqlint.config import Settings
from bqlint.model.api import canonical_api, is_runtime_module, runtime_exports
from bqlint.model.modules import ModuleInfo as ModuleInfo
from bqlint.model.modules import module_name_for as module_name_for
from bqlint.model.names import bound_names, global_bindings, literal_all
from bqlint.source import statements


@dataclass(frozen=True, slots=True)
class External:
    """A name defined outside the checked files (`bql.BqlCell`, `threading.Thread`)."""

    qname: str


Target = Union[External, "ModuleInfo", "ClassInfo", "FunctionInfo", None]

_BUILTINS = frozenset(dir(builtins))


def dotted(expr: cst.BaseExpression) -> str | None:
    """Return `a.b.c` for a Name/Attribute chain, else None."""
    if type(expr) is cst.Name:
        return expr.value
    if type(expr) is cst.Attribute:
        base = dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base else None
    return None


def callable_of(expr: cst.BaseExpression) -> cst.BaseExpression:
    """Return what a callback expression calls: `lambda d: self.rx(d)` and
    `functools.partial(self.rx, 0)` call `self.rx`; anything else is itself."""
    if isinstance(expr, cst.Lambda) and isinstance(expr.body, cst.Call):
        return expr.body.func
    if isinstance(expr, cst.Call) and expr.args and (dotted(expr.func) or "").rsplit(".", 1)[-1] == "partial":
        return expr.args[0].value
    return expr


def _relative_base(module: ModuleInfo, level: int) -> str:
    base = module.package
    for _ in range(level - 1):
        base = base.rpartition(".")[0]
    return base


def collect_symbols(module: ModuleInfo, tree: cst.Module) -> None:
    """Record what each module-level name is bound to (imports at any depth), and where.

    Top-level statements bind in order, the last binding winning; an import below top level
    (`try:`/`if`) wins over them; other bindings below top level, and names functions bind
    through `global`, only bind names nothing else does, to an unknown value."""
    everything = list(statements(tree, into_scopes=True))
    at = {id(node): i for i, node in enumerate(everything)}
    walrus = ":=" in module.source.text  # (else no statement is searched for one)
    defined: dict[str, tuple[str, object]] = {}  # the def or class each name is bound to so far
    top_level: set[int] = set()
    for stmt in tree.body:
        top_level.add(id(stmt))
        smalls = list(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else [stmt]
        for small in smalls:
            top_level.add(id(small))
            _bind_top_level(module, small, at[id(small)], defined, walrus)
    # Imports that bind a local name of a function or class body stand in for the module's
    # only where the module binds nothing of that name (the function's own scope has them).
    not_module = _type_checking_imports(tree) | _scoped_imports(tree, module)
    imports = [n for n in everything if type(n) is cst.Import or type(n) is cst.ImportFrom]
    for node in imports:
        _note_import(module, node, at[id(node)])
        if id(node) not in top_level and id(node) not in not_module:
            _bind_import(module, node, at[id(node)])
    below: set[str] = set()  # names bound below top level only: two bindings are unknown
    for nested in statements(tree, into_scopes=False):
        if id(nested) not in top_level:
            for name in _binds(nested, walrus):
                if name in below:
                    _bind(module, name, ("unknown", None), at[id(nested)])
                elif name not in module.symbols:
                    below.add(name)
                    _bind(module, name, _entry(nested, name), at[id(nested)])
    for name in global_bindings(everything):
        _bind(module, name, ("unknown", None), len(at), only_unbound=True)
    for node in imports:
        if id(node) in not_module:
            _bind_import(module, node, at[id(node)], only_unbound=True)
    _record_earlier_bindings(module, tree)
    _record_fallbacks(module, tree)


def _binds(node: cst.CSTNode, walrus: bool) -> list[str]:
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return [node.name.value]
    return bound_names(node, walrus=walrus)


def _entry(node: cst.CSTNode, name: str) -> tuple[str, object]:
    if isinstance(node, cst.FunctionDef):
        return ("def", node)
    if isinstance(node, cst.ClassDef):
        return ("class", node)
    return ("unknown", None)


def _bind(
    module: ModuleInfo, name: str, entry: tuple[str, object], at: int, *, only_unbound: bool = False
) -> None:
    if only_unbound and name in module.symbols:
        return
    module.symbols[name] = entry
    module.bound_at[name] = at


def _bind_top_level(
    module: ModuleInfo, node: cst.CSTNode, at: int, defined: dict[str, tuple[str, object]], walrus: bool
) -> None:
    """Bind what one top-level (small) statement binds, replacing earlier bindings."""
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        entry = _entry(node, node.name.value)
        _bind(module, node.name.value, entry, at)
        defined[node.name.value] = entry
        return
    if isinstance(node, (cst.Import, cst.ImportFrom)):
        _bind_import(module, node, at)
        for local, _ in import_bindings(node, module):
            defined.pop(local, None)
        return
    values: dict[str, cst.BaseExpression] = {}
    if isinstance(node, cst.Expr) and isinstance(node.value, cst.Call):
        _extend_all(module, node.value)
    elif isinstance(node, cst.Assign):
        values = {t.target.value: node.value for t in node.targets if type(t.target) is cst.Name}
        if len(values) == 1 and "__all__" in values:
            module.all_names = literal_all(node.value)
    elif isinstance(node, cst.AnnAssign) and type(node.target) is cst.Name:
        if node.value is None:  # a declaration: its annotation types the name bound elsewhere
            if node.target.value not in module.symbols:
                _bind(module, node.target.value, ("alias", node.annotation.annotation), at)
            return
        values = {node.target.value: node.value}
    elif isinstance(node, cst.AugAssign) and type(node.target) is cst.Name:
        if node.target.value == "__all__":
            extra = literal_all(node.value)
            module.all_names = None if extra is None or module.all_names is None else module.all_names + extra
        if node.target.value in module.symbols:
            return  # `x += 1`: still the kind of value it was
    for name in bound_names(node, walrus=walrus):
        value = values.get(name)
        if value is None:
            _bind(module, name, ("unknown", None), at)
            defined.pop(name, None)
        elif (type(value) is cst.Name and value.value == name) or (
            rewraps(value, name) and name in module.symbols
        ):
            continue  # `X = X`, `f = deco(f)`: what `@deco` on `f` is (build.py reads contracts)
        elif type(value) is cst.Name and value.value in defined:
            # `X = A` runs once, at import: X is the `A` defined so far, even when a later
            # `class A(X):` rebinds the name.
            _bind(module, name, defined[value.value], at)
            defined[name] = defined[value.value]
        else:
            _bind(module, name, ("alias", value), at)
            defined.pop(name, None)


def _extend_all(module: ModuleInfo, call: cst.Call) -> None:
    """`__all__.extend([...])` / `__all__.append("x")`: more names, when written literally."""
    method = dotted(call.func)
    if method not in ("__all__.extend", "__all__.append") or module.all_names is None:
        return
    arg = call.args[0].value if len(call.args) == 1 else None
    if arg is not None and method == "__all__.append":
        arg = cst.List([cst.Element(arg)])
    added = literal_all(arg) if arg is not None else None
    module.all_names = None if added is None else module.all_names + added


def rewraps(value: cst.BaseExpression, name: str) -> bool:
    """Whether `value` is `deco(name, ...)`: the pre-decorator spelling of `@deco`."""
    return (
        isinstance(value, cst.Call)
        and bool(value.args)
        and value.args[0].keyword is None
        and not value.args[0].star
        and type(value.args[0].value) is cst.Name
        and value.args[0].value.value == name
    )


_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _record_fallbacks(module: ModuleInfo, tree: cst.Module) -> None:
    """Fill `module.fallbacks` from module-level `try:` imports whose handler for a failed
    import binds the same names."""
    for node in statements(tree, into_scopes=False):
        if type(node) is not cst.Try:
            continue
        tried = dict(_imports_in(node.body, module))
        for handler in node.handlers:
            caught = handler.type
            names = [e.value for e in caught.elements] if isinstance(caught, cst.Tuple) else [caught]
            kinds = {(dotted(n) or "").rpartition(".")[2] for n in names if n is not None}
            if caught is None or kinds & _IMPORT_ERRORS:
                for local, entry in _bindings_in(handler.body, module):
                    if local in tried and entry != ("import", tried[local]):
                        module.fallbacks[local] = (tried[local], entry)


def _imports_in(body: cst.CSTNode, module: ModuleInfo) -> list[tuple[str, str]]:
    return [
        binding
        for node in statements(body, into_scopes=False)
        if type(node) is cst.Import or type(node) is cst.ImportFrom
        for binding in import_bindings(node, module)
    ]


def _bindings_in(body: cst.CSTNode, module: ModuleInfo) -> list[tuple[str, tuple[str, object]]]:
    """Return (name, symbol entry) of what a handler binds: imports, `def`s and classes."""
    out: list[tuple[str, tuple[str, object]]] = [(n, ("import", t)) for n, t in _imports_in(body, module)]
    for node in statements(body, into_scopes=False):
        if isinstance(node, cst.FunctionDef):
            out.append((node.name.value, ("def", node)))
        elif isinstance(node, cst.ClassDef):
            out.append((node.name.value, ("class", node)))
    return out


def _record_earlier_bindings(module: ModuleInfo, tree: cst.Module) -> None:
    """Fill `module.earlier` for the classes whose name was bound before them."""
    bound: dict[str, tuple[str, object]] = {}
    for node in statements(tree, into_scopes=False):
        if isinstance(node, cst.ClassDef):
            earlier = bound.get(node.name.value)
            if earlier is not None:
                module.earlier[id(node)] = earlier
            bound[node.name.value] = ("class", node)
        elif isinstance(node, cst.FunctionDef):
            bound[node.name.value] = ("def", node)
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            bound.update((local, ("import", target)) for local, target in import_bindings(node, module))
        elif isinstance(node, cst.Assign) and len(node.targets) == 1:
            target = node.targets[0].target
            # An import wins over an assignment, as in `symbols` (`except ImportError: X = object`).
            if isinstance(target, cst.Name) and bound.get(target.value, ("",))[0] != "import":
                bound[target.value] = ("alias", node.value)


def import_bindings(node: cst.Import | cst.ImportFrom, module: ModuleInfo) -> list[tuple[str, str]]:
    """Return (local name, dotted target) for each name an import statement binds; a star
    import binds ("*", module)."""
    out: list[tuple[str, str]] = []
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = dotted(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                out.append((alias.asname.name.value, full))
            else:
                head = full.split(".")[0]
                out.append((head, head))
        return out
    base = dotted(node.module) if node.module is not None else ""
    level = len(node.relative)
    if level:
        prefix = _relative_base(module, level)
        base = f"{prefix}.{base}" if base and prefix else (base or prefix)
    if not base:
        return out
    if isinstance(node.names, cst.ImportStar):
        return [("*", base)]
    for alias in node.names:
        name = dotted(alias.name) or ""
        local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
        out.append((local, f"{base}.{name}"))
    return out


def _type_checking_imports(tree: cst.Module) -> set[int]:
    """Return the ids of the imports in top-level `if TYPE_CHECKING:` bodies: they never run."""
    found: set[int] = set()
    for stmt in tree.body:
        if type(stmt) is cst.If and (dotted(stmt.test) or "").rsplit(".", 1)[-1] == "TYPE_CHECKING":
            found.update(
                id(node) for node in statements(stmt.body, into_scopes=False) if type(node) in (cst.Import, cst.ImportFrom)
            )
    return found


def _scoped_imports(tree: cst.Module, module: ModuleInfo) -> set[int]:
    """Return the ids of the imports inside function and class bodies that bind a name of
    that body (not one it declares `global`)."""
    found: set[int] = set()
    for scope in statements(tree, into_scopes=True):
        if type(scope) is not cst.FunctionDef and type(scope) is not cst.ClassDef:
            continue
        body = list(statements(scope.body, into_scopes=False))
        declared = {n.name.value for g in body if isinstance(g, cst.Global) for n in g.names}
        for node in body:
            if (type(node) is cst.Import or type(node) is cst.ImportFrom) and not any(
                local in declared for local, _ in import_bindings(node, module)
            ):
                found.add(id(node))
    return found


def _note_import(module: ModuleInfo, node: cst.Import | cst.ImportFrom, at: int) -> None:
    """Record the modules `node` imports, and its star import where it is."""
    for local, target in import_bindings(node, module):
        if local == "*":
            module.imported_modules.add(target)
            module.star_imports.append(target)
            module.star_at.append(at)
        elif isinstance(node, cst.Import):
            full = next(dotted(a.name) or "" for a in node.names if _binds_alias(a, local))
            module.imported_modules.add(full)
        else:
            module.imported_modules.add(target.rpartition(".")[0])
            module.imported_modules.add(target)


def _bind_import(
    module: ModuleInfo, node: cst.Import | cst.ImportFrom, at: int, *, only_unbound: bool = False
) -> None:
    """Bind the names `node` imports (a star import binds in `resolve`, by what it exports)."""
    for local, target in import_bindings(node, module):
        if local != "*":
            _bind(module, local, ("import", target), at, only_unbound=only_unbound)


def _binds_alias(alias: cst.ImportAlias, local: str) -> bool:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value == local
    return (dotted(alias.name) or "").split(".")[0] == local


def modules_by_path_tail(name: str, by_stem: dict[str, list[ModuleInfo]]) -> list[ModuleInfo]:
    """Namespace packages (PEP 420, no __init__.py): `acme.host.vcpu` is .../acme/host/vcpu.py,
    wherever the import root is."""
    parts = name.split(".")
    if len(parts) < 2:
        return []
    return [
        m
        for m in by_stem.get(parts[-1], ())
        if m.source.path.name != "__init__.py"
        and list(m.source.path.with_suffix("").parts[-len(parts) :]) == parts
    ]


class Project:
    """Every parsed module of one run, and name resolution across them."""

    def __init__(self, config: Settings) -> None:
        self.config = config
        self.modules: list[ModuleInfo] = []
        self._by_name: dict[str, list[ModuleInfo]] = {}
        self._by_stem: dict[str, list[ModuleInfo]] = {}
        self.classes: list[ClassInfo] = []
        self.functions: list[FunctionInfo] = []
        self._decorated: dict[int, list[FunctionInfo]] | None = None
        self._nested: dict[int, dict[str, FunctionInfo]] = {}
        self._inner: dict[int, list[FunctionInfo]] = {}
        self._class_of_node: dict[int, ClassInfo] = {}
        self._function_of_node: dict[int, FunctionInfo] = {}
        self._exports: dict[tuple[int, str], bool] = {}

    def add_module(self, module: ModuleInfo) -> None:
        self.modules.append(module)
        for name in module.names():
            self._by_name.setdefault(name, []).append(module)
        self._by_stem.setdefault(module.source.path.stem, []).append(module)

    def module(self, name: str, near: Path | None = None) -> ModuleInfo | None:
        """Return the module called `name`, preferring one under the same package root."""
        found = self._by_name.get(name) or self._by_path_tail(name)
        if not found:
            return None
        for candidate in found:
            if candidate.root == near:
                return candidate
        return found[0]

    def _by_path_tail(self, name: str) -> list[ModuleInfo]:
        return modules_by_path_tail(name, self._by_stem)

    def register_class(self, info: ClassInfo) -> None:
        self.classes.append(info)
        self._class_of_node[id(info.node)] = info

    def register_function(self, info: FunctionInfo) -> None:
        self.functions.append(info)
        self._function_of_node[id(info.node)] = info
        if info.parent is not None:
            self._nested.setdefault(id(info.parent), {}).setdefault(info.name, info)
            self._inner.setdefault(id(info.parent), []).append(info)

    def nested_function(self, parent: FunctionInfo, name: str) -> FunctionInfo | None:
        """Return the first function named `name` defined directly in `parent`, or None."""
        return self._nested.get(id(parent), {}).get(name)

    def decorated_by(self, wrapper: FunctionInfo) -> list[FunctionInfo]:
        """Return the functions whose decorators put `wrapper` in their place (see
        `FunctionInfo.wrappers`): those its call of the function it wraps may run."""
        if self._decorated is None:
            self._decorated = {}
            for fn in self.functions:
                if fn.node.decorators:
                    for outer in fn.wrappers():
                        self._decorated.setdefault(id(outer), []).append(fn)
        return self._decorated.get(id(wrapper), [])

    def with_inner_functions(self, fn: FunctionInfo) -> list[FunctionInfo]:
        """Return `fn` and every function defined in it, at any depth."""
        out, at = [fn], 0
        while at < len(out):
            out.extend(self._inner.get(id(out[at]), ()))
            at += 1
        return out

    def class_of(self, node: cst.ClassDef) -> ClassInfo | None:
        return self._class_of_node.get(id(node))

    def function_of(self, node: cst.FunctionDef) -> FunctionInfo | None:
        return self._function_of_node.get(id(node))

    def resolve(self, name: str, near: Path | None, _depth: int = 0) -> Target:
        """Resolve a dotted name to a project definition or an External name."""
        parts = name.split(".")
        if _depth > 25 or is_runtime_module(name):
            return External(canonical_api(name))
        for i in range(len(parts), 0, -1):
            module = self.module(".".join(parts[:i]), near)
            if module is not None:
                return self.resolve_in(module, parts[i:], _depth + 1)
        return External(canonical_api(name))

    def resolve_expr(self, expr: cst.BaseExpression, module: ModuleInfo) -> Target:
        """Resolve a Name/Attribute chain as written at module level of `module`."""
        name = dotted(expr)
        if name is None:
            return None
        head, *tail = name.split(".")
        binding = self.binding(module, head)
        if isinstance(binding, str):  # `from bql import *`, `from .regs import *`
            return self.resolve(f"{binding}.{name}", module.root)
        if binding is not None:
            return self._resolve_entry(module, binding, head, tail, 0)
        if head not in _BUILTINS:
            return None  # bound by no import or definition here (a parameter `bql`): unknown
        return External(name)

    def binding(self, module: ModuleInfo, name: str, _depth: int = 0) -> tuple[str, object] | str | None:
        """Return the last binding of `name` in `module`: its `symbols` entry, or the module
        of the star import after it that binds the name; None when nothing binds it."""
        entry = module.symbols.get(name)
        at = module.bound_at.get(name, -1) if entry is not None else -1
        for star, star_at in reversed(list(zip(module.star_imports, module.star_at))):
            if star_at <= at:
                break
            if self.exports(star, name, module.root, _depth + 1):
                return star
        return entry

    def exports(self, module_name: str, name: str, near: Path | None, _depth: int = 0) -> bool:
        """Whether `from <module_name> import *` binds `name`: its literal `__all__`, else its
        public names; the runtime's are its `__all__`, a library's are not known (none)."""
        found = self.module(module_name, near) if _depth <= 25 else None
        if found is None:
            return is_runtime_module(module_name) and runtime_exports(module_name, name)
        if found.all_names is not None:
            return name in found.all_names
        key = (id(found), name)
        if key not in self._exports:  # once per name: star imports may form cycles
            self._exports[key] = False
            self._exports[key] = not name.startswith("_") and self.binding(found, name, _depth) is not None
        return self._exports[key]

    def dotted_name(self, expr: cst.BaseExpression) -> str | None:
        return dotted(expr)

    def type_of_annotation(
        self, expr: cst.BaseExpression, module: ModuleInfo, decl: cst.CSTNode
    ) -> FieldType | None:
        return types.type_of_annotation(self, expr, module, decl)

    def type_of_constructor(
        self, expr: cst.BaseExpression, module: ModuleInfo, decl: cst.CSTNode
    ) -> FieldType | None:
        return types.type_of_constructor(self, expr, module, decl)

    def resolve_in(self, module: ModuleInfo, rest: list[str], _depth: int = 0) -> Target:
        """Resolve attribute path `rest` inside `module`."""
        if _depth > 25:
            return None  # a cycle of aliases (`X = Y; Y = X`): Python would raise NameError
        if not rest:
            return module
        head, tail = rest[0], rest[1:]
        entry = self.binding(module, head, _depth)
        if entry is None or isinstance(entry, str):
            sub = self.module(f"{module.name}.{head}", module.root)
            if sub is not None:
                return self.resolve_in(sub, tail, _depth + 1)
            if isinstance(entry, str):
                return self.resolve(".".join([entry, *rest]), module.root, _depth + 1)
            return External(canonical_api(".".join([module.name, *rest])))
        return self._resolve_entry(module, entry, head, tail, _depth)

    def resolve_with(self, module: ModuleInfo, expr: cst.BaseExpression, entry: tuple[str, object]) -> Target:
        """Resolve `expr` in `module` with its first name bound to `entry` (an earlier binding)."""
        name = dotted(expr)
        if name is None:
            return None
        head, *tail = name.split(".")
        return self._resolve_entry(module, entry, head, tail, 0)

    def _resolve_entry(
        self, module: ModuleInfo, entry: tuple[str, object], head: str, tail: list[str], _depth: int
    ) -> Target:
        kind, value = entry
        if kind == "import":
            found = self.resolve(".".join([str(value), *tail]), module.root, _depth + 1)
            tried, fallback = module.fallbacks.get(head, ("", ("", None)))
            unknown = found is None or (isinstance(found, External) and not is_runtime_module(tried))
            if tried == value and unknown:
                # The try's import names nothing of the checked files or the runtime: missing
                # from the project, Python runs the handler's import; a library bqlint knows
                # nothing of would be assumed to do nothing, so the handler's says more.
                other = self._resolve_entry(module, fallback, head, tail, _depth + 1)
                return other if other is not None else found
            return found
        if kind == "alias":
            target = dotted(value) if isinstance(value, cst.BaseExpression) else None
            if target is None or target == head:
                return None
            return self.resolve_local(module, ".".join([target, *tail]), _depth + 1)
        if kind == "class":
            info = self.class_of(value)  # type: ignore[arg-type]
            if info is None:
                return None
            return info.lookup(tail) if tail else info
        if kind == "def":
            return self.function_of(value) if not tail else None  # type: ignore[arg-type]
        return None

    def resolve_local(self, module: ModuleInfo, name: str, _depth: int = 0) -> Target:
        """Resolve a dotted name as written in `module` (its first part is a name there)."""
        return self.resolve_in(module, name.split("."), _depth)


# Imported at the end: classes.py and functions.py refer to the names above.
from bqlint.model import types  # noqa: E402
from bqlint.model.classes import ClassInfo, FieldType  # noqa: E402
from bqlint.model.functions import FunctionInfo  # noqa: E402
