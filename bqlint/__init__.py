"""bqlint: static checking of the Big-Lock (BQL) and borrow discipline of device models."""

from __future__ import annotations

__version__ = "0.1.0"
