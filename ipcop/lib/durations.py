"""Durations as people read them on a statement: hours and minutes, not decimal hours
(1.8 hours reads as "one hour eight" to many; 1:48 cannot be misread)."""

from __future__ import annotations


def hours_minutes(minutes: int | None) -> str:
    """`minutes` as h:mm (95 → "1:35", 0 or None → "0:00")."""
    hours, rest = divmod(int(minutes or 0), 60)
    return f"{hours}:{rest:02d}"
