"""Faults the demo can be started with, so that tests can prove the suites catch them.

``CROSSCHECK_DEMO_FAULTS`` holds a comma-separated list of fault names; unset (the
default) the demo is healthy. Each fault is read where it acts, as ``active("name")``;
``KNOWN`` lists every name with what it breaks, and an unknown name stops the demo at
start instead of running it healthy by mistake. Every fault has a pytest test that runs
the suite which claims to catch it against the demo with that fault, and asserts the
suite fails with a message naming the broken thing (``tests/test_demo_faults_*.py``).
"""

from __future__ import annotations

import os

ENV = "CROSSCHECK_DEMO_FAULTS"

# name -> what goes wrong when it is on
KNOWN: dict[str, str] = {
}


def requested() -> list[str]:
    return [n.strip() for n in os.environ.get(ENV, "").split(",") if n.strip()]


def active(name: str) -> bool:
    """True when fault ``name`` is switched on for this demo process."""
    return name in requested()


def validate() -> None:
    """Refuse a fault name nobody declared (a typo would otherwise run a healthy demo)."""
    unknown = [n for n in requested() if n not in KNOWN]
    if unknown:
        raise SystemExit(f"{ENV}: unknown fault(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN)) or 'none'}")
