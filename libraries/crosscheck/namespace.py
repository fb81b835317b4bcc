"""The namespace rule: what keeps parallel tests out of each other's data.

Every test gets a namespace, ``cc_<pid>_<n>`` (lower case, letters, digits and
underscores, so it is valid as a Redis key part, a channel segment, a Postgres
identifier, a collection name and a Docker label). ``<pid>`` is the Robot
Framework (or pytest) process, so two pabot processes never share one; ``<n>``
counts tests within that process.

* Redis: keys a test creates start with ``<ns>:``; channels it publishes test
  traffic on start with ``<ns>.``. Cleanup deletes ``<ns>:*`` by SCAN, never FLUSHDB.
  Messages on the system under test's own channels (``tickstock.*``) are told
  apart by an id the test put in the request that caused them.
* Postgres: scratch objects live in a schema named ``<ns>``, dropped at teardown;
  rows a test adds to shared tables carry the ``TEST_`` prefix and are registered
  and deleted one by one.
* Vectors: collections and tables are named ``<ns>_<name>``.
* Docker: containers carry the labels ``crosscheck=1``, ``crosscheck.run=<run id>``
  (the process that made them), ``crosscheck.host`` and ``crosscheck.sandbox=run|pool``;
  leftovers whose run is gone are removed at the next start.

See docs/namespaces.md for the whole rule.
"""

from __future__ import annotations

import itertools
import os
import re

_counter = itertools.count(1)


def run_id() -> str:
    """An id for this process: ``cc_<pid>``."""
    return f"cc_{os.getpid()}"


def new(label: str = "") -> str:
    """A fresh namespace for one test or one keyword call: ``cc_<pid>_<n>``."""
    ns = f"{run_id()}_{next(_counter)}"
    if label:
        label = re.sub(r"[^a-z0-9_]+", "_", label.lower()).strip("_")[:16]
        if label:
            ns = f"{ns}_{label}"
    return ns
