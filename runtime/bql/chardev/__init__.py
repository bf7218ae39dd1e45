"""Character devices: the `CharFrontend` a device holds, and the backends it connects to.

`MemoryChardev` is for tests and examples; `SocketChardev` serves a real socket with its
own I/O thread. Both deliver input to the device's handlers under the BQL.
"""

from __future__ import annotations

from .frontend import Chardev, CharFrontend, Event
from .memory import MemoryChardev
from .socket import SocketChardev

__all__ = ["CharFrontend", "Chardev", "Event", "MemoryChardev", "SocketChardev"]
