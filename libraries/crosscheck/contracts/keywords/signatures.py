"""Database function signatures against a declared contract (via crosscheck.postgres.catalog)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.config import mask_url, scrub
from crosscheck.errors import ConfigurationError, CrosscheckError, ServiceUnavailable
from crosscheck.reporting import html_table, log_html


def _norm(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text).strip().lower())
    return re.sub(r"\s*([(),])\s*", r"\1", text).replace(",", ", ")


def render(signature: dict) -> str:
    """``p_universe_name text -> jsonb`` (identity arguments, then the result type)."""
    return f"{signature['arguments']} -> {signature['returns']}".strip()


def _matches(declared: str, signature: dict) -> bool:
    if "->" in declared:
        args, returns = (part.strip() for part in declared.rsplit("->", 1))
    else:
        args, returns = declared.strip(), None
    args_ok = _norm(args) in (_norm(signature["arguments"]), _norm(", ".join(signature["argument_types"])))
    return args_ok and (returns is None or _norm(returns) == _norm(signature["returns"]))


def _load_contract(contract: Any) -> dict[str, str]:
    if isinstance(contract, (str, Path)) and Path(str(contract)).is_file():
        text = Path(str(contract)).read_text(encoding="utf-8")
        try:
            contract = json.loads(text)
        except json.JSONDecodeError:
            import yaml

            contract = yaml.safe_load(text)
    if not isinstance(contract, dict) or not contract:
        raise ConfigurationError("A function contract is a dictionary {function: 'arguments -> returns'} "
                                 "or a JSON/YAML file holding one.")
    out = {}
    for name, declared in contract.items():
        if isinstance(declared, dict):
            declared = f"{declared.get('arguments', '')} -> {declared.get('returns', '')}"
        out[str(name)] = str(declared)
    return out


class SignatureKeywords:
    def _functions(self, schema: str, database_url: str | None) -> dict[str, list[dict]]:
        import psycopg2

        from crosscheck import stack
        from crosscheck.postgres import catalog

        url = database_url or stack.postgres_url()
        try:
            conn = psycopg2.connect(url, connect_timeout=5, application_name="crosscheck-contracts")
        except psycopg2.Error as exc:
            raise ServiceUnavailable(f"Cannot connect to Postgres at {mask_url(url)}: "
                                     f"{scrub(str(exc).strip().splitlines()[0], url)}. "
                                     "Check CROSSCHECK_POSTGRES_URL or that the server is running.") from None
        try:
            return catalog.read_functions(conn, schema)
        finally:
            conn.close()

    @keyword
    def get_function_signature(self, name: str, assertion_operator: AssertionOperator | None = None,
                               assertion_expected: Any = None, schema: str = "public",
                               database_url: str | None = None) -> str:
        """Returns ``arguments -> returns`` of a database function (overloads joined by `` | ``).

        | Get Function Signature    get_etf_universe    ==    p_universe_name text -> jsonb
        """
        functions = self._functions(schema, database_url)
        if name not in functions:
            raise CrosscheckError(f"Function {schema}.{name} does not exist.")
        value = " | ".join(render(s) for s in functions[name])
        return check(value, assertion_operator, assertion_expected, f"Signature of {schema}.{name}")

    @keyword
    def function_signatures_should_match(self, contract: Any, schema: str = "public",
                                         database_url: str | None = None) -> None:
        """Fails unless every function in ``contract`` exists in ``schema`` with the declared signature.

        ``contract`` is a dictionary, or a JSON/YAML file holding one, of
        ``function: arguments -> returns``; the arguments are the identity
        argument list as Postgres prints it (``p_universe_name text``) or the
        types alone (``text``); ``-> returns`` may be left out. Whitespace and
        case do not matter. One failure lists every missing function and every
        differing signature, with the declared and the actual one.

        | &{SIGNATURES} =    Create Dictionary
        | ...    get_etf_universe=p_universe_name text -> jsonb
        | ...    validate_etf_universe_symbols=jsonb
        | Function Signatures Should Match    ${SIGNATURES}
        """
        declared = _load_contract(contract)
        functions = self._functions(schema, database_url)
        problems, rows = [], []
        for name, want in declared.items():
            actual = functions.get(name, [])
            shown = " | ".join(render(s) for s in actual) or "(missing)"
            ok = any(_matches(want, s) for s in actual)
            rows.append([name, want, shown, "ok" if ok else "MISMATCH"])
            if not actual:
                problems.append(f"{schema}.{name}: expected '{want}', got (missing)")
            elif not ok:
                problems.append(f"{schema}.{name}: expected '{want}', got '{shown}'")
        log_html(html_table(rows, ["function", "declared", "actual", "result"], f"Function signatures in {schema}"))
        if problems:
            noun = "function does" if len(problems) == 1 else "functions do"
            raise CrosscheckError(f"{len(problems)} {noun} not match the declared signature: " + "; ".join(problems))
