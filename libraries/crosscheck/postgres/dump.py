"""The expected-schema file of a live database: the catalog read once, written as YAML or JSON.

Used by `Write Expected Schema` and ``crosscheck schema-dump``.
"""

from __future__ import annotations

import json

from crosscheck.postgres import catalog
from crosscheck.postgres.schemafile import dump_yaml, split_list, to_expected


def dump_text(
    conn,
    schemas: str | list[str] | None,
    database: str,
    as_json: bool = False,
    function_bodies: bool = False,
    privileges: bool = False,
    comments: bool = False,
) -> str:
    """The expected-schema YAML (or JSON) text of the live database (``schemas`` or all user schemas but ``cc_*``).

    ``function_bodies``, ``privileges`` and ``comments`` add a digest of each function's body, the
    grants per role, and comments (see :func:`schemafile.to_expected`).
    """
    names = split_list(schemas) or [s for s in catalog.list_schemas(conn) if not s.startswith("cc_")]
    data = to_expected(
        catalog.read_schema(conn, names),
        function_bodies=function_bodies,
        privileges=privileges,
        comments=comments,
    )
    if as_json:
        return json.dumps(data, indent=1) + "\n"
    header = (
        f"Expected schema of database {database}, written from the live catalog by crosscheck.\n"
        "Review it: leave out any property you do not want checked. Format: docs/postgres.md"
    )
    return dump_yaml(data, header)
