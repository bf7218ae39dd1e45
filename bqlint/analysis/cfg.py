"""The control-flow graph of one function, one block per statement, events inside.

Branches, loops (`while True` has no exit edge), `break`/`continue`/`return`/`raise` leaving
`with` blocks (their guards end) and `try`/`finally` (the finally body is inlined on each
path out), and exception edges from every statement of a `try` body to its handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Union

import libcst as cst

from bqlint.analysis.events import (
    Bind,
    Borrow,
    DelName,
    EndBorrow,
    Escape,
    Event,
    GuardWrite,
    LockChange,
    Narrow,
    ReleaseGuard,
    UnlockPoint,
    describe,
)
from bqlint.analysis.extract import Extractor, GuardName, Temp, Value, is_synthetic
from bqlint.analysis.narrowing import captures, captures_of_subject, narrowing
from bqlint.analysis.scope import FunctionScope
from bqlint.model import api
from bqlint.source import children


@dataclass(eq=False)
class Block:
    events: list[Event] = field(default_factory=list)
    succ: list[Block] = field(default_factory=list)


@dataclass(eq=False)
class CFG:
    entry: Block
    exit: Block
    blocks: list[Block]

    def dump(self) -> str:
        """Return a text form for tests: one line per block, events and successors."""
        index = {id(b): i for i, b in enumerate(self.blocks)}
        lines = []
        for i, block in enumerate(self.blocks):
            if not block.events and not block.succ and block is not self.exit:
                continue
            events = "; ".join(describe(e) for e in block.events)
            succ = ",".join(str(index[id(s)]) for s in block.succ)
            lines.append(f"{i}: [{events}] -> {succ}")
        return "\n".join(lines)


@dataclass(eq=False)
class _Loop:
    head: Block
    after: Block


@dataclass(eq=False)
class _With:
    exits: list[Event]


@dataclass(eq=False)
class _Try:
    handlers: list[Block]
    catches_all: bool


@dataclass(eq=False)
class _Finally:
    body: cst.BaseSuite


_Frame = Union[_Loop, _With, _Try, _Finally]


class CFGBuilder:
    """Build the CFG of `scope.fn`."""

    def __init__(self, scope: FunctionScope) -> None:
        self.scope = scope
        self.blocks: list[Block] = []
        self.entry = self.new()
        self.exit = self.new()
        self.cur = self.entry
        self.frames: list[_Frame] = []
        self.extract = Extractor(scope, self.emit, self.fork)
        self._tokens = 0
        # Borrow ids taken inside each open `with bql.locked():` block.
        self._locked: list[set[int]] = []
        self._raise_paths: dict[tuple[int, ...], Block] = {}

    def build(self) -> CFG:
        self.suite(self.scope.fn.node.body)
        self.link(self.cur, self.exit)
        return CFG(self.entry, self.exit, self.blocks)

    # ---- plumbing --------------------------------------------------------------------
    def new(self) -> Block:
        block = Block()
        self.blocks.append(block)
        return block

    def link(self, a: Block, b: Block) -> None:
        if b not in a.succ:
            a.succ.append(b)

    def emit(self, event: Event) -> None:
        self.cur.events.append(event)
        if self._locked and isinstance(event, Borrow):
            for inside in self._locked:
                inside.add(event.bid)

    def start(self, *preds: Block) -> Block:
        block = self.new()
        for pred in preds:
            self.link(pred, block)
        self.cur = block
        return block

    def fork(self, branches: list[Callable[[], None]]) -> None:
        """Run each branch from the current block, then join them (`a if c else b`)."""
        origin = self.cur
        ends = []
        for branch in branches:
            self.start(origin)
            branch()
            ends.append(self.cur)
        self.start(*ends)

    def dead(self) -> None:
        self.cur = self.new()

    def suite(self, body: cst.BaseSuite | cst.BaseStatement | None) -> None:
        if body is None:
            return
        if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)):
            for stmt in body.body:
                self.statement(stmt)
        else:
            self.statement(body)

    def statement(self, stmt: cst.CSTNode) -> None:
        self.start(self.cur)
        if _may_raise(stmt) and any(isinstance(f, (_Try, _Finally)) for f in self.frames):
            # An exception raised by this statement leaves from the state before it (its own
            # inner statements add their edges; entering a `try` raises nothing).
            self.link(self.cur, self.raise_path())
            self.start(self.cur)  # the edge leaves before the statement's events
        handler = getattr(self, f"_{type(stmt).__name__}", None)
        if handler is not None:
            handler(stmt)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                small_handler = getattr(self, f"_{type(small).__name__}", None)
                if small_handler is not None:
                    small_handler(small)
                else:
                    for child in _expressions(small):
                        self.extract.end(self.extract.expr(child))

    # ---- jumps -----------------------------------------------------------------------
    def jump(self, kind: str) -> None:
        """Leave through the frames: end `with` guards, run `finally`, reach the target."""
        frames = self.frames
        for depth in range(len(frames) - 1, -1, -1):
            frame = frames[depth]
            if isinstance(frame, _With):
                for event in frame.exits:
                    # An exception leaving `with bql.locked():` goes on unchanged: the
                    # runtime ends the borrows alive there without raising for them.
                    if kind != "raise" or not isinstance(event, UnlockPoint) or event.kind != "locked":
                        self.emit(event)
            elif isinstance(frame, _Finally):
                self.frames = frames[:depth]
                self.start(self.cur)
                self.suite(frame.body)
                self.frames = frames
            elif isinstance(frame, _Loop) and kind in ("break", "continue"):
                self.link(self.cur, frame.after if kind == "break" else frame.head)
                self.dead()
                return
            elif isinstance(frame, _Try) and kind == "raise":
                for handler in frame.handlers:
                    self.link(self.cur, handler)
                if frame.catches_all:
                    self.dead()
                    return
                if frame.handlers:
                    # Uncaught, it goes on: what the outer frames do (a `with` ending its
                    # borrow) happens after the handlers were tried, not before.
                    self.start(self.cur)
        self.link(self.cur, self.exit)
        self.dead()

    def raise_path(self) -> Block:
        """Return the entry of the path an exception takes from here (memoised per frames)."""
        key = tuple(id(f) for f in self.frames)
        path = self._raise_paths.get(key)
        if path is None:
            saved = self.cur
            path = self.start()
            self.jump("raise")
            self.cur = saved
            self._raise_paths[key] = path
        return path

    # ---- simple statements -----------------------------------------------------------
    def _Expr(self, node: cst.Expr) -> None:
        self.extract.end(self.extract.expr(node.value))

    def _Assign(self, node: cst.Assign) -> None:
        value = self.extract.expr(node.value)
        for target in node.targets:
            self.assign_target(target.target, value, node)
        if is_synthetic(value) or not any(isinstance(t.target, cst.Name) for t in node.targets):
            self.extract.end(value)  # a guard bound to a name lives on; a temporary ends

    def _AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            value = self.extract.expr(node.value)
            self.assign_target(node.target, value, node)
            if is_synthetic(value) or not isinstance(node.target, cst.Name):
                self.extract.end(value)

    def _AugAssign(self, node: cst.AugAssign) -> None:
        self.extract.end(self.extract.expr(node.value))
        self.assign_target(node.target, None, node)

    def assign_target(self, target: cst.BaseExpression, value: object, stmt: cst.CSTNode) -> None:
        ex = self.extract
        if isinstance(target, cst.Name):
            name = target.value
            if name in self.scope.globals and value is not None:
                self.emit(Escape(_guard(value), target, "store"))
            self.emit(ex.bind(name, value if isinstance(value, (Temp, GuardName)) else None))
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            self.unpack(target, value, stmt)
            return
        if isinstance(target, cst.StarredElement):
            self.assign_target(target.value, value, stmt)
            return
        if isinstance(target, (cst.Attribute, cst.Subscript)):
            temps = self.target_parts(target)
            root = ex.guard_root(target)
            if root is not None:
                self.emit(GuardWrite(root, target))
            if isinstance(value, (Temp, GuardName)):
                self.emit(Escape(_guard(value), target, "store"))
            if isinstance(target, cst.Attribute):
                ex.property_access(target, "setter")
            for temp in temps:
                ex.end(temp)

    def unpack(self, target: cst.Tuple | cst.List, value: object, stmt: cst.CSTNode) -> None:
        """`a, *rest = x.borrow(), y.borrow(), 0`: each name takes the guard of its element (a
        starred name every guard of its slice). Unpacking anything else binds values read out
        of it, never a guard; the names are rebound all the same."""
        ex = self.extract
        elements = list(target.elements)
        parts = ex.parts.get(str(value)) if is_synthetic(value) else None
        stars = [i for i, e in enumerate(elements) if isinstance(e, cst.StarredElement)]
        fits = parts is not None and (
            len(parts) == len(elements) if not stars else len(stars) == 1 and len(parts) >= len(elements) - 1
        )
        if parts is None or not fits:
            for element in elements:
                self.assign_target(element.value, None, stmt)
            return
        after = len(elements) - 1 - stars[0] if stars else 0
        for index, element in enumerate(elements):
            if stars and index == stars[0]:
                held = ex.union(parts[index : len(parts) - after])
                self.assign_target(element.value, held, stmt)
                ex.end(held)
            else:
                before = not stars or index < stars[0]
                part = parts[index] if before else parts[len(parts) - (len(elements) - index)]
                self.assign_target(element.value, part, stmt)

    def target_parts(self, target: cst.Attribute | cst.Subscript) -> list[Value]:
        """Evaluate the sub-expressions of an assignment target; return temporaries to end."""
        ex = self.extract
        temps: list[Value] = [ex.evaluate(target.value)]
        if isinstance(target, cst.Subscript):
            temps.extend(ex.slice_values(target))
        return temps

    def _Del(self, node: cst.Del) -> None:
        self.delete(node.target)

    def delete(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            if self.scope.may_hold_guard(target.value):
                self.emit(DelName(target.value))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.delete(element.value)
        elif isinstance(target, (cst.Attribute, cst.Subscript)):
            temps = self.target_parts(target)
            root = self.extract.guard_root(target)
            if root is not None:
                self.emit(GuardWrite(root, target))
            for temp in temps:
                self.extract.end(temp)

    def _Return(self, node: cst.Return) -> None:
        ex = self.extract
        value = ex.expr(node.value)
        if value is not None:  # `return g`, `return g, n`, `return {"g": g}` all hand out the guard
            self.emit(Escape(_guard(value), node, "return"))
        ex.end(value)
        self.jump("return")

    def _Raise(self, node: cst.Raise) -> None:
        self.extract.end(self.extract.expr(node.exc))
        self.extract.end(self.extract.expr(node.cause.item if node.cause else None))
        self.jump("raise")

    def _Break(self, node: cst.Break) -> None:
        self.jump("break")

    def _Continue(self, node: cst.Continue) -> None:
        self.jump("continue")

    def _FunctionDef(self, node: cst.FunctionDef) -> None:
        for deco in node.decorators:
            self.extract.end(self.extract.expr(deco.decorator))
        self.emit(Bind(node.name.value))

    def _ClassDef(self, node: cst.ClassDef) -> None:
        self.emit(Bind(node.name.value))

    # ---- compound statements ---------------------------------------------------------
    def _If(self, node: cst.If) -> None:
        self.extract.end(self.extract.expr(node.test))
        test_block = self.cur
        when_none, when_some = narrowing(self.scope, node.test)
        self.start(test_block)
        if when_none:
            self.emit(Narrow(when_none))
        self.suite(node.body)
        after_body = self.cur
        self.start(test_block)
        if when_some:
            self.emit(Narrow(when_some))
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            self.statement(orelse)
        elif orelse is not None:
            self.suite(orelse.body)
        self.start(after_body, self.cur)

    def _While(self, node: cst.While) -> None:
        head = self.start(self.cur)
        self.extract.end(self.extract.expr(node.test))
        test_block = self.cur
        when_none, when_some = narrowing(self.scope, node.test)
        after = self.new()
        self.frames.append(_Loop(head, after))
        self.start(test_block)
        if when_none:
            self.emit(Narrow(when_none))
        self.suite(node.body)
        self.link(self.cur, head)
        self.frames.pop()
        infinite = (
            isinstance(node.test, cst.Name)
            and node.test.value == "True"
            or (isinstance(node.test, cst.Integer) and node.test.value not in ("0",))
        )
        if not infinite:
            self.start(test_block)
            if when_some:
                self.emit(Narrow(when_some))
            if node.orelse is not None:
                self.suite(node.orelse.body)
            self.link(self.cur, after)
        self.cur = after

    def _For(self, node: cst.For) -> None:
        # A display of guards (`for g in (a.borrow(), b.borrow())`) lives for the whole loop,
        # and the target holds one of them; any other iterable is not a guard.
        items = self.extract.expr(node.iter)
        kept = items if is_synthetic(items) else None
        if kept is None:
            self.extract.end(items)
        head = self.start(self.cur)
        if node.asynchronous is not None:
            self.emit(UnlockPoint(node, "async for"))
        after = self.new()
        self.frames.append(_Loop(head, after))
        self.start(head)
        each: object = kept
        if kept is None and isinstance(node.iter, cst.Name) and node.iter.value in self.scope.containers:
            each = GuardName(node.iter.value)  # `for g in rest`: each element is one of its guards
        self.assign_target(node.target, each if isinstance(node.target, cst.Name) else None, node)
        self.suite(node.body)
        self.link(self.cur, head)
        self.frames.pop()
        self.start(head)
        if node.orelse is not None:
            self.suite(node.orelse.body)
        self.link(self.cur, after)
        self.cur = after
        if kept is not None:
            self.extract.end(kept)

    def _With(self, node: cst.With) -> None:
        exits: list[Event] = []
        frames_before, locked_before = len(self.frames), len(self._locked)
        for item in node.items:
            exits[:0] = self.with_item(item, node.asynchronous is not None)
            self.frames.append(_With(list(exits)))
        self.suite(node.body)
        del self.frames[frames_before:]
        del self._locked[locked_before:]
        self.start(self.cur)
        for event in exits:
            self.emit(event)

    def with_item(self, item: cst.WithItem, is_async: bool) -> list[Event]:
        """Emit the entry events of one `with` item; return its exit events."""
        ex = self.extract
        value = ex.expr(item.item)
        exits: list[Event] = []
        qname = ""
        if isinstance(item.item, cst.Call):
            target = self.scope.resolve_name(item.item.func)
            qname = getattr(target, "qname", "") or ""
        if qname == api.UNLOCKED:
            self.emit(UnlockPoint(item, "unlocked"))
            self.emit(LockChange(item, "not_held"))
            exits.append(LockChange(item, "held"))
        elif qname == api.LOCKED:
            self._tokens += 1
            self.emit(LockChange(item, "save", self._tokens))
            self.emit(LockChange(item, "held"))
            # Leaving the block releases the BQL (SPEC §3.1 BQL002: a point where the BQL
            # is released) for the borrows taken inside it.
            inside: set[int] = set()
            self._locked.append(inside)
            exits.append(UnlockPoint(item, "locked", inside))
            exits.append(LockChange(item, "restore", self._tokens))
        if is_async:
            self.emit(UnlockPoint(item, "async with"))
        asname = item.asname.name if item.asname is not None else None
        if isinstance(asname, cst.Name):
            self.emit(ex.bind(asname.value, value))
        elif asname is not None:
            self.assign_target(asname, value, item)
        if isinstance(value, Temp):
            exits.append(EndBorrow((int(value),)))
        elif isinstance(value, GuardName):
            exits.append(ReleaseGuard(str(value), item.item))  # the guard's __exit__ ends its borrow
        return exits

    def _Try(self, node: cst.Try | cst.TryStar) -> None:
        handler_blocks = [self.new() for _ in node.handlers]
        catches_all = any(h.type is None or _catches_everything(h.type) for h in node.handlers)
        outer = len(self.frames)
        if node.finalbody is not None:
            self.frames.append(_Finally(node.finalbody.body))
        self.frames.append(_Try(handler_blocks, catches_all))
        self.suite(node.body)
        self.frames.pop()
        if node.orelse is not None:
            self.suite(node.orelse.body)
        ends = [self.cur]
        for handler, block in zip(node.handlers, handler_blocks):
            assert isinstance(handler, (cst.ExceptHandler, cst.ExceptStarHandler))
            self.cur = block
            self.extract.end(self.extract.expr(handler.type))
            if handler.name is not None and isinstance(handler.name.name, cst.Name):
                self.emit(Bind(handler.name.name.value))
            self.suite(handler.body)
            ends.append(self.cur)
        del self.frames[outer:]
        self.start(*ends)
        if node.finalbody is not None:
            self.suite(node.finalbody.body)

    _TryStar = _Try

    def _Match(self, node: cst.Match) -> None:
        ex = self.extract
        value = ex.expr(node.subject)
        # The subject lives while the cases match; `case g:` / `case Regs() as g:` binds it.
        held = ex.own(value)
        subject = self.cur
        ends = []
        for case in node.cases:
            self.start(subject)
            parts = ex.parts.get(str(held), []) if held is not None else []
            of_subject = captures_of_subject(case.pattern, held, parts)
            for captured in captures(case.pattern):
                source = of_subject.get(captured)
                self.emit(Bind(captured, alias=str(source)) if source is not None else Bind(captured))
            ex.end(held)
            if case.guard is not None:
                self.extract.end(self.extract.expr(case.guard))
            self.suite(case.body)
            ends.append(self.cur)
        last = node.cases[-1] if node.cases else None
        exhaustive = (
            last is not None
            and last.guard is None
            and isinstance(last.pattern, cst.MatchAs)
            and last.pattern.pattern is None
        )
        if not exhaustive:
            self.start(subject)
            ex.end(held)
            ends.append(self.cur)
        self.start(*ends)


def _may_raise(stmt: cst.CSTNode) -> bool:
    """Whether an exception edge leaves this statement: not entering a `try`, and not the
    cleanup itself (`g.release()`, `del g`), which would only invent paths where it failed."""
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        return False
    if isinstance(stmt, cst.SimpleStatementLine):
        return not all(_is_cleanup(small) for small in stmt.body)
    return True


def _is_cleanup(small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, (cst.Del, cst.Pass)):
        return True
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        func = small.value.func
        return isinstance(func, cst.Attribute) and func.attr.value == "release" and not small.value.args
    return False


def _guard(value: object) -> str | int:
    return str(value) if isinstance(value, GuardName) else int(value)  # type: ignore[call-overload]


def _expressions(small: cst.CSTNode) -> list[cst.BaseExpression]:
    return [c for c in children(small) if isinstance(c, cst.BaseExpression)]


def _catches_everything(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "BaseException"
