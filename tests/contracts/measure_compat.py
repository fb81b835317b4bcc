"""Spec compatibility measured on the pairs of ``compat_pairs/``.

Each folder holds ``base.yaml`` and ``revision.yaml``. Its name is the rule id the
pair must report (``request-property-became-required``), optionally followed by
``--<variant>`` (``request-property-type-changed--xml``); a name starting with ``ok-``
is a compatible pair, which must report nothing at level ERR. A pair whose rule is
a WARN rule is compatible too, and must report that warning. Other files of a folder are
the targets of references to other files; they are brought in as ``Get Breaking Changes``
does for a document read from a file.

Run ``python tests/contracts/measure_compat.py`` for the figures: the share of
breaking pairs caught and the share of compatible pairs flagged.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from crosscheck.contracts.compat import ERR, bundle, compatibility_changes, level_of

PAIRS = Path(__file__).resolve().parent / "compat_pairs"


@dataclass
class Pair:
    name: str
    folder: Path

    @property
    def rule(self) -> str | None:
        return None if self.name.startswith("ok-") else self.name.split("--", 1)[0]

    @property
    def breaking(self) -> bool:
        return self.rule is not None and level_of(self.rule) == ERR

    def run(self) -> list:
        base, revision = (self.folder / "base.yaml", self.folder / "revision.yaml")
        return compatibility_changes(
            bundle(yaml.safe_load(base.read_text()), base), bundle(yaml.safe_load(revision.read_text()), revision)
        )

    def verdict(self) -> tuple[bool, str]:
        """(as expected, what was reported)."""
        changes = self.run()
        errors = sorted({c.rule for c in changes if c.level == ERR})
        rules = sorted({c.rule for c in changes})
        shown = "; ".join(f"{c.level} {c.rule} {c}" for c in changes) or "(nothing)"
        if self.breaking:
            return self.rule in errors, shown
        if self.rule is not None and self.rule not in rules:
            return False, shown
        return not errors, shown


def pairs() -> list[Pair]:
    return [Pair(p.name, p) for p in sorted(PAIRS.iterdir()) if (p / "base.yaml").is_file()]


def measure() -> tuple[list[Pair], list[Pair], list[Pair], list[Pair]]:
    """(breaking pairs, breaking pairs missed, compatible pairs, compatible pairs flagged at ERR)."""
    breaking = [p for p in pairs() if p.breaking]
    compatible = [p for p in pairs() if not p.breaking]
    missed = [p for p in breaking if not p.verdict()[0]]
    flagged = [p for p in compatible if any(c.level == ERR for c in p.run())]
    return breaking, missed, compatible, flagged


def main() -> int:
    breaking, missed, compatible, flagged = measure()
    caught = len(breaking) - len(missed)
    print(f"breaking pairs caught: {caught}/{len(breaking)} = {100 * caught / max(len(breaking), 1):.1f} %")
    print(
        f"compatible pairs flagged: {len(flagged)}/{len(compatible)} = {100 * len(flagged) / max(len(compatible), 1):.1f} %"
    )
    for p in missed:
        print(f"  missed {p.name}: {p.verdict()[1]}")
    for p in flagged:
        print(f"  flagged {p.name}: {p.verdict()[1]}")
    return 0 if not missed and not flagged else 1


if __name__ == "__main__":
    sys.exit(main())
