"""Names as Python reads them: identifiers NFKC-normalised, as CPython's parser does (PEP 3131).

At run time `self.ﬁeld` is `self.field` and `self.𝐫𝐞𝐠𝐬` is `self.regs`; libcst keeps names as
written. Right after parsing a file that is not ASCII, every non-ASCII `Name` of its tree is
replaced by its normal form, once, so that every later comparison of names (fields, methods,
locals, imports, `borrow_mut`) is Python's. Spans still come from the tree as written.
Messages name things in normal form (the name Python binds and the runtime's errors show,
so two spellings of one field read as one); fix text keeps the user's spelling
(`SourceFile.written_code`).
"""

from __future__ import annotations

import unicodedata

import libcst as cst

from bqlint.source import child_fields, children, walk


def normalise_names(module: cst.Module) -> tuple[cst.Module, dict[int, cst.CSTNode]]:
    """Return `module` with its non-ASCII names in NFKC form, and {id(new node): the node as
    written} for each node rebuilt; subtrees without such a name are shared, not copied."""
    if not any(type(node) is cst.Name and not _is_normal(node.value) for node in walk(module)):
        return module, {}  # names already as Python reads them (`寄存器`): nothing to rebuild
    rebuilt: dict[int, tuple[cst.CSTNode, cst.CSTNode]] = {}  # id(as written) -> (as written, new)
    stack: list[tuple[cst.CSTNode, bool]] = [(module, False)]
    while stack:  # post-order without recursion: expressions can nest thousands deep
        node, visited = stack.pop()
        if not visited:
            stack.append((node, True))
            stack.extend((child, False) for child in children(node))
            continue
        new = _renamed(node, rebuilt)
        if new is not None:
            rebuilt[id(node)] = (node, new)
    if id(module) not in rebuilt:
        return module, {}
    top = rebuilt[id(module)][1]
    assert isinstance(top, cst.Module)
    return top, {id(new): written for written, new in rebuilt.values()}


def _is_normal(name: str) -> bool:
    return name.isascii() or unicodedata.is_normalized("NFKC", name)


def _renamed(node: cst.CSTNode, rebuilt: dict[int, tuple[cst.CSTNode, cst.CSTNode]]) -> cst.CSTNode | None:
    """Return `node` with its name normalised or its rebuilt children in place; None if unchanged."""
    if type(node) is cst.Name:
        value = node.value
        normal = value if value.isascii() else unicodedata.normalize("NFKC", value)
        return node.with_changes(value=normal) if normal != value else None
    changes: dict[str, object] = {}
    for name in child_fields(type(node)):
        value = getattr(node, name)
        if type(value) is tuple or type(value) is list:
            if any(id(item) in rebuilt for item in value):
                changes[name] = type(value)(rebuilt[id(item)][1] if id(item) in rebuilt else item for item in value)
        elif id(value) in rebuilt:
            changes[name] = rebuilt[id(value)][1]
    return node.with_changes(**changes) if changes else None
