"""``--help`` of every crosscheck command reads as plain text: no reStructuredText or Markdown
code marks (the docstrings keep them for the keyword pages)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crosscheck.helptext import plain

COMMANDS = [[], ["up"], ["down"], ["status"], ["url"], ["doctor"], ["init"], ["sandbox-image"], ["schema-dump"]]
COMMANDS += [["verdict"], ["baseline"], ["baseline", "save"], ["imports"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "crosscheck")
def test_help_has_no_code_marks(command):
    proc = subprocess.run(
        [sys.executable, "-m", "crosscheck.cli", *command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout
    assert "`" not in proc.stdout, proc.stdout


def test_plain_turns_marks_into_quotes():
    assert (
        plain("The ``crosscheck`` command, see `crosscheck down`.")
        == "The 'crosscheck' command, see 'crosscheck down'."
    )
