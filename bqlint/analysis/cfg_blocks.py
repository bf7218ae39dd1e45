"""The blocks of a CFG and the builder's plumbing: frames, statement dispatch, jumps.

`BlockBuilder` starts and links blocks, dispatches each statement to a `_<NodeType>`
method of its subclasses (cfg_simple.py, cfg.py), and routes `break`/`continue`/
`return`/`raise` out through the open `with`, `try`, `finally` and loop frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union

import libcst as cst

from bqlint.analysis.events import Borrow, Event, UnlockPoint, describe
from bqlint.analysis.extract import Extractor
from bqlint.analysis.scope import FunctionScope
from bqlint.source import children, walk


@dataclass(eq=False, slots=True)
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
class LoopFrame:
    head: Block
    after: Block


@dataclass(eq=False)
class WithFrame:
    exits: list[Event]


@dataclass(eq=False)
class TryFrame:
    handlers: list[Block]
    catches_all: bool


@dataclass(eq=False)
class FinallyFrame:
    body: cst.BaseSuite


Frame = Union[LoopFrame, WithFrame, TryFrame, FinallyFrame]


class CFGTooLarge(Exception):
    """A function whose CFG would exceed its block budget (SPEC §3.1.2: termination, always).

    Each path out of a `try` runs its own copy of the `finally` body, so nesting `try` in
    `finally` doubles the graph at every level. Past the budget the function is not
    analysed (and says so); a bound reached is never a finding.
    """


# Blocks allowed per node of the function's body, and at least: far above what any shape
# but nested `finally` bodies builds (about 3 per statement).
BLOCKS_PER_NODE = 20
MIN_BLOCK_BUDGET = 50_000


class BlockBuilder:
    """Start and link the blocks of `scope.fn`'s CFG; statements are built by subclasses."""

    def __init__(self, scope: FunctionScope) -> None:
        self.scope = scope
        self.blocks: list[Block] = []
        self.budget = max(MIN_BLOCK_BUDGET, BLOCKS_PER_NODE * len(scope.fn.body_nodes()))
        self.entry = self.new()
        self.exit = self.new()
        self.cur = self.entry
        self.frames: list[Frame] = []
        self.extract = Extractor(scope, self.emit, self.fork)
        self._tokens = 0
        # Borrow ids taken inside each open `with bql.locked():` block.
        self._locked: list[set[int]] = []
        # Memoised exception paths, keyed by the frames themselves (compared by identity and
        # kept alive here: a key of ids could be reused by a later frame).
        self._raise_paths: dict[tuple[object, ...], Block | None] = {}

    def build(self) -> CFG:
        self.suite(self.scope.fn.node.body)
        self.link(self.cur, self.exit)
        # The extractor calls back into this builder (emit, fork): a reference cycle that
        # would keep the builder and every block alive until the collector ran. Cut, the CFG
        # goes with its last reference (bqlint.collector).
        del self.extract
        return CFG(self.entry, self.exit, self.blocks)

    # ---- plumbing --------------------------------------------------------------------
    def new(self) -> Block:
        block = Block([], [])
        self.blocks.append(block)
        if len(self.blocks) > self.budget:
            raise CFGTooLarge(f"its control flow needs more than {self.budget:,} blocks")
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
        frames = self.frames
        # Only a statement inside a `try` or `finally` needs to know how it may raise.
        in_try = bool(frames) and any(type(f) is TryFrame or type(f) is FinallyFrame for f in frames)
        raising = _may_raise(stmt) if in_try else None
        if raising:
            # An exception raised by this statement leaves from the state before it (its own
            # inner statements add their edges; entering a `try` raises nothing).
            path = self.raise_path() if raising == _RAISES else self.handler_path()
            if path is not None:
                self.link(self.cur, path)
            self.start(self.cur)  # the edge leaves before the statement's events
        handler = getattr(self, _handler_name(type(stmt)), None)
        if handler is not None:
            handler(stmt)
        elif type(stmt) is cst.SimpleStatementLine:
            for small in stmt.body:
                small_handler = getattr(self, _handler_name(type(small)), None)
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
            if isinstance(frame, WithFrame):
                for event in frame.exits:
                    # An exception leaving `with bql.locked():` goes on unchanged: the
                    # runtime ends the borrows alive there without raising for them.
                    if kind != "raise" or not isinstance(event, UnlockPoint) or event.kind != "locked":
                        self.emit(event)
            elif isinstance(frame, FinallyFrame):
                self.frames = frames[:depth]
                self.start(self.cur)
                self.suite(frame.body)
                self.frames = frames
            elif isinstance(frame, LoopFrame) and kind in ("break", "continue"):
                self.link(self.cur, frame.after if kind == "break" else frame.head)
                self.dead()
                return
            elif isinstance(frame, TryFrame) and kind == "raise":
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
        key = tuple(self.frames)
        path = self._raise_paths.get(key)
        if path is None:
            saved = self.cur
            path = self.start()
            self.jump("raise")
            self.cur = saved
            self._raise_paths[key] = path
        return path

    def handler_path(self) -> Block | None:
        """Return the entry of the path to the handlers of the innermost `try` around here,
        when no `finally` comes first (the `with` blocks between end their borrows), else None.

        Taken by statements that raise only in a program that is wrong already (an attribute
        read or store): a handler written around them is honoured, nothing else is."""
        key = ("handlers", *self.frames)
        if key in self._raise_paths:
            return self._raise_paths[key]
        saved, path = self.cur, None
        handlers: list[Block] = []
        exits: list[Event] = []
        for frame in reversed(self.frames):
            if isinstance(frame, WithFrame):
                exits.extend(frame.exits)
            elif isinstance(frame, FinallyFrame):
                break
            elif isinstance(frame, TryFrame) and frame.handlers:
                handlers = frame.handlers
                break
        if handlers:
            path = self.start()
            for event in exits:
                if not isinstance(event, UnlockPoint) or event.kind != "locked":
                    self.emit(event)
            for handler in handlers:
                self.link(self.cur, handler)
            self.cur = saved
        self._raise_paths[key] = path
        return path


