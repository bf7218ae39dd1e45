"""Whether CPython accepts a file (BQL999), asked of CPython itself: `compile()`.

`compile()` also runs the checks after parsing (`return` outside a function, `from
__future__` placement, `nonlocal` at module level), costs no more than `ast.parse` (it builds
no Python AST objects), and runs under the interpreter's default recursion limit, so that
a raised limit elsewhere in bqlint does not make it accept more than `python` would.

CPython's compiler starts counting its depth from the caller's: called from bqlint's own
frames it would reject files at the limit that `python` compiles. So it runs at the bottom
of a fresh thread, where the depth is what `python -c "compile(...)"` has.
"""

from __future__ import annotations

import _thread
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
            _compile_on_fresh_stack(text)
    except SyntaxError as exc:
        row = max(exc.lineno or 1, 1)
        return (exc.msg or "invalid syntax").strip(), Position(row, max(exc.offset or 1, 1))
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return f"Python cannot compile this file: {exc}", Position(1, 1)
    finally:
        if sys.getrecursionlimit() != saved:
            sys.setrecursionlimit(saved)
    return None


def position_of(text: str, index: int) -> Position:
    """Return the 1-based row and column of `text[index]`, counting Python's line breaks only."""
    before = text[:index]
    row = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    line_start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return Position(row, index - line_start + 1)


# The main thread's usual stack (`ulimit -s`): what a fresh `python` compiles with.
_STACK_BYTES = 8 * 1024 * 1024


def _compile_on_fresh_stack(text: str) -> None:
    """Run `compile(text)` first thing on a new thread; raise what it raised."""
    failure: list[BaseException] = []
    done = _thread.allocate_lock()
    done.acquire()

    def bottom() -> None:  # the thread's only Python frame
        try:
            compile(text, "<bqlint>", "exec", dont_inherit=True)
        except BaseException as exc:  # re-raised in the calling thread
            failure.append(exc)
        finally:
            done.release()

    try:
        previous = threading.stack_size(_STACK_BYTES)
    except (ValueError, RuntimeError):
        previous = None
    try:
        _thread.start_new_thread(bottom, ())
    except RuntimeError:  # no thread to be had (a tight `ulimit -v`): compile here
        done.release()
        compile(text, "<bqlint>", "exec", dont_inherit=True)
    finally:
        if previous is not None:
            threading.stack_size(previous)
    done.acquire()
    if failure:
        raise failure[0]
