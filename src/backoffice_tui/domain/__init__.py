"""Plain types, statuses and rules. No I/O, no framework imports."""
