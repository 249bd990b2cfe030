"""Spreadsheet files in and out: reading CSV and XLSX, finding headers,
mapping columns to fields, parsing cell values, writing exports.

Plain Python: no Textual, no database sessions. What the files turn into is
handed to ``services.imports``; what exports write comes from ``services.exports``.
"""
