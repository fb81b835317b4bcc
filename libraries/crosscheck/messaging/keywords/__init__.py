"""Keyword components of ``crosscheck.Messaging``, one file per concern."""
