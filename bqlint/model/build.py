"""Build the project model: modules, classes and functions of every parsed file."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from bqlint.config import Settings
from bqlint.model.api import RELEASES_BQL, REQUIRES_BQL, THREAD_STARTS, WITHOUT_BQL
from bqlint.model.classes import ClassInfo, class_assignments
from bqlint.model.functions import FunctionInfo
from bqlint.model.project import (
    External,
    ModuleInfo,
    Project,
    callable_of,
    collect_symbols,
    dotted,
    rewraps,
)
from bqlint.source import walk

_COMPOUND_BODIES = ("body", "orelse", "handlers", "finalbody", "cases")


def build_project(modules: Iterable[ModuleInfo], config: Settings) -> Project:
    """Return the project model of `modules` (each already parsed)."""
    project = Project(config)
    for module in modules:
        project.add_module(module)
        tree = module.source.module
        assert tree is not None
        if not module.symbols and not module.imported_modules:
            collect_symbols(module, tree)
        _collect_defs(project, module, tree.body, module.name, None, None)
    for cls in project.classes:
        for base in cls.bases():
            if isinstance(base, ClassInfo) and cls not in base.subclasses:
                base.subclasses.append(cls)
    for cls in project.classes:
        _collect_qualified_aliases(project, cls)
    for cls in project.classes:
        _collect_rebindings(project, cls)
    for module in project.modules:
        _collect_contract_calls(project, module)
    _collect_thread_targets(project)
    return project


_BLOCKS = (cst.IndentedBlock, cst.SimpleStatementSuite)


def _statements(body: object) -> list[cst.CSTNode]:
    if type(body) is cst.IndentedBlock or type(body) is cst.SimpleStatementSuite:
        return list(body.body)
    if isinstance(body, (list, tuple)):
        return list(body)
    return []


def _collect_defs(
    project: Project,
    module: ModuleInfo,
    body: object,
    prefix: str,
    cls: ClassInfo | None,
    parent: FunctionInfo | None,
) -> None:
    """Register every class and function defined in the statements of `body`."""
    for stmt in _statements(body):
        if type(stmt) is cst.ClassDef:
            info = ClassInfo(stmt.name.value, f"{prefix}.{stmt.name.value}", stmt, module, project)
            project.register_class(info)
            if cls is not None and parent is None:
                cls.nested[info.name] = info
            _collect_defs(project, module, stmt.body, info.qname, info, None)
            _collect_property_calls(info)
            _collect_method_aliases(info)
            _collect_lambda_methods(project, info)
        elif type(stmt) is cst.FunctionDef:
            fn = FunctionInfo(
                stmt.name.value, f"{prefix}.{stmt.name.value}", stmt, module, project, cls, parent
            )
            if cls is not None and parent is None:
                accessor = _accessor(stmt, module)
                if accessor == "getter" or accessor is None:
                    cls.methods[fn.name] = fn
                if accessor is not None:
                    cls.properties.setdefault(fn.name, {})[accessor] = fn
            elif parent is not None:
                fn.cls = parent.cls
            project.register_function(fn)
            _collect_defs(project, module, stmt.body, fn.qname, None, fn)
        else:
            for name in _COMPOUND_BODIES:
                value = getattr(stmt, name, None)
                if value is None:
                    continue
                if isinstance(value, (list, tuple)):
                    for part in value:
                        _collect_defs(project, module, getattr(part, "body", None), prefix, cls, parent)
                elif hasattr(value, "body") and type(value) not in _BLOCKS:
                    _collect_defs(project, module, value.body, prefix, cls, parent)
                else:
                    _collect_defs(project, module, value, prefix, cls, parent)


_PROPERTY_ARGS = ("getter", "setter", "deleter")
_PROPERTY_KEYWORDS = {"fget": "getter", "fset": "setter", "fdel": "deleter"}


def _collect_property_calls(cls: ClassInfo) -> None:
    """`level = property(_get_level, _set_level)` in a class body: accessors, like decorators."""
    for name, value in class_assignments(cls):
        if not (
            isinstance(value, cst.Call)
            and dotted(value.func) in ("property", "builtins.property")
            and "property" not in cls.module.symbols
        ):
            continue
        accessors: dict[str, FunctionInfo] = {}
        for index, arg in enumerate(value.args):
            kind = (
                _PROPERTY_KEYWORDS.get(arg.keyword.value)
                if arg.keyword is not None
                else (_PROPERTY_ARGS[index] if index < len(_PROPERTY_ARGS) else None)
            )
            method = cls.methods.get(arg.value.value) if isinstance(arg.value, cst.Name) else None
            if kind is not None and method is not None:
                accessors[kind] = method
        # A property whatever its accessors are (`property(lambda self: ...)`): assigning it
        # runs a setter, never stores a field (not BQL001); accessors not named are not followed.
        cls.properties[name] = accessors


def _collect_method_aliases(cls: ClassInfo) -> None:
    """`update_hw = apply_duty` in a class body: another name of the method defined above it
    (`functools.partialmethod(apply_duty, ...)` too: calling it runs that method)."""
    for alias, value in class_assignments(cls):
        if (
            isinstance(value, cst.Call)
            and (dotted(value.func) or "").split(".")[-1] == "partialmethod"
            and value.args
            and value.args[0].keyword is None
        ):
            value = value.args[0].value  # `enable = partialmethod(_set_bits, SSE, True)`
        if isinstance(value, cst.Name):
            method = cls.methods.get(value.value)
            taken = alias in cls.methods or alias in cls.properties
            if method is not None and not taken and value.value not in cls.properties:
                cls.methods[alias] = method


def _collect_lambda_methods(project: Project, cls: ClassInfo) -> None:
    """`reset = lambda self: setattr(self, "n", 0)` in a class body: a method, as `def reset(self):
    return setattr(self, "n", 0)` is (a first binding only; `_collect_rebindings` sees later ones)."""
    for name, value in class_assignments(cls):
        if type(value) is not cst.Lambda or name in cls.methods or name in cls.properties:
            continue
        params = value.params
        if not (params.posonly_params or params.params):
            continue  # no parameter takes the object
        statement = cst.SimpleStatementLine([cst.Return(value.body)])
        made = cst.FunctionDef(cst.Name(name), params, cst.IndentedBlock([statement]))
        for node in (made, made.body, statement, statement.body[0]):
            cls.module.source.stand_in(node, value)
        fn = FunctionInfo(name, f"{cls.qname}.{name}", made, cls.module, project, cls, None)
        fn.written_as = value
        cls.methods[name] = fn
        project.register_function(fn)


def _collect_qualified_aliases(project: Project, cls: ClassInfo) -> None:
    """`drain = FifoPort.poll_drain` in a class body: the method another class defines, under
    this class's name `drain` (once every class is known, wherever it is defined). And
    `on_expire = _reload_hook`, a module's plain function: Python binds it like a method, its
    first parameter taking the object (`extract.project_call` passes it so)."""
    for alias, value in class_assignments(cls):
        if type(value) not in (cst.Attribute, cst.Name) or alias in cls.methods or alias in cls.properties:
            continue
        target = project.resolve_expr(value, cls.module)
        if not isinstance(target, FunctionInfo):
            continue
        if type(value) is cst.Attribute and target.cls is not None and target.self_name is not None:
            cls.methods[alias] = target
        elif target.cls is None and target.parent is None and _binds_as_method(target):
            cls.methods[alias] = target


def _binds_as_method(fn: FunctionInfo) -> bool:
    """Whether `fn`, stored in a class, is bound to the object on access: a plain function
    with a parameter for it. A decorator may have made it anything (a `partial`, an object
    without `__get__`): only the runtime's own and those of the checked files keep it one."""
    params = fn.node.params
    if not (params.posonly_params or params.params or isinstance(params.star_arg, cst.Param)):
        return False
    for name, deco in fn.decorators():
        expr = deco.decorator if isinstance(deco, cst.Decorator) else deco  # (a contract call)
        target = fn.project.resolve_expr(expr.func if isinstance(expr, cst.Call) else expr, fn.module)
        if not (isinstance(target, FunctionInfo) or name.startswith("bql.")):
            return False
    return True


