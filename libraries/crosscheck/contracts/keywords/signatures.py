"""Database function signatures against a declared contract (read with crosscheck.postgres.catalog)."""

from __future__ import annotations

from typing import Any

from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.contracts import signatures
from crosscheck.contracts.context import ContractsContext
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.reporting import html_table, log_html


class SignatureKeywords(Component[ContractsContext]):
    @keyword
    def get_function_signature(
        self,
        name: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        *,
        schema: str = "public",
        database_url: str | None = None,
    ) -> str:
        """Returns ``arguments -> returns`` of a database function (overloads joined by `` | ``).

        | Get Function Signature    get_etf_universe    ==    p_universe_name text -> jsonb
        """
        functions = signatures.read_functions(schema, database_url)
        if name not in functions:
            raise CrosscheckError(f"Function {schema}.{name} does not exist.")
        value = " | ".join(signatures.render(s) for s in functions[name])
        return check(value, assertion_operator, assertion_expected, f"Signature of {schema}.{name}")

    @keyword
    def function_signatures_should_match(
        self, contract: Any, schema: str = "public", database_url: str | None = None
    ) -> None:
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
        declared = signatures.load_contract(contract)
        problems, rows = signatures.compare(declared, signatures.read_functions(schema, database_url), schema)
        log_html(html_table(rows, ["function", "declared", "actual", "result"], f"Function signatures in {schema}"))
        if problems:
            noun = "function does" if len(problems) == 1 else "functions do"
            raise CrosscheckError(f"{len(problems)} {noun} not match the declared signature: " + "; ".join(problems))
