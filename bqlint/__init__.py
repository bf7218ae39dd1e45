"""bqlint: static checking of the Big-Lock (BQL) and borrow discipline of device models."""

from __future__ import annotations

__version__ = "0.1.0"

# Where the project lives: rule documentation URLs (`url` in JSON, SARIF `helpUri`) point here.
REPOSITORY_URL = "https://github.com/qemu-bqlint/bqlint"
