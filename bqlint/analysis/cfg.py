"""The control-flow graph of one function, one block per statement, events inside.

Branches, loops (`while True` has no exit edge), `break`/`continue`/`return`/`raise` leaving
`with` blocks (their guards end) and `try`/`finally` (the finally body is inlined on each
path out), and exception edges from every statement of a `try` body to its handlers.
Compound statements are built here; blocks, frames and jumps in cfg_blocks.py, simple
statements in cfg_simple.py.
"""

from __future__ import annotations

import libcst as cst

from bqlint.analysis.cfg_blocks import CFG, Block, FinallyFrame, LoopFrame, TryFrame, WithFrame
from bqlint.analysis.cfg_simple import SimpleStatements
from bqlint.analysis.events import (
    Bind,
    Call,
    EndBorrow,
    Event,
    LockChange,
    Narrow,
    ReleaseGuard,
    UnlockPoint,
)
from bqlint.analysis.expressions import StackExits, text_of
from bqlint.analysis.extract import GuardName, Temp, is_synthetic
from bqlint.analysis.narrowing import captures, captures_of_subject, case_of_none, narrowing
from bqlint.model import api
from bqlint.model.classes import Instance
from bqlint.model.functions import FunctionInfo

__all__ = ["CFG", "Block", "CFGBuilder"]


class CFGBuilder(SimpleStatements):
    """Build the CFG of `scope.fn`: compound statements here, the rest in the base classes."""

    def _If(self, node: cst.If) -> None:
        self.extract.end(self.extract.expr(node.test))
        self.extract.truth_test(node.test)
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
        self.extract.truth_test(node.test)
        test_block = self.cur
        when_none, when_some = narrowing(self.scope, node.test)
        after = self.new()
        self.frames.append(LoopFrame(head, after))
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
        if type(node.iter) in (cst.Call, cst.GeneratorExp) and node.asynchronous is None:
            self.extract.iterated.add(id(node.iter))
        items = self.extract.expr(node.iter)
        if node.asynchronous is None:
            self.extract.consume_locals(node.iter, [node.iter])  # `for x in pending:`
        if node.asynchronous is None:
            self.extract.iteration(node.iter)
        kept = items if is_synthetic(items) else None
        if kept is None:
            self.extract.end(items)
        container = node.iter.value if kept is None and isinstance(node.iter, cst.Name) else None
        # A loop over a local that only ever holds a display or a starred list runs no
        # iteration only when that container is empty: on that exit it holds no guard, so
        # `for g in rest: g.release()` ends every borrow of `rest`.
        empty_exit = container is not None and node.asynchronous is None and self.scope.only_containers(container)
        first = self.start(self.cur)
        head = self.new() if empty_exit else first
        if node.asynchronous is not None:
            self.emit(UnlockPoint(node, "async for"))
        after = self.new()
        self.frames.append(LoopFrame(head, after))
        self.start(first, head)
        each: object = kept
        if container is not None and container in self.scope.containers:
            each = GuardName(container)  # `for g in rest`: each element is one of its guards
        self.assign_target(node.target, each if isinstance(node.target, cst.Name) else None, node)
        self.suite(node.body)
        self.link(self.cur, head)
        self.frames.pop()
        if empty_exit:
            assert container is not None
            self.start(first)
            self.emit(Narrow(container))
            self.start(self.cur, head)
        else:
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
        stacks: list[str] = []
        for item in node.items:
            exits[:0] = self.with_item(item, node.asynchronous is not None)
            frame = WithFrame(list(exits))
            self.frames.append(frame)
            stack = self._exit_stack(item)
            if stack is not None:
                stacks.append(stack)
                self.extract.exit_stacks[stack] = StackExits(frame.exits, exits)
        self.suite(node.body)
        for stack in stacks:
            self.extract.exit_stacks.pop(stack, None)
        del self.frames[frames_before:]
        del self._locked[locked_before:]
        self.start(self.cur)
        for event in exits:
            self.emit(event)

    def with_item(self, item: cst.WithItem, is_async: bool) -> list[Event]:
        """Emit the entry events of one `with` item; return its exit events."""
        ex = self.extract
        if isinstance(item.item, cst.Call):
            ex.entered[id(item.item)] = is_async
        value = ex.expr(item.item)
        exits: list[Event] = self.enter_context(item.item, is_async)
        qname = ""
        if isinstance(item.item, cst.Call):
            target = self.scope.resolve_name(item.item.func)
            qname = getattr(target, "qname", "") or ""
            callee = self.scope.callee_of(item.item)
            if callee is not None:
                qname = _returned_manager(callee) or qname  # `with self.host_window():`
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

    def _exit_stack(self, item: cst.WithItem) -> str | None:
        """The name of `with contextlib.ExitStack() as name:` (or `async with AsyncExitStack()`):
        what it enters, it leaves when the block is left."""
        asname = item.asname.name if item.asname is not None else None
        if not isinstance(asname, cst.Name) or not isinstance(item.item, cst.Call):
            return None
        target = self.scope.resolve_name(item.item.func)
        return asname.value if getattr(target, "qname", "") in _EXIT_STACKS else None

    def enter_context(self, expr: cst.BaseExpression, is_async: bool) -> list[Event]:
        """Entering a context manager that is an instance of a project class calls its
        `__enter__` (`__aenter__`); return the exit event, the call of its `__exit__`."""
        typed = self.scope.value_type(expr)
        if typed is None and isinstance(expr, cst.Call):
            typed = self.scope.return_type(expr)  # `with self.bus.transaction():` -> Transaction
        elif typed is None:
            typed = self.scope.property_type(expr)  # `with self.calibration:` (a property)
        if not isinstance(typed, Instance):
            return []
        receiver = self.scope.key_of(expr)
        label = f"{'async with' if is_async else 'with'} {text_of(expr)}"
        enter, leave = ("__aenter__", "__aexit__") if is_async else ("__enter__", "__exit__")
        callees = tuple(typed.cls.implementations(enter))
        if callees:
            self.emit(Call(expr, callees, receiver, (), (), label=label))
        callees = tuple(typed.cls.implementations(leave))
        return [Call(expr, callees, receiver, (), (), label=label)] if callees else []

    def _Try(self, node: cst.Try | cst.TryStar) -> None:
        handler_blocks = [self.new() for _ in node.handlers]
        catches_all = any(h.type is None or _catches_everything(h.type) for h in node.handlers)
        outer = len(self.frames)
        if node.finalbody is not None:
            self.frames.append(FinallyFrame(node.finalbody.body))
        self.frames.append(TryFrame(handler_blocks, catches_all))
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
            none_case = case_of_none(self.scope, node.subject, case.pattern)
            if none_case is not None:
                self.emit(Narrow(none_case))  # `case None:` is `subject is None`
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


_EXIT_STACKS = frozenset({"contextlib.ExitStack", "contextlib.AsyncExitStack"})


def _returned_manager(fn: FunctionInfo) -> str | None:
    """Return `bql.unlocked` (`bql.locked`) when every `return` of `fn` returns that call."""
    found: set[str] = set()
    for node in fn.body_nodes():
        if type(node) is cst.Return:
            value = node.value
            target = fn.project.resolve_expr(value.func, fn.module) if isinstance(value, cst.Call) else None
            found.add(getattr(target, "qname", "") or "")
    if len(found) == 1 and found & {api.UNLOCKED, api.LOCKED}:
        return found.pop()
    return None


def _catches_everything(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "BaseException"
