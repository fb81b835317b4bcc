"""One Robot run of a small checkpoint-6 suite: the good system passes, each seeded defect fails its test."""

from __future__ import annotations

import re
from pathlib import Path

from suite_runner import run_suites

SUITE = Path(__file__).resolve().parent / "configuration.robot"


def test_the_suite_passes_the_good_system_and_fails_the_faulty_one_naming_the_defect(tmp_path):
    run = run_suites(tmp_path, SUITE, timeout=300)
    assert run.statuses == {
        "Good Configuration Passes The Checklist": "PASS",
        "Environment Variables Of The Faulty System Win Over Its Files": "FAIL",
        "Faulty System Keeps Its Canaries Secret": "FAIL",
        "Faulty Production Configuration Is Safe": "FAIL",
    }, run.describe()
    failed = run.failed
    assert (
        "environment (APP_PORT=8004) did not win over dotenv"
        in failed["Environment Variables Of The Faulty System Win Over Its Files"]
    )
    assert "canary secrets of faulty leaked in 4 places" in failed["Faulty System Keeps Its Canaries Secret"]
    assert "debug=true: a development switch is on" in failed["Faulty Production Configuration Is Safe"]
    log = run.output.read_text()  # every message of log.html
    assert not re.search(r"canary[0-9a-f]{20}", log), "a canary value reached the log"
    assert "did not win over" in log and "expected winner" in log
