"""Keyword components of ``crosscheck.Contracts``, one file per concern."""
