"""The errors the `bql` runtime raises when the BQL or borrow discipline is broken.

Every error derives from `BqlError`. A few also derive from the built-in exception that
generic code would expect (`TypeError`, `AttributeError`, `IndexError`), so that both
``except bql.BqlError`` and the ordinary Python idiom catch them.
"""

from __future__ import annotations

__all__ = [
    "BorrowError",
    "BorrowReleasedError",
    "BqlError",
    "BqlNotHeldError",
    "BqlUnlockError",
    "NoDefaultError",
    "NoSuchOutputError",
    "SharedBorrowWriteError",
]


class BqlError(Exception):
    """Base class of every error the `bql` runtime raises."""


class BqlNotHeldError(BqlError):
    """A checked operation ran without the BQL held by the current thread."""


class BorrowError(BqlError):
    """A `borrow()` / `borrow_mut()` conflicts with a live borrow of the same cell.

    The message names where each conflicting live borrow was taken, as
    ``file:line in function``.
    """


class SharedBorrowWriteError(BorrowError, AttributeError, TypeError):
    """Something was written through a shared `BqlRef` guard.

    Writing needs `borrow_mut()`. It is a `BorrowError` (the write would need an exclusive
    borrow while only a shared one is held), and also an `AttributeError` / `TypeError`,
    which is what Python raises for writes into read-only objects.
    """


class BqlUnlockError(BqlError):
    """The BQL was to be released while `BqlRefCell` borrows were alive.

    Nothing was unlocked. `borrows` lists where each live borrow was taken.
    """

    def __init__(self, message: str, borrows: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.borrows = borrows


class BorrowReleasedError(BqlError):
    """A borrow guard was used after it was released."""


class NoDefaultError(BqlError, TypeError):
    """`BqlCell.take()` found no default: none was given and `type(value)()` failed."""


class NoSuchOutputError(BqlError, IndexError):
    """`Device.connect_irq(n, sink)` named an interrupt output the device does not have."""
