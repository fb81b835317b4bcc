"""Small helpers every part of crosscheck.Postgres uses: names as data, sibling databases,
psycopg2 errors as one readable line, expected counts.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

from psycopg2 import sql

from crosscheck import config
from crosscheck.errors import CrosscheckError


def to_count(value):
    """An expected count as int (Robot passes ``0`` from a suite as text)."""
    try:
        return int(str(value).strip())
    except ValueError:
        return value


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def database_of(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def split_name(name: str, schema: str | None = None) -> tuple[str, str]:
    """``"public.cache_entries"`` -> ``("public", "cache_entries")``; no dot -> ``schema`` or public.

    Names are data, never SQL: a name containing quotes or semicolons stays a
    literal (and normally does not exist).
    """
    name = str(name)
    if schema:
        return schema, name
    match = re.fullmatch(r'"((?:[^"]|"")+)"\.(.+)|([^."]+)\.(.+)', name)
    if match:
        if match.group(1) is not None:
            return match.group(1).replace('""', '"'), match.group(2).strip('"')
        return match.group(3), match.group(4).strip('"') if match.group(4).startswith('"') else match.group(4)
    return "public", name


def no_such_table(kind: str | None, schema: str, name: str, database: str) -> CrosscheckError:
    """The failure for a table that is not there: absent, or another kind of relation (``kind`` as
    :func:`catalog.find_relation` names it), never "does not exist ... (it is a table)"."""
    if kind is None:
        return CrosscheckError(f"Table {schema}.{name} does not exist in database {database}.")
    if kind in ("table", "partitioned table", "foreign table"):
        return CrosscheckError(
            f"Table {schema}.{name} belongs to an extension in database {database}; "
            "crosscheck leaves extension objects to the extension."
        )
    return CrosscheckError(f"{schema}.{name} is a {kind}, not a table, in database {database}.")


def quoted(schema: str, name: str) -> sql.Composed:
    return sql.SQL(".").join([sql.Identifier(schema), sql.Identifier(name)])


def db_error(err: Exception, where: str, url: str | None = None) -> CrosscheckError:
    """A psycopg2 error as one readable line that names ``where``."""
    diag = getattr(err, "diag", None)
    text = (getattr(diag, "message_primary", None) or str(err).strip().splitlines()[0]) if str(err) else repr(err)
    hint = getattr(diag, "message_hint", None)
    if hint:
        text += f" (hint: {hint})"
    return CrosscheckError(config.scrub(f"{where}: {text}", url))


_LITERAL = re.compile(r"'(?:[^']|'')*'|\$\d+|%\(\w+\)s|%s|\b\d+(?:\.\d+)?\b")
_NAMESPACE = re.compile(r"\bcc_\d+_\d+")


def figure_part(query: str, limit: int = 60) -> str:
    """A short, stable form of a query (or an application name) for figure names: its words in lower
    case joined by ``_``, without literals, parameters or a test's namespace
    (``select_get_etf_universe`` for ``SELECT get_etf_universe('TEST_x')``, ``orders_api`` for
    ``orders-api-*``). A long form is cut and ends with a hash of the whole.
    """
    text = _NAMESPACE.sub("ns", _LITERAL.sub(" ", str(query).lower()))
    form = "_".join(re.findall(r"[a-z_][a-z0-9_]*", text)).strip("_") or "query"
    if len(form) <= limit:
        return form
    digest = hashlib.sha1(form.encode()).hexdigest()[:8]
    return f"{form[: limit - 9].rstrip('_')}_{digest}"


def short(query: str, limit: int = 80) -> str:
    """A query on one line, cut to ``limit`` characters, for messages."""
    text = " ".join(str(query).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
