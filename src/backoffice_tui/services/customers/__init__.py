"""Customers: search, the consolidated timeline, and saved views over the
queue and the timeline."""
