"""The auditor's history index (issue 13): one row per event of the log, and queries over it."""
