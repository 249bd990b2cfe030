"""Handoffs: opening, submitting, returning and accepting; checklists,
documents and the incoming and outgoing reads."""
