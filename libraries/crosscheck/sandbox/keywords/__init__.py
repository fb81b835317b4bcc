"""Keyword components of ``crosscheck.Sandbox``, one file per concern."""
