"""Holds the BQL for a test (being written)."""
