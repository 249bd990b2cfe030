"""Insight: the numbers that tell where work stands (the home screen's
counts) and the reports a lead asks for: flow, SLA, rework, approval lead
times, before and after a process change, automation, and the event log
for process mining. All of them are reads, counted by SQL."""
