"""Keyword components of ``crosscheck.Sandbox``, one file per concern."""

from crosscheck.sandbox.keywords.execution import ExecutionKeywords
from crosscheck.sandbox.keywords.load import LoadKeywords
from crosscheck.sandbox.keywords.pool import PoolKeywords
from crosscheck.sandbox.keywords.results import ResultKeywords
from crosscheck.sandbox.keywords.risk import RiskKeywords

__all__ = ["ExecutionKeywords", "LoadKeywords", "PoolKeywords", "ResultKeywords", "RiskKeywords"]
