"""The names a statement binds in its own scope, read from the syntax (SPEC §3.1.2 "Binding
forms"): assignment targets, `for`, `with … as`, walrus, `except … as`, `match` captures."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from bqlint.source import statements, walk


def target_names(target: cst.BaseExpression) -> Iterator[str]:
    """Yield the names an assignment target binds (`a, (b, *c)`); attributes bind none."""
    if type(target) is cst.Name:
        yield target.value
    elif type(target) is cst.Tuple or type(target) is cst.List:
        for element in target.elements:
            yield from target_names(element.value)
    elif type(target) is cst.StarredElement:
        yield from target_names(target.value)


def _header(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The parts of a statement evaluated in its own scope, not its nested statements."""
    if isinstance(node, (cst.For, cst.While, cst.If, cst.Match, cst.With)):
        return [getattr(node, f) for f in ("target", "iter", "test", "subject") if hasattr(node, f)] + list(
            getattr(node, "items", ())
        ) + [c.pattern for c in getattr(node, "cases", ())]
    if isinstance(node, cst.ExceptHandler):
        return [node.name] if node.name is not None else []
    if isinstance(node, (cst.BaseSmallStatement,)):
        return [node]
    return []


def bound_names(node: cst.CSTNode, *, walrus: bool = True) -> list[str]:
    """Return the names `node` (one statement; a compound's header only) binds, imports and
    `def`/`class` aside; a walrus in a comprehension binds the enclosing scope's name
    (without `walrus`, the source has none: simple statements are not searched)."""
    out: list[str] = []
    if isinstance(node, cst.Assign):
        for t in node.targets:
            out.extend(target_names(t.target))
    elif isinstance(node, cst.AugAssign) or (isinstance(node, cst.AnnAssign) and node.value is not None):
        out.extend(target_names(node.target))
    elif isinstance(node, cst.For):
        out.extend(target_names(node.target))
    elif isinstance(node, cst.ExceptHandler) and node.name is not None:
        out.extend(target_names(node.name.name))
    for part in _header(node) if walrus or not isinstance(node, cst.BaseSmallStatement) else ():
        for inner in walk(part, into_scopes=False):
            if isinstance(inner, cst.NamedExpr):
                out.extend(target_names(inner.target))
            elif isinstance(inner, cst.WithItem) and inner.asname is not None:
                out.extend(target_names(inner.asname.name))
            elif isinstance(inner, (cst.MatchAs, cst.MatchStar)) and isinstance(inner.name, cst.Name):
                out.append(inner.name.value)
            elif isinstance(inner, cst.MatchMapping) and inner.rest is not None:
                out.append(inner.rest.value)
    return list(dict.fromkeys(out))


def global_bindings(everything: list[cst.CSTNode]) -> list[str]:
    """Return the names functions declare `global` and bind: module names once they ran
    (`everything`: the module's statements, nested scopes' included)."""
    out: list[str] = []
    if not any(type(node) is cst.Global for node in everything):
        return out
    for fn in everything:
        if not isinstance(fn, cst.FunctionDef):
            continue
        body = list(statements(fn.body, into_scopes=False))
        declared = {n.name.value for g in body if isinstance(g, cst.Global) for n in g.names}
        if not declared:
            continue
        for node in body:
            named = bound_names(node)
            if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                named = [node.name.value]
            out.extend(n for n in named if n in declared)
    return list(dict.fromkeys(out))


def literal_all(value: cst.BaseExpression) -> tuple[str, ...] | None:
    """Return the names of a literal `__all__` list or tuple of strings, else None."""
    if not isinstance(value, (cst.List, cst.Tuple)):
        return None
    names: list[str] = []
    for element in value.elements:
        if not isinstance(element.value, cst.SimpleString):
            return None
        text = element.value.evaluated_value
        if not isinstance(text, str):
            return None
        names.append(text)
    return tuple(names)