_HANDLER_NAMES: dict[type, str] = {}


def _handler_name(kind: type) -> str:
    """Return the name of the builder method for a statement type: `_If` for cst.If."""
    name = _HANDLER_NAMES.get(kind)
    if name is None:
        name = _HANDLER_NAMES[kind] = f"_{kind.__name__}"
    return name


_RAISES = "raises"  # a call, an item access, a division, `raise`, `await`, ...
_WRONG_ONLY = "wrong-only"  # an attribute read or store: only in a program wrong already


def _may_raise(stmt: cst.CSTNode) -> str | None:
    """How an exception may leave this statement's header (its own inner statements add
    their edges): `_RAISES` for a call, an item access, a division, `raise`, `assert`,
    `await`, `yield`, an import, a loop's iteration, a `with` item; `_WRONG_ONLY` for
    attribute reads and stores and operators, which a correct program does not see raise;
    None for what cannot raise (`g = None`, `if g is not None:`, `break`) and for the
    cleanup itself (`g.release()`, `del g`), which would only invent paths where it failed.
    Entering a `try` raises nothing."""
    kind = type(stmt)
    if kind is cst.Try or kind is cst.TryStar:
        return None
    if kind is cst.SimpleStatementLine:
        parts: list[object] = [small for small in stmt.body if not _is_cleanup(small)]  # type: ignore[attr-defined]
    else:
        header = _HEADERS.get(kind)
        if header is None:
            return _RAISES
        parts = [part for part in header(stmt) if part is not None]
    if any(_raises(part) for part in parts):
        return _RAISES
    if any(not _plain(part) for part in parts):
        return _WRONG_ONLY
    return None


# The parts of a compound statement its own edge covers (the body adds its own).
_HEADERS: dict[type, Callable[[Any], tuple[object, ...]]] = {
    cst.If: lambda s: (s.test,),
    cst.While: lambda s: (s.test,),
    cst.FunctionDef: lambda s: (s.decorators, s.params),
    cst.ClassDef: lambda s: (s.decorators, s.bases, s.keywords),
}


def _is_cleanup(small: cst.BaseSmallStatement) -> bool:
    kind = type(small)
    if kind is cst.Del or kind is cst.Pass:
        return True
    if type(small) is cst.Expr and type(small.value) is cst.Call:
        func = small.value.func
        return type(func) is cst.Attribute and func.attr.value == "release" and not small.value.args
    return False


_RAISING = frozenset(
    {cst.Call, cst.Subscript, cst.Raise, cst.Assert, cst.Await, cst.Yield, cst.Import, cst.ImportFrom}
)
_RAISING_OPERATORS = frozenset(
    {cst.Divide, cst.FloorDivide, cst.Modulo, cst.Power, cst.LeftShift, cst.RightShift, cst.MatrixMultiply,
     cst.DivideAssign, cst.FloorDivideAssign, cst.ModuloAssign, cst.PowerAssign, cst.LeftShiftAssign,
     cst.RightShiftAssign, cst.MatrixMultiplyAssign}
)


def _plain(node: object) -> bool:
    """Whether `node` cannot raise at all: names, literals, `is` tests, `g = None`, `break`."""
    kind = type(node)
    if kind in (cst.Break, cst.Continue, cst.Pass, cst.Name) or isinstance(node, _LITERALS):
        return True
    if kind is cst.Assign:
        return all(type(t.target) is cst.Name for t in node.targets) and _plain(node.value)  # type: ignore[attr-defined]
    if kind is cst.AnnAssign:
        return type(node.target) is cst.Name and node.value is not None and _plain(node.value)  # type: ignore[attr-defined]
    if kind is cst.Return or kind is cst.Expr:
        return node.value is None or _plain(node.value)  # type: ignore[attr-defined]
    if kind is cst.Comparison:
        return _plain(node.left) and all(  # type: ignore[attr-defined]
            type(c.operator) in (cst.Is, cst.IsNot) and _plain(c.comparator)
            for c in node.comparisons  # type: ignore[attr-defined]
        )
    return False


_LITERALS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis)


def _raises(node: object) -> bool:
    """Whether evaluating `node` may raise in a correct program (see `_may_raise`)."""
    nodes = node if isinstance(node, (tuple, list)) else (node,)
    for root in nodes:
        if not isinstance(root, cst.CSTNode):
            continue
        for inner in walk(root, into_scopes=False):
            kind = type(inner)
            if kind in _RAISING:
                return True
            if (kind is cst.BinaryOperation or kind is cst.AugAssign) and type(inner.operator) in _RAISING_OPERATORS:  # type: ignore[attr-defined]
                return True
    return False


def _expressions(small: cst.CSTNode) -> list[cst.BaseExpression]:
    return [c for c in children(small) if isinstance(c, cst.BaseExpression)]
