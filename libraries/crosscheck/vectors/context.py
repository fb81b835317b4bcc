"""What the keyword components share: the connected stores, the collections each
test and suite created, and their removal at the end of that test or suite."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from robot.api import SkipExecution, logger
from robot.running.context import EXECUTION_CONTEXTS

from crosscheck import config, namespace
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.vectors.backend import Backend, Collection, normalize_distance

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,23}$")
LIBRARY_SCOPE = "library"


@dataclass
class Scope:
    key: str
    ns: str | None = None
    collections: list[Collection] = field(default_factory=list)
    rows: list[tuple[Collection, str]] = field(default_factory=list)  # rows added to attached tables


def _robot_scope() -> str:
    """``test:<suite>.<test>`` inside a test, ``suite:<suite>`` in a suite setup, else ``library``."""
    if EXECUTION_CONTEXTS.current is None:
        return LIBRARY_SCOPE
    from robot.libraries.BuiltIn import BuiltIn

    variables = BuiltIn().get_variables()
    suite = variables.get("${SUITE NAME}")
    test = variables.get("${TEST NAME}")
    return f"test:{suite}.{test}" if test else f"suite:{suite}"


class Context:
    def __init__(self, url: str | None = None):
        self.default_url = url
        self.backends: dict[str, Backend] = {}
        self.active: str | None = None
        self.scopes: dict[str, Scope] = {}
        self.current: str | None = None
        #: figures of the last measurement, for reuse by getters
        self.last: dict[str, dict] = {}

    # -- stores -----------------------------------------------------------------
    @staticmethod
    def _resolve_url(url: str | None) -> tuple[str, str | None]:
        """(kind, address) for ``url``: pgvector / qdrant, address None = default."""
        text = (url or "").strip()
        low = text.lower()
        if low in ("", "pgvector", "postgres", "postgresql"):
            return "pgvector", None
        if low.startswith(("postgresql://", "postgres://")):
            return "pgvector", text
        if low == "qdrant":
            from crosscheck import stack

            return "qdrant", stack.qdrant_url() or "qdrant:local"
        if low.startswith("qdrant:"):
            return "qdrant", text
        if low.startswith(("http://", "https://")):
            return "qdrant", text
        raise ConfigurationError(
            f"cannot tell the vector store from {config.mask_url(text)!r}: use postgresql://... (pgvector), "
            "http(s)://host:6333 (a Qdrant server), qdrant:local (qdrant-client local mode) or qdrant")

    def connect(self, url: str | None = None) -> Backend:
        kind, address = self._resolve_url(url if url is not None else self.default_url)
        if kind == "pgvector" and address is None:
            address = self._default_postgres()
        key = f"{kind}|{address}"
        if key not in self.backends:
            if kind == "pgvector":
                from crosscheck.vectors.pgvector import PgVectorBackend

                self.backends[key] = PgVectorBackend(address)
            else:
                from crosscheck.vectors.qdrant import QdrantBackend

                self.backends[key] = QdrantBackend(None if address == "qdrant:local" else address)
        if self.active != key:
            self.current = None
        self.active = key
        return self.backends[key]

    @staticmethod
    def _default_postgres() -> str:
        from crosscheck import stack

        try:
            return stack.postgres_url()
        except SkipExecution:
            raise
        except CrosscheckError as exc:
            if config.configured("postgres"):
                raise
            raise SkipExecution(f"no Postgres for pgvector: CROSSCHECK_POSTGRES_URL is unset and the "
                                f"embedded server could not start ({exc})") from None

    @property
    def backend(self) -> Backend:
        if self.active is None:
            return self.connect()
        return self.backends[self.active]

    # -- scopes -----------------------------------------------------------------
    def scope(self) -> Scope:
        key = _robot_scope()
        if key not in self.scopes:
            self.scopes[key] = Scope(key)
        return self.scopes[key]

    def _visible(self):
        """Collections of the active store, newest scope first."""
        for scope in reversed(list(self.scopes.values())):
            for coll in reversed(scope.collections):
                if coll.backend is self.backend:
                    yield coll

    def find(self, name: str) -> Collection | None:
        for coll in self._visible():
            if coll.name == name:
                return coll
        return None

    def resolve(self, name: str | None = None) -> Collection:
        """The collection called ``name`` (default: the current one), or a clear error."""
        name = name or self.current
        if not name:
            raise ConfigurationError("no collection selected: create one with Create Collection, "
                                     "or name one with collection=<name>")
        coll = self.find(name)
        if coll is None:
            known = sorted({c.name for c in self._visible()})
            raise ConfigurationError(
                f"unknown collection '{name}' on {self.backend.describe()}: it was not created (or was "
                f"dropped) in this test or suite; known: {', '.join(known) or 'none'}")
        return coll

    @staticmethod
    def check_name(name: str) -> str:
        if not _NAME.match(str(name)):
            raise ConfigurationError(f"collection name {name!r} is not valid: use a letter, then up to 23 "
                                     "letters, digits or underscores")
        return str(name).lower()

    def create(self, name: str, dimension: int, distance: str) -> Collection:
        name = self.check_name(name)
        distance = normalize_distance(distance)
        if dimension < 1:
            raise ConfigurationError(f"dimension must be at least 1, got {dimension}")
        backend = self.backend
        if self.find(name) is not None and backend.exists(self.find(name).physical):
            raise ConfigurationError(f"collection '{name}' already exists in this test or suite "
                                     f"({self.find(name).physical}); drop it first or use another name")
        scope = self.scope()
        if scope.ns is None:
            scope.ns = namespace.new("vec")
        table = f"{scope.ns}_{name}"
        physical = f"{scope.ns}.{table}" if backend.kind == "pgvector" else table
        extra = backend.create(physical, dimension, distance, scope.ns)
        coll = Collection(name, physical, dimension, distance, backend, scope.key, True, extra)
        scope.collections.append(coll)
        self.current = name
        return coll

    def attach(self, name: str, existing: str, distance: str, id_column: str,
               vector_column: str | None) -> Collection:
        name = self.check_name(name)
        distance = normalize_distance(distance)
        backend = self.backend
        scope = self.scope()
        if backend.kind == "pgvector":
            physical = existing if "." in existing else f"public.{existing}"
            extra = backend.attach(physical, id_column, vector_column)
            dimension = extra.pop("dimension")
        else:
            physical = existing
            found = backend.lookup(physical)
            if found is None:
                raise ConfigurationError(f"unknown collection: {existing!r} does not exist on {backend.describe()}")
            dimension, distance = found
            extra = {}
        coll = Collection(name, physical, dimension, distance, backend, scope.key, False, extra)
        scope.collections.append(coll)
        self.current = name
        return coll

    def drop(self, coll: Collection) -> None:
        if not coll.owned:
            raise ConfigurationError(f"{coll.where} was not created by this run; crosscheck only drops "
                                     "collections it created")
        coll.backend.drop(coll)
        for scope in self.scopes.values():
            if coll in scope.collections:
                scope.collections.remove(coll)
        if self.current == coll.name and self.find(coll.name) is None:
            self.current = None

    def register_row(self, coll: Collection, point_id: str) -> None:
        """A row added to a table of the system under test, deleted when this test or suite ends."""
        self.scope().rows.append((coll, point_id))

    # -- teardown ---------------------------------------------------------------
    def end_scope(self, key: str) -> None:
        scope = self.scopes.pop(key, None)
        if scope is None:
            return
        problems = []
        for coll, point_id in reversed(scope.rows):
            try:
                coll.backend.delete(coll, [point_id])
            except Exception as exc:  # noqa: BLE001 - teardown reports and goes on
                problems.append(f"row {point_id!r} of {coll.where}: {exc}")
        for coll in scope.collections:
            if coll.owned:
                try:
                    coll.backend.drop(coll)
                except Exception as exc:  # noqa: BLE001
                    problems.append(f"{coll.where}: {exc}")
        if scope.ns:
            for backend in self.backends.values():
                try:
                    backend.drop_namespace(scope.ns)
                except Exception as exc:  # noqa: BLE001
                    problems.append(f"namespace {scope.ns} on {backend.describe()}: {exc}")
        if self.current and self.find(self.current) is None:
            self.current = None
        for problem in problems:
            logger.warn(f"crosscheck.Vectors could not remove {problem}")

    def close(self) -> None:
        for key in list(self.scopes):
            self.end_scope(key)
        for backend in self.backends.values():
            backend.close()
        self.backends.clear()
        self.active = None


class Listener:
    """Removes what a test or suite created when it ends, also after a failure."""

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, ctx: Context):
        self.ctx = ctx

    def end_test(self, data, result):
        self.ctx.end_scope(f"test:{data.parent.full_name}.{data.name}")

    def end_suite(self, data, result):
        self.ctx.end_scope(f"suite:{data.full_name}")

    def close(self):
        self.ctx.close()
