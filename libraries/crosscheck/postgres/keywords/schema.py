"""The expected-schema file against the live catalog, and checks of single objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.assertions import AssertionOperator, check
from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.postgres import catalog
from crosscheck.postgres.context import PostgresContext
from crosscheck.postgres.diff import (
    COLUMN_NORM,
    COLUMN_PROPS,
    FK_NORM,
    INDEX_NORM,
    INDEX_PROPS,
    compare,
    diff,
    fmt,
    render,
    signature,
)
from crosscheck.postgres.dump import dump_text
from crosscheck.postgres.helpers import no_such_table, split_name
from crosscheck.postgres.schemafile import (
    load_expected,
    normalize_type,
    only_schemas,
    split_list,
    types_match,
)
from crosscheck.reporting import html_table, log_html


class SchemaKeywords(Component[PostgresContext]):
    """The expected-schema file and single-object checks against the live catalog."""

    # whole-schema -------------------------------------------------------------------
    def _differences(self, expected_schema, schemas, report_unexpected):
        expected = only_schemas(load_expected(expected_schema), schemas)
        try:
            actual = catalog.read_schema(self.ctx.conn, list(expected["schemas"]))
        except Exception as err:  # psycopg2 errors as one line
            raise self.ctx.error(err, f"reading the catalog of {self.ctx.database}") from None
        return diff(expected, actual, report_unexpected)

    @keyword
    def database_schema_should_match(
        self, expected_schema: str, schemas: str | list[str] | None = None, report_unexpected: bool = True
    ) -> None:
        """Compare the live database with the expected-schema YAML file in one pass.

        Fails with every difference at once, one line each: ``missing`` (in the
        file, not in the database), ``different`` (property, expected and found
        value) and ``unexpected`` (in the database, not in the file). The
        differences are also logged as a table. Every kind of object the file
        holds is named: ``missing    trigger orders_audit on public.orders``,
        ``different  enum public.mood: label 'ecstatic' added after 'happy'``,
        ``different  sequence public.order_no_seq: increment expected 1, found 5``.
        A section the file leaves out (an older file without ``triggers``,
        for instance) is not checked.

        ``schemas`` limits the check to some of the file's schemas.
        ``report_unexpected=False`` ignores objects the file does not list.
        Objects whose name starts with ``cc_`` (test-run scratch objects) are
        never reported as unexpected. Write a first file with `Write Expected Schema`
        or ``crosscheck schema-dump``.

        | `Database Schema Should Match`    ${CURDIR}/../../resources/schemas/demo.yaml
        | `Database Schema Should Match`    demo.yaml    schemas=public    report_unexpected=False
        """
        differences = self._differences(expected_schema, schemas, report_unexpected)
        if not differences:
            logger.info(f"Database {self.ctx.database} matches {expected_schema}.")
            return
        log_html(
            html_table(
                [(d.problem, d.kind, d.name, d.detail) for d in differences],
                ["problem", "kind", "object", "detail"],
                f"{len(differences)} differences from {Path(expected_schema).name}",
            )
        )
        raise CrosscheckError(
            f"Schema of database {self.ctx.database} differs from {expected_schema} "
            f"({len(differences)} difference{'s' if len(differences) != 1 else ''}):\n{render(differences)}"
        )

    @keyword
    def get_schema_differences(
        self, expected_schema: str, schemas: str | list[str] | None = None, report_unexpected: bool = True
    ) -> list[str]:
        """The differences `Database Schema Should Match` would report, as a list of lines.

        | ${diff} =    `Get Schema Differences`    demo.yaml
        | Should Contain    ${diff}[0]    missing
        """
        return [str(d) for d in self._differences(expected_schema, schemas, report_unexpected)]

    @keyword
    def write_expected_schema(
        self,
        path: str,
        schemas: str | list[str] | None = None,
        function_bodies: bool = False,
        privileges: bool = False,
        comments: bool = False,
    ) -> str:
        """Write the expected-schema YAML file of the live database to ``path`` (JSON if it ends in ``.json``).

        ``schemas`` defaults to every user schema except ``cc_*`` scratch
        schemas. The file holds tables (columns, indexes, constraints, foreign
        keys, partition key and partitions, inheritance, row-level security),
        views and materialized views, functions, triggers, sequences, domains,
        enum and composite types, collations, rules and policies. Off by default,
        on with their argument: ``function_bodies=True`` adds a digest of each
        function's body, ``privileges=True`` the grants per role of schemas,
        tables, columns, views, sequences, functions and types,
        ``comments=True`` the comments.

        Review the file and commit it; it is a starting point, not a truth.
        Returns the path. Same as ``crosscheck schema-dump -o PATH`` (with
        ``--function-bodies``, ``--privileges``, ``--comments``).

        | `Write Expected Schema`    ${OUTPUT_DIR}/schema.yaml    schemas=public
        | `Write Expected Schema`    ${OUTPUT_DIR}/full.yaml    schemas=public    function_bodies=True    privileges=True
        """
        out = Path(path)
        text = dump_text(
            self.ctx.conn,
            schemas,
            self.ctx.database,
            as_json=out.suffix.lower() == ".json",
            function_bodies=function_bodies,
            privileges=privileges,
            comments=comments,
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        logger.info(f"Wrote {out} ({len(catalog.read_extensions(self.ctx.conn))} extensions).")
        return str(out)

    # single objects -----------------------------------------------------------------
    def _table(self, table: str, schema: str | None = None) -> tuple[str, str, dict]:
        """A table, partitioned table or partition, with what a partition inherits merged into its own."""
        schema, name = split_name(table, schema)
        info = catalog.read_relations(self.ctx.conn, [schema]).get(schema, {}).get(name)
        if info is None:
            kind = catalog.find_relation(self.ctx.conn, schema, name)
            raise no_such_table(kind, schema, name, self.ctx.database)
        merged = dict(info)
        for section in ("indexes", "constraints", "foreign_keys"):
            merged[section] = catalog.with_inherited(info, section)
        return schema, name, merged

    @keyword
    def column_should_exist(
        self, table: str, column: str, type: str | None = None, nullable: bool | None = None, default: str | None = None
    ) -> None:
        """Fail unless ``table`` has ``column``, with the given type, nullability and default if given.

        ``table`` may be ``schema.table`` (default schema ``public``). Types are
        compared as Postgres names them, with the usual aliases accepted
        (``varchar(50)``, ``timestamptz``, ``int``).

        | `Column Should Exist`    cache_entries    universe_metadata    jsonb
        | `Column Should Exist`    cache_entries    universe_category    varchar(50)    nullable=True
        """
        schema, name, info = self._table(table)
        where = f"{schema}.{name}.{column}"
        got = info["columns"].get(column)
        if got is None:
            raise CrosscheckError(
                f"Column {where} does not exist; {schema}.{name} has {', '.join(info['columns']) or 'no columns'}."
            )
        want = {k: v for k, v in (("type", type), ("nullable", nullable), ("default", default)) if v is not None}
        problems = compare(COLUMN_PROPS, want, got, COLUMN_NORM)
        if problems:
            raise CrosscheckError(f"Column {where}: " + "; ".join(problems) + ".")

    @keyword
    def column_should_not_exist(self, table: str, column: str) -> None:
        """Fail if ``table`` has ``column`` (for instance after a migration that drops it)."""
        schema, name, info = self._table(table)
        if column in info["columns"]:
            raise CrosscheckError(
                f"Column {schema}.{name}.{column} exists ({info['columns'][column]['type']}) but should not."
            )

    @keyword
    def get_column_type(
        self,
        table: str,
        column: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
    ) -> str:
        """The type of ``column`` as Postgres prints it (``character varying(50)``), with an optional assertion.

        With ``==`` and ``!=`` any spelling of a type compares as the same type:
        ``timestamp`` and ``timestamp without time zone``, ``timestamptz``,
        ``varchar(50)`` and ``character varying(50)``, ``int4`` and ``integer``,
        ``decimal(10,2)``, ``_text`` and ``text[]``; a domain compares by its own
        name. Other operators (``contains``, ``matches``) see the type as Postgres
        prints it.

        | ${type} =    `Get Column Type`    cache_entries    universe_category
        | `Get Column Type`    cache_entries    liquidity_filter    ==    jsonb
        | `Get Column Type`    cache_entries    last_universe_update    ==    timestamp
        """
        schema, name, info = self._table(table)
        got = info["columns"].get(column)
        if got is None:
            raise CrosscheckError(f"Column {schema}.{name}.{column} does not exist.")
        actual = got["type"]
        if (
            assertion_operator is not None
            and assertion_operator.value in ("==", "!=")
            and isinstance(assertion_expected, str)
        ):
            same = types_match(assertion_expected, actual)
            if same != (assertion_operator.value == "=="):
                relation = "expected" if assertion_operator.value == "==" else "expected anything but"
                raise CrosscheckError(
                    f"Column {schema}.{name}.{column}: type {relation} {assertion_expected}, found {actual}."
                )
            return actual
        return check(actual, assertion_operator, assertion_expected, f"type of column {schema}.{name}.{column}")

    @keyword
    def index_should_exist(
        self,
        table: str,
        index: str,
        columns: str | list[str] | None = None,
        unique: bool | None = None,
        method: str | None = None,
    ) -> None:
        """Fail unless ``table`` has ``index``, on ``columns`` in that order, unique and of ``method`` if given.

        Columns read as in ``CREATE INDEX``, as a list or comma separated:
        ``last_universe_update DESC``, ``type, name``.

        | `Index Should Exist`    cache_entries    idx_cache_entries_updated    columns=last_universe_update DESC
        | `Index Should Exist`    documents    documents_pkey    unique=True
        """
        schema, name, info = self._table(table)
        got = info["indexes"].get(index)
        if got is None:
            found = ", ".join(f"{n} {fmt(i['columns'])}" for n, i in info["indexes"].items()) or "none"
            raise CrosscheckError(f"Index {index} does not exist on {schema}.{name}; its indexes: {found}.")
        want: dict[str, Any] = {"columns": split_list(columns)} if columns else {}
        want.update({k: v for k, v in (("unique", unique), ("method", method)) if v is not None})
        problems = compare(INDEX_PROPS, want, got, INDEX_NORM)
        if problems:
            raise CrosscheckError(f"Index {index} on {schema}.{name}: " + "; ".join(problems) + ".")

    @keyword
    def foreign_key_should_exist(
        self, table: str, columns: str | list[str], references: str, referenced_columns: str | list[str] | None = None
    ) -> None:
        """Fail unless a foreign key on ``table`` (``columns``) references ``references``.

        ``table`` may be a partitioned table or a partition; a partition has
        the keys declared on it and those it inherits from its partitioned table.

        | `Foreign Key Should Exist`    orders    customer_id    public.customers    id
        """
        schema, name, info = self._table(table)
        cols = split_list(columns)
        ref = FK_NORM["references"](references)
        for fk in info["foreign_keys"].values():
            if (
                fk["columns"] == cols
                and fk["references"] == ref
                and (not referenced_columns or fk["referenced_columns"] == split_list(referenced_columns))
            ):
                return
        found = (
            "; ".join(
                f"{n}: {fmt(f['columns'])} -> {f['references']}{fmt(f['referenced_columns'])}"
                for n, f in info["foreign_keys"].items()
            )
            or "none"
        )
        raise CrosscheckError(
            f"No foreign key on {schema}.{name} {fmt(cols)} references {ref}; its foreign keys: {found}."
        )

    @keyword
    def get_function_signatures(self, function: str, schema: str = "public") -> list[dict]:
        """Every overload of ``function``: dicts with ``arguments``, ``argument_types``, ``returns``, ``kind``,
        ``language``, ``body_digest`` (a fingerprint of the body), ``grants`` (``{role: [privilege]}``),
        ``volatility``, ``security`` (``invoker`` or ``definer``), ``strict``, ``leakproof``, ``parallel``
        and ``config`` (its ``SET`` clauses).

        | ${sigs} =    `Get Function Signatures`    get_etf_universe
        | Should Be Equal    ${sigs}[0][returns]    jsonb
        """
        schema, name = split_name(function, schema if schema != "public" else None)
        return catalog.read_functions(self.ctx.conn, schema).get(name, [])

    @keyword
    def function_should_exist(
        self, function: str, arguments: str | None = None, returns: str | None = None, schema: str = "public"
    ) -> None:
        """Fail unless ``function`` exists, with this argument list and result type if given.

        ``arguments`` is the argument list as Postgres prints it, names and
        types, no defaults (``p_universe_name text``); ``${EMPTY}`` means no
        arguments. A changed signature fails with the expected and found ones.

        | `Function Should Exist`    get_etf_universe    p_universe_name text    jsonb
        """
        sigs = self.get_function_signatures(function, schema)
        where = function if "." in function else f"{schema}.{function}"
        if not sigs:
            raise CrosscheckError(f"Function {where} does not exist in database {self.ctx.database}.")
        want = {k: v for k, v in (("arguments", arguments), ("returns", returns)) if v is not None}
        for sig in sigs:
            if not compare(
                {"arguments": "arguments", "returns": "returns"},
                want,
                sig,
                {"arguments": normalize_type, "returns": normalize_type},
            ):
                return
        found = " and ".join(signature(s) for s in sigs)
        raise CrosscheckError(
            f"Function {where} signature changed: expected "
            f"({arguments if arguments is not None else '...'})"
            f"{' returns ' + returns if returns else ''}, found {found}."
        )

    @keyword
    def extension_should_be_installed(self, extension: str, version: str | None = None) -> None:
        """Fail unless ``extension`` is installed (at ``version`` if given).

        | `Extension Should Be Installed`    vector
        """
        installed = catalog.read_extensions(self.ctx.conn)
        got = installed.get(extension)
        if got is None:
            raise CrosscheckError(
                f"Extension {extension} is not installed in database {self.ctx.database}; "
                f"installed: {', '.join(installed) or 'none'}."
            )
        if version is not None and str(version) != got["version"]:
            raise CrosscheckError(f"Extension {extension}: version expected {version}, found {got['version']}.")

    @keyword
    def schema_should_exist(self, *schemas: str) -> None:
        """Fail unless every schema named exists; the message lists all missing ones.

        | `Schema Should Exist`    @{EXPECTED_MODEL_SCHEMAS}
        """
        present = set(catalog.list_schemas(self.ctx.conn))
        missing = [s for s in schemas if s not in present]
        if missing:
            raise CrosscheckError(f"Schemas missing in database {self.ctx.database}: {', '.join(missing)}.")

    @keyword
    def view_should_exist(self, view: str) -> None:
        """Fail unless ``view`` (``schema.view`` or a view in public) exists, plain or materialized."""
        schema, name = split_name(view)
        kind = catalog.find_relation(self.ctx.conn, schema, name)
        if kind is None:
            raise CrosscheckError(f"View {schema}.{name} does not exist in database {self.ctx.database}.")
        if kind not in ("view", "materialized view"):
            raise CrosscheckError(f"{schema}.{name} is a {kind}, not a view, in database {self.ctx.database}.")
