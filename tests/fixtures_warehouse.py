"""Warehouse fixtures (filled by the foundation work)."""
