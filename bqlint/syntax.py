"""Whether CPython accepts a file (BQL999), asked of CPython itself: `compile()`.

`compile()` also runs the checks after parsing (`return` outside a function, `from
__future__` placement, `nonlocal` at module level), costs no more than `ast.parse` (it builds
no Python AST objects), and runs under the interpreter's default recursion limit, so that
a raised limit elsewhere in bqlint does not make it accept more than `python` would.

CPython's compiler starts counting its depth from the caller's: called from bqlint's own
frames it would reject files at the limit that `python` compiles. So a file that runs out
of depth is compiled again at the bottom of a fresh thread, where the depth is what
`python -c "compile(...)"` has.
"""

from __future__ import annotations

import _thread
import os
import sys
import threading
import warnings

from bqlint.diagnostics import Position

# The limit `python` starts with; bqlint raises it only around its own deep walks.
DEFAULT_RECURSION_LIMIT = sys.getrecursionlimit()


def python_syntax_error(text: str) -> tuple[str, Position] | None:
    """Return (message, position) of the reason CPython rejects `text`, or None if it compiles."""
    nul = text.find("\0")
    if nul >= 0:
        return "source code cannot contain null bytes", position_of(text, nul)
    saved = sys.getrecursionlimit()
    try:
        if saved != DEFAULT_RECURSION_LIMIT:
            sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
        with warnings.catch_warnings():
            # Warnings (invalid escapes, `is` with a literal) are not errors, whatever -W says.
            warnings.simplefilter("ignore")
            _compile(text)
    except SyntaxError as exc:
        row = max(exc.lineno or 1, 1)
        return (exc.msg or "invalid syntax").strip(), Position(row, max(exc.offset or 1, 1))
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return f"Python cannot compile this file: {exc}", Position(1, 1)
    finally:
        if sys.getrecursionlimit() != saved:
            sys.setrecursionlimit(saved)
    return None


def _compile(text: str) -> None:
    """Compile `text` here; only if that runs out of depth, again on a fresh stack.

    Here the compiler has less depth left than in a fresh `python` (bqlint's frames are
    below it), so what compiles here compiles there: only a `RecursionError` is asked again
    (bqlint.syntax's thread), which keeps the hand-over off the common path.
    """
    try:
        compile(text, "<bqlint>", "exec", dont_inherit=True)
    except RecursionError:
        _compile_on_fresh_stack(text)


def position_of(text: str, index: int) -> Position:
    """Return the 1-based row and column of `text[index]`, counting Python's line breaks only."""
    before = text[:index]
    row = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    line_start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return Position(row, index - line_start + 1)


# The main thread's usual stack (`ulimit -s`): what a fresh `python` compiles with.
_STACK_BYTES = 8 * 1024 * 1024


class _Compiler:
    """A thread that compiles in its bottom frame, one request at a time; kept for the
    process (a new thread per file cost more than the compile's own cold start)."""

    def __init__(self) -> None:
        self.serial = threading.Lock()
        self.job = _thread.allocate_lock()
        self.done = _thread.allocate_lock()
        self.job.acquire()
        self.done.acquire()
        self.text = ""
        self.failure: BaseException | None = None
        previous = threading.stack_size(_STACK_BYTES)
        try:
            _thread.start_new_thread(self.serve, ())
        finally:
            threading.stack_size(previous)

    def serve(self) -> None:  # the thread's only Python frame: compile() runs at depth 1
        while True:
            self.job.acquire()
            try:
                compile(self.text, "<bqlint>", "exec", dont_inherit=True)
                self.failure = None
            except BaseException as exc:  # re-raised in the asking thread
                self.failure = exc
            self.done.release()

    def compile(self, text: str) -> None:
        with self.serial:
            self.text = text
            self.job.release()
            self.done.acquire()
            failure, self.failure, self.text = self.failure, None, ""
        if failure is not None:
            raise failure


_compiler: _Compiler | None = None
_starting = threading.Lock()


def _forget_compiler() -> None:
    """In a forked child the compiler thread is gone and its locks may be held: start anew."""
    global _compiler, _starting
    _compiler, _starting = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_compiler)


def _compile_on_fresh_stack(text: str) -> None:
    """Run `compile(text)` in the bottom frame of the compiler thread; raise what it raised."""
    global _compiler
    compiler = _compiler
    if compiler is None:
        with _starting:
            if _compiler is None:
                try:
                    _compiler = _Compiler()
                except (RuntimeError, ValueError):  # no thread to be had (a tight `ulimit -v`)
                    compile(text, "<bqlint>", "exec", dont_inherit=True)
                    return
            compiler = _compiler
    compiler.compile(text)
