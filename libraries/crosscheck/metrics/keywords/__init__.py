"""Keyword components of ``crosscheck.Metrics``, one file per concern."""
