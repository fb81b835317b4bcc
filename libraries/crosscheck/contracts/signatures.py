"""Database function signatures against a declared contract.

The signatures are read from the live catalog by :func:`crosscheck.postgres.catalog.read_functions`
(the one function-signature reader), over a connection from :mod:`crosscheck.services.postgres`.
Everything else here is pure: parsing the declared contract and comparing signatures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from crosscheck.errors import ConfigurationError

APPLICATION_NAME = "crosscheck-contracts"


def _norm(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text).strip().lower())
    return re.sub(r"\s*([(),])\s*", r"\1", text).replace(",", ", ")


def render(signature: dict) -> str:
    """``p_universe_name text -> jsonb`` (identity arguments, then the result type)."""
    return f"{signature['arguments']} -> {signature['returns']}".strip()


def matches(declared: str, signature: dict) -> bool:
    """Whether ``declared`` (``arguments [-> returns]``, names optional) describes ``signature``."""
    if "->" in declared:
        args, returns = (part.strip() for part in declared.rsplit("->", 1))
    else:
        args, returns = declared.strip(), None
    args_ok = _norm(args) in (_norm(signature["arguments"]), _norm(", ".join(signature["argument_types"])))
    return args_ok and (returns is None or _norm(returns) == _norm(signature["returns"]))


def load_contract(contract: Any) -> dict[str, str]:
    """``{function: 'arguments -> returns'}`` from a dictionary or a JSON/YAML file holding one."""
    if isinstance(contract, (str, Path)) and Path(str(contract)).is_file():
        text = Path(str(contract)).read_text(encoding="utf-8")
        try:
            contract = json.loads(text)
        except json.JSONDecodeError:
            import yaml

            contract = yaml.safe_load(text)
    if not isinstance(contract, dict) or not contract:
        raise ConfigurationError(
            "A function contract is a dictionary {function: 'arguments -> returns'} or a JSON/YAML file holding one."
        )
    out = {}
    for name, declared in contract.items():
        if isinstance(declared, dict):
            declared = f"{declared.get('arguments', '')} -> {declared.get('returns', '')}"
        out[str(name)] = str(declared)
    return out


def read_functions(schema: str = "public", database_url: str | None = None) -> dict[str, list[dict]]:
    """The functions of ``schema`` in the database at ``database_url`` (default: this run's Postgres)."""
    from crosscheck.postgres import catalog
    from crosscheck.services import postgres

    conn = postgres.connect(database_url, application_name=APPLICATION_NAME)
    try:
        return catalog.read_functions(conn, schema)
    finally:
        conn.close()


def compare(declared: dict[str, str], functions: dict[str, list[dict]], schema: str) -> tuple[list[str], list[list]]:
    """The problems (``public.f: expected 'text', got (missing)``) and one table row per declared function."""
    problems, rows = [], []
    for name, want in declared.items():
        actual = functions.get(name, [])
        shown = " | ".join(render(s) for s in actual) or "(missing)"
        ok = any(matches(want, s) for s in actual)
        rows.append([name, want, shown, "ok" if ok else "MISMATCH"])
        if not actual:
            problems.append(f"{schema}.{name}: expected '{want}', got (missing)")
        elif not ok:
            problems.append(f"{schema}.{name}: expected '{want}', got '{shown}'")
    return problems, rows
