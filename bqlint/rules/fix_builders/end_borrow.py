"""The unsafe fix of BQL002 and BQL003: move the call out of the `with` block that borrows.

The classic re-entrancy bug ends a `with cell.borrow_mut() as regs:` block with the call that
releases the BQL or re-enters the device. When that call is the block's last statement and
uses no name the block binds, it can run after the block instead: dedenting it to the `with`
statement's level ends the borrow first, as `runtime/pl011/device.py` is written. Unsafe:
the call now runs after the borrow ends (and after an exception in the block, not at all),
which is the point, but the user should read the diff. Every other shape is refused.
Edits only: the text comes from the analysed source, nothing is read or written.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

import libcst as cst

from bqlint.diagnostics import Applicability, Edit, Position
from bqlint.model.functions import FunctionInfo
from bqlint.rules.context import FixPlan
from bqlint.source import SourceFile, python_lines, statements, walk

MESSAGE = "move the call after the `with` block, so the borrow ends first"


def end_borrow_before_call(fn: FunctionInfo, borrow: cst.Call, node: cst.CSTNode) -> FixPlan | None:
    """Return the fix that moves the statement `node` out of the `with` block of `borrow`,
    or None when the shape is not exactly the one this fix is sure about."""
    found = _last_statement_of_borrow_block(fn, borrow, node)
    if found is None:
        return None
    block, line = found
    if _bound_names(block) & _used_names(line) or _has_multiline_string(line):
        return None
    source = fn.module.source

    def dedented() -> tuple[Edit, ...] | None:
        edit = _dedent(source, block, line)
        return None if edit is None else (edit,)

    # Made when the findings are positioned: their codegen pass places `block` and `line` too.
    return FixPlan(MESSAGE, Applicability.UNSAFE, (), anchors=(block, line), positioned=dedented)


def _last_statement_of_borrow_block(
    fn: FunctionInfo, borrow: cst.Call, node: cst.CSTNode
) -> tuple[cst.With, cst.SimpleStatementLine] | None:
    """Return (the `with` of `borrow`, its last line) when that line is `node` alone."""
    statement = _single_item_withs(fn).get(id(borrow))
    if statement is not None:
        body = statement.body
        if not isinstance(body, cst.IndentedBlock) or len(body.body) < 2:
            return None  # a one-line block, or one the fix would leave empty
        line = body.body[-1]
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
            return None
        expr = line.body[0]
        if not isinstance(expr, cst.Expr):
            return None
        call = expr.value.expression if isinstance(expr.value, cst.Await) else expr.value
        if isinstance(call, cst.Call) and node in (expr.value, call):
            return statement, line
        return None  # not a call (a `yield`, a borrow used in place): not this fix's shape
    return None


_WITHS: WeakKeyDictionary[FunctionInfo, dict[int, cst.With]] = WeakKeyDictionary()


def _single_item_withs(fn: FunctionInfo) -> dict[int, cst.With]:
    """Return {id(item expression): statement} of the function's synchronous one-item
    `with` statements (found once per function, not once per finding)."""
    found = _WITHS.get(fn)
    if found is None:
        found = _WITHS[fn] = {
            id(statement.items[0].item): statement
            for statement in statements(fn.node.body)
            if isinstance(statement, cst.With) and statement.asynchronous is None and len(statement.items) == 1
        }
    return found


def _target_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {name for element in target.elements for name in _target_names(element.value)}
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return set()


def _bound_names(block: cst.With) -> set[str]:
    """Return every name the `with` statement or its block binds (the guard included)."""
    names: set[str] = set()
    for n in walk(block, into_scopes=False):
        if isinstance(n, cst.AsName):  # with ... as, except ... as, import ... as
            names |= _target_names(n.name)
        elif isinstance(n, cst.AssignTarget):
            names |= _target_names(n.target)
        elif isinstance(n, (cst.AnnAssign, cst.AugAssign)):
            names |= _target_names(n.target)
        elif isinstance(n, (cst.For, cst.CompFor)):
            names |= _target_names(n.target)
        elif isinstance(n, cst.NamedExpr):
            names |= _target_names(n.target)
        elif isinstance(n, cst.Del):
            names |= _target_names(n.target)
        elif isinstance(n, (cst.FunctionDef, cst.ClassDef)):
            names.add(n.name.value)
        elif isinstance(n, cst.ImportAlias):
            names.add(n.evaluated_alias or n.evaluated_name.split(".")[0])
        elif isinstance(n, (cst.Global, cst.Nonlocal)):
            names |= {item.name.value for item in n.names}
        elif isinstance(n, (cst.MatchAs, cst.MatchStar)) and n.name is not None:
            names.add(n.name.value)
    return names


def _used_names(line: cst.SimpleStatementLine) -> set[str]:
    """Return the variable names `line` reads (not attribute names or keyword names)."""
    skipped: set[int] = set()
    names: set[str] = set()
    for n in walk(line):
        if isinstance(n, cst.Attribute):
            skipped.add(id(n.attr))
        elif isinstance(n, cst.Arg) and n.keyword is not None:
            skipped.add(id(n.keyword))
        elif isinstance(n, cst.Name) and id(n) not in skipped:
            names.add(n.value)
    return names


_EMPTY = cst.Module([])


def _has_multiline_string(line: cst.SimpleStatementLine) -> bool:
    """Return whether a string in `line` spans lines (dedenting would change its value)."""
    strings = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
    codes = (_EMPTY.code_for_node(n) for n in walk(line) if isinstance(n, strings))
    return any("\n" in code or "\r" in code for code in codes)


def _dedent(source: SourceFile, block: cst.With, line: cst.SimpleStatementLine) -> Edit | None:
    """Return the edit that re-indents `line` (with its comment lines) at the `with` level."""
    source.resolve_spans([block, line])
    with_at, line_at = source.span(block).start, source.span(line).start
    lines = python_lines(source.text, keepends=True)
    first = line_at.row - len(line.leading_lines)
    last = source.span(line).end.row
    if not (1 <= first <= line_at.row <= last <= len(lines)):
        return None
    outer = lines[with_at.row - 1][: with_at.column - 1]
    inner = lines[line_at.row - 1][: line_at.column - 1]
    if outer.strip() or inner.strip() or not inner.startswith(outer) or inner == outer:
        return None
    moved = []
    for text in lines[first - 1 : last]:
        if not text.strip():
            moved.append(text)
        elif text.startswith(inner):
            moved.append(outer + text[len(inner) :])
        else:
            return None  # a comment or continuation line left of the statement: not ours to move
    content = "".join(moved)
    ending = len(content) - len(content.rstrip("\r\n"))
    last_text = lines[last - 1].rstrip("\r\n")
    return Edit(content[: len(content) - ending], Position(first, 1), Position(last, len(last_text) + 1))
