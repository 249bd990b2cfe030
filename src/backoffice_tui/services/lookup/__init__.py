"""Going anywhere: which record an id or a code names (``records.py``)."""
