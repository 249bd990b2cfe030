"""Automation rules: loading and versioning rule files (definitions), the
fields conditions test (conditions), when rules look (triggers), what they
do (actions), running them exactly once (feed, runner), and what they did
(history)."""
