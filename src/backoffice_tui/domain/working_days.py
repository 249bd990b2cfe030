"""Working-day arithmetic for SLAs (Monday to Friday)."""

from datetime import date, timedelta


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (weekends skipped)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current
