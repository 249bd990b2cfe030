"""Event kinds as people read them: ``work_item.claimed`` is "claimed",
``handoff.returned`` "handoff returned". Screens and tables for people show
these words; machine outputs (``--json``, the change feed) keep the kind."""

# kinds whose words are not simply their last part (after the prefix below)
_WORDS = {
    "work_item.note": "note added",
    "work_item.ready": "ready",
    "approval.requested": "approval requested",
    "approval.completed": "approval completed",
    "approval.reminder": "approval reminder",
    "approval.withdrawn": "approval withdrawn",
    "approval.held": "approval held",
    "approval.released": "hold released",
    "approval.handed_over": "approval handed over",
    "order_line.completed": "line completed",
    "order_line.cancelled": "line cancelled",
    "import.created": "imported",
    "import.updated": "updated by import",
}
# what is said before the last part, by the kind's first part
_PREFIXES = {
    "work_item": "",
    "approval": "",
    "handoff": "handoff ",
    "application": "application ",
    "order": "order ",
    "order_line": "line ",
    "customer": "customer ",
}


def event_words(kind: str) -> str:
    """The words for an event kind; an unknown kind reads as its parts."""
    if kind in _WORDS:
        return _WORDS[kind]
    entity, dot, verb = kind.partition(".")
    if not dot:
        return kind.replace("_", " ")
    prefix = _PREFIXES.get(entity, entity.replace("_", " ") + " ")
    return (prefix + verb.replace("_", " ")).strip()
