"""BQL001 field-mutation-outside-cell

Device field mutated outside construction and outside a cell.
"""

from __future__ import annotations

from bqlint.rules import Rule


class FieldMutationOutsideCell(Rule):
    code = "BQL001"
    name = "field-mutation-outside-cell"
    summary = "Device field mutated outside construction and outside a cell"
