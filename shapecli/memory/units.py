"""Byte counts written for people, in binary units (apart from budget.py, which only --budget needs)."""

from __future__ import annotations


def human(value: int) -> str:
    """`25769803776` → `24.0 GiB` (binary units; bytes below 1 KiB)."""
    for factor, unit in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if value >= factor:
            return f"{value / factor:.1f} {unit}"
    return f"{value:,} bytes"