_CONTRACTS = frozenset({RELEASES_BQL, REQUIRES_BQL, WITHOUT_BQL})


def _collect_rebindings(project: Project, cls: ClassInfo) -> None:
    """A method name bound again after its `def` in the class body means what the last
    binding does (`later = rel`; `undone = lambda self: None`, no method); `m = deco(m)` is
    `@deco` (`m = bql.releases_bql(m)`: the contract)."""
    body = cls.node.body
    bound: dict[str, FunctionInfo | None] = {}
    for stmt in body.body if isinstance(body, cst.IndentedBlock) else ():
        if isinstance(stmt, cst.FunctionDef):
            fn = project.function_of(stmt)
            if fn is not None and cls.methods.get(fn.name) is fn:
                bound[fn.name] = fn
            else:
                bound.pop(stmt.name.value, None)  # an accessor: a property's
            continue
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
                continue
            name = small.targets[0].target.value if type(small.targets[0].target) is cst.Name else None
            made = cls.methods.get(name) if name is not None and type(small.value) is cst.Lambda else None
            if name is not None and made is not None and made.written_as is small.value:
                bound[name] = made  # `_collect_lambda_methods`
                continue
            if name is None or name not in bound:
                continue  # a first binding (`_collect_method_aliases`)
            value = small.value
            if rewraps(value, name):
                method = bound[name]
                if method is not None:
                    _add_contract(project, method, value)
                continue
            called = (dotted(value.func) or "").split(".")[-1] if isinstance(value, cst.Call) else ""
            if called == "property":
                continue
            if called == "partialmethod" and isinstance(value, cst.Call) and value.args:
                value = value.args[0].value  # `m = partialmethod(_set, 1)`: calling it runs `_set`
            method = bound.get(value.value) if type(value) is cst.Name and value.value in bound else None
            if method is None and type(value) in (cst.Name, cst.Attribute):
                target = project.resolve_expr(value, cls.module)
                method = target if isinstance(target, FunctionInfo) and _method_like(target) else None
            bound[name] = method
            if method is None:
                cls.methods.pop(name, None)
                cls.unknown.add(name)
            else:
                cls.methods[name] = method
                cls.unknown.discard(name)


