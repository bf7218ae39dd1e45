"""The errors the `bql` runtime raises when the BQL or borrow discipline is broken.

Every error derives from `BqlError`. A few also derive from the built-in exception that
generic code would expect (`TypeError`, `AttributeError`, `IndexError`), so that both
``except bql.BqlError`` and the ordinary Python idiom catch them.

An error that breaks one of bqlint's rules is that rule's *run-time twin* (SPEC §2.3.1):
it carries `rule` (``"BQL003"``), `path` (absolute) and `row` (1-based), the location
``bqlint`` reports for the same bug, and its message ends with
``(bqlint: BQL003 at /src/dev/uart.py:30)`` (that same absolute path). Other errors leave the three as None.
`bql.twins` fills them in.
"""

from __future__ import annotations

__all__ = [
    "BorrowError",
    "BorrowReleasedError",
    "BqlError",
    "BqlNotHeldError",
    "BqlUnlockError",
    "CellRebindingError",
    "FieldMutationError",
    "NoDefaultError",
    "NoSuchOutputError",
    "SharedBorrowWriteError",
    "ThreadMismatchError",
]


class BqlError(Exception):
    """Base class of every error the `bql` runtime raises.

    `rule`, `path` and `row` say which bqlint rule the error is the run-time twin of,
    and where bqlint reports it; None for errors that are no rule's twin.
    """

    rule: str | None = None
    path: str | None = None
    row: int | None = None


class BqlNotHeldError(BqlError):
    """A checked operation ran without the BQL held by the current thread.

    On a cell operation (or a call to a `@requires_bql` function) it is the twin of
    BQL006, at the row of that operation in the calling code.
    """


class BorrowError(BqlError):
    """A `borrow()` / `borrow_mut()` conflicts with a live borrow of the same cell.

    The message names where each conflicting live borrow was taken, as
    ``file:line in function``. Twin of BQL003, at the line running in the function that
    holds the first live borrow.
    """


class SharedBorrowWriteError(BorrowError, AttributeError, TypeError):
    """Something was written through a shared `BqlRef` guard.

    Writing needs `borrow_mut()`. It is a `BorrowError` (the write would need an exclusive
    borrow while only a shared one is held), and also an `AttributeError` / `TypeError`,
    which is what Python raises for writes into read-only objects. Twin of BQL004.
    """


class BqlUnlockError(BqlError):
    """The BQL was to be released while `BqlRefCell` borrows were alive.

    Nothing was unlocked. `borrows` lists where each live borrow was taken. Twin of
    BQL002, at the line running in the function that holds the first live borrow.
    """

    def __init__(self, message: str, borrows: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.borrows = borrows
        # Imported here: `twins` needs the lock module, which needs this one.
        from .twins import locate_unlock

        locate_unlock(self)


class BorrowReleasedError(BqlError):
    """A borrow guard was used after it was released. Twin of BQL005."""


class CellRebindingError(BqlError):
    """A cell field of a device was rebound or deleted outside construction. Twin of BQL007."""


class FieldMutationError(BqlError):
    """A plain field of a realized device was assigned or deleted. Twin of BQL001."""


class ThreadMismatchError(BqlError):
    """A borrow guard was used by a thread other than the one that took it."""


class NoDefaultError(BqlError, TypeError):
    """`BqlCell.take()` found no default: none was given and `type(value)()` failed."""


class NoSuchOutputError(BqlError, IndexError):
    """`Device.connect_irq(n, sink)` named an interrupt output the device does not have."""
