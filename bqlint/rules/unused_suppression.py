"""BQL100 unused-suppression

## What it flags
A suppression comment (`# bqlint: ignore[CODE]` or `# noqa: CODE` with a bqlint code) that
suppresses no finding on its line.

## Why it is a bug
A stale suppression hides the next real finding on that line, and tells readers a bug is
there when it is not.

## Example
```python
x = 1  # bqlint: ignore[BQL002]
```

## Corrected
```python
x = 1
```

## Fix
The safe autofix deletes the comment, or only bqlint's codes from a `noqa` list that also
names other tools' codes.

## At run time
Nothing: suppressions only affect bqlint.

## Options
Disable with `ignore = ["BQL100"]`.

## See also
Every other rule: each can be suppressed on its primary row.
"""

from __future__ import annotations

from bqlint.diagnostics import Applicability
from bqlint.rules import Rule


class UnusedSuppression(Rule):
    """Reported by `bqlint.suppression`, which knows which suppressions were used."""

    code = "BQL100"
    name = "unused-suppression"
    summary = "Suppression comment that suppresses nothing"
    fix = Applicability.SAFE
