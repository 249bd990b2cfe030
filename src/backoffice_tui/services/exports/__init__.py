"""Exports: the rows of any view, streamed in chunks for CSV, XLSX or JSON."""