def _method_like(fn: FunctionInfo) -> bool:
    """Whether `fn` stored in a class is a method: another class's, or a plain function."""
    return fn.self_name is not None or (fn.cls is None and fn.parent is None and _binds_as_method(fn))


def _collect_contract_calls(project: Project, module: ModuleInfo) -> None:
    """`helper = bql.releases_bql(helper)` after `def helper` at module level: the contract."""
    tree = module.source.module
    for stmt in tree.body if tree is not None else ():
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
                continue
            target = small.targets[0].target
            if type(target) is cst.Name:
                entry = module.symbols.get(target.value)
                if entry is not None and entry[0] == "def" and rewraps(small.value, target.value):
                    fn = project.function_of(entry[1])  # type: ignore[arg-type]
                    if fn is not None:
                        _add_contract(project, fn, small.value)


def _add_contract(project: Project, fn: FunctionInfo, call: cst.BaseExpression) -> None:
    """Give `fn` the contract `call` (`bql.releases_bql(fn)`) applies, as a decorator would."""
    assert isinstance(call, cst.Call)
    target = project.resolve_expr(call.func, fn.module)
    if isinstance(target, External) and target.qname in _CONTRACTS and fn.contract(target.qname) is None:
        # The call stands for the decorator: findings name it (it is where the contract is).
        fn.add_contract(target.qname, call)


def _accessor(node: cst.FunctionDef, module: ModuleInfo) -> str | None:
    """Return "getter", "setter" or "deleter" for a property accessor, else None.

    A bare `@property` is the builtin unless the module binds that name itself.
    """
    for deco in node.decorators:
        expr = deco.decorator
        if isinstance(expr, cst.Name) and expr.value in ("property", "cached_property"):
            if expr.value == "property" and "property" in module.symbols:
                continue
            return "getter"
        if isinstance(expr, cst.Attribute):
            if expr.attr.value in ("setter", "deleter") and isinstance(expr.value, cst.Name):
                return expr.attr.value
            if expr.attr.value in ("property", "cached_property"):
                return "getter"
    return None


def _collect_thread_targets(project: Project) -> None:
    """Mark functions started by `threading.Thread(target=...)` and `run()` of Thread subclasses."""
    for cls in project.classes:
        if cls.is_thread() and "run" in cls.methods:
            run = cls.methods["run"]
            run.thread_starts.append((run.node.name, cls.module))
    for module in project.modules:
        tree = module.source.module
        # A thread start names `threading` in an import, or a `...Thread` re-exported elsewhere.
        uses_threading = any(m.split(".")[0] == "threading" for m in module.imported_modules)
        if tree is None or not (uses_threading or "Thread" in module.source.text):
            continue
        for node in walk(tree):
            if not isinstance(node, cst.Call):
                continue
            target = project.resolve_expr(node.func, module)
            qname = getattr(target, "qname", None)
            if qname not in THREAD_STARTS:
                continue
            keyword, position = THREAD_STARTS[qname]
            for index, arg in enumerate(node.args):
                named = arg.keyword.value if arg.keyword is not None else None
                if isinstance(arg.value, cst.Lambda):
                    continue  # the lambda is what runs on the thread: checked at its call
                if named == keyword or (named is None and arg.star == "" and index == position):
                    for fn in _functions_named(project, module, callable_of(arg.value), node):
                        if fn.runs_when_called():  # a generator or coroutine function: nothing runs
                            fn.thread_starts.append((node, module))


def _functions_named(
    project: Project, module: ModuleInfo, expr: cst.BaseExpression, site: cst.CSTNode
) -> list[FunctionInfo]:
    """Resolve a thread target: `f`, `mod.f`, `self.m` (in the class around `site`)."""
    name = dotted(expr)
    if name is None:
        return []
    parts = name.split(".")
    if len(parts) == 2:
        owner = _enclosing_class(project, module, site)
        if owner is not None:
            for fn in owner.methods.values():
                if fn.self_name == parts[0]:
                    return owner.implementations(parts[1])
    target = project.resolve_expr(expr, module)
    if isinstance(target, FunctionInfo):
        return [target]
    found = [
        f for f in project.functions if f.module is module and f.name == parts[-1] and f.parent is not None
    ]
    return found[:1]


def _enclosing_class(project: Project, module: ModuleInfo, site: cst.CSTNode) -> ClassInfo | None:
    for cls in project.classes:
        if cls.module is module:
            for inner in walk(cls.node):
                if inner is site:
                    return cls
    return None
