"""Keyword components of ``crosscheck.Repos``, one file per concern."""
