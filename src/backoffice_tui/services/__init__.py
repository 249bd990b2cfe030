"""Use cases. Each write is one call = one transaction that checks permission
and version, applies the change and records its events in the same commit."""
