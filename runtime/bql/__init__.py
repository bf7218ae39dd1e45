"""The BQL runtime (being written)."""
