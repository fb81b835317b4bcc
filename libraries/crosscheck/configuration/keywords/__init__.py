"""Keyword components of ``crosscheck.Configuration``, one file per concern."""
