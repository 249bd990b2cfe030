"""Insight: the numbers that tell where work stands (the home screen's counts)."""
