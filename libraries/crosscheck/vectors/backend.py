"""The small interface both vector stores implement, and the input checks they share.

A *collection* is what a test creates and names (``docs``); the backend stores it
under a physical name in the test's namespace (``cc_<pid>_<n>_docs``). Every
write is validated in full before the first byte reaches the store, so bad input
(a dimension mismatch, NaN or infinite components, an empty vector) writes
nothing.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from crosscheck.errors import ConfigurationError

DISTANCES = ("cosine", "dot", "euclidean")
#: the payload index types `Create Payload Index` takes (Qdrant's names)
PAYLOAD_TYPES = ("keyword", "integer", "float", "bool", "text", "uuid", "datetime")
_DISTANCE_ALIASES = {
    "cosine": "cosine",
    "cos": "cosine",
    "dot": "dot",
    "ip": "dot",
    "inner": "dot",
    "inner_product": "dot",
    "euclidean": "euclidean",
    "euclid": "euclidean",
    "l2": "euclidean",
}


def normalize_distance(distance: str) -> str:
    key = str(distance).strip().lower().replace(" ", "_")
    if key not in _DISTANCE_ALIASES:
        raise ConfigurationError(f"unknown distance {distance!r}: use one of {', '.join(DISTANCES)}")
    return _DISTANCE_ALIASES[key]


def higher_is_better(distance: str) -> bool:
    """Cosine and dot scores are similarities; euclidean scores are distances."""
    return distance != "euclidean"


@dataclass
class Collection:
    """A collection as the library knows it."""

    name: str  # the name the test uses
    physical: str  # the table / collection name in the store
    dimension: int
    distance: str
    backend: Backend
    scope: str = ""  # the test or suite that owns it ("" = attached, never dropped)
    owned: bool = True  # created by this library, so dropped at teardown
    extra: dict = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"collection '{self.name}' ({self.physical} on {self.backend.describe()})"


@dataclass(slots=True)
class Hit:
    id: str
    score: float
    payload: dict

    def as_dict(self) -> dict:
        return {"id": self.id, "score": self.score, "payload": self.payload}


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse_text(value: str, what: str) -> Any:
    text = value.strip()
    try:
        return json.loads(text)  # accepts NaN and Infinity, so they can be checked
    except ValueError:
        pass
    try:
        return [float(part) for part in text.strip("[]()").split(",") if part.strip()]
    except ValueError:
        raise ConfigurationError(
            f"{what} is not a vector: {_short(value)}; give a list of numbers such as [0.1, 0.2]"
        ) from None


def as_vector(value: Any, dimension: int | None, what: str) -> list[float]:
    """``value`` as a list of finite numbers of ``dimension`` (floats unless the caller's list is
    already a list of numbers), or a ConfigurationError."""
    if type(value) is list and value and (dimension is None or len(value) == dimension):
        # fastest path, taken by every search from a suite: a list of the right size whose
        # components add up to a finite float is returned as it is (every store converts
        # numbers itself). A NaN or an infinity anywhere makes the sum NaN or infinite and a
        # non-number makes it raise or not a float; those, and a sum that overflows, are
        # checked component by component below, so every message stays as it was.
        try:
            total = sum(value)
        except TypeError:
            total = None
        if type(total) is float and math.isfinite(total):
            return value
    if isinstance(value, str):
        value = _parse_text(value, what)
    if isinstance(value, (list, tuple, np.ndarray)) and len(value):
        try:  # fast path: a flat sequence of finite numbers of the right size
            arr = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            arr = None
        if (
            arr is not None
            and arr.ndim == 1
            and (dimension is None or arr.size == dimension)
            and np.isfinite(arr).all()
        ):
            return arr.tolist()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (dict, bytes)) or not hasattr(value, "__iter__"):
        raise ConfigurationError(f"{what} is not a vector: {_short(value)}; give a list of numbers")
    items = list(value)
    if not items:
        raise ConfigurationError(
            f"{what} is an empty vector" + (f"; expected {dimension} numbers" if dimension else "")
        )
    floats = []
    for i, item in enumerate(items):
        try:
            floats.append(float(item))
        except (TypeError, ValueError):
            raise ConfigurationError(f"{what} has a non-numeric component at position {i}: {_short(item)}") from None
    if dimension is not None and len(floats) != dimension:
        raise ConfigurationError(f"dimension mismatch: {what} has {len(floats)} components, expected {dimension}")
    for i, x in enumerate(floats):
        if not math.isfinite(x):
            raise ConfigurationError(
                f"{what} has a non-finite component at position {i} ({x}); vectors must contain finite numbers only"
            )
    return floats


def as_matrix(vectors: Any, dimension: int, what: str, ids: list[str] | None = None) -> np.ndarray:
    """All ``vectors`` checked at once (fast path with numpy, per vector on error)."""
    if isinstance(vectors, np.ndarray) and vectors.ndim == 2 and vectors.dtype.kind == "f":
        arr = vectors.astype(np.float64, copy=False)
        if arr.shape[1] == dimension and np.isfinite(arr).all():
            return arr
    else:
        try:
            arr = np.asarray(vectors, dtype=np.float64)
            if arr.ndim == 2 and arr.shape[1] == dimension and arr.shape[0] and np.isfinite(arr).all():
                return arr
        except (TypeError, ValueError):
            pass
    rows = list(vectors)
    checked = []
    for i, vector in enumerate(rows):
        label = f"{what} {ids[i]!r}" if ids and i < len(ids) else f"{what} #{i}"
        checked.append(as_vector(vector, dimension, label))
    if not checked:
        return np.zeros((0, dimension))
    return np.asarray(checked, dtype=np.float64)


def as_id(value: Any, what: str = "point id") -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ConfigurationError(f"{what} is empty; give each point a non-empty id")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def as_payload(value: Any, what: str) -> dict:
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ConfigurationError(f"{what} is not a JSON object: {_short(value)}") from None
    if not isinstance(value, dict):
        raise ConfigurationError(f"{what} must be a dictionary, got {type(value).__name__}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{what} is not JSON-serialisable: {exc}") from None
    return dict(value)


def validate_points(
    coll: Collection, ids: Any, vectors: Any, payloads: Any
) -> tuple[list[str], np.ndarray, list[dict]]:
    """Every id, vector and payload of an upsert checked before anything is written."""
    ids = [as_id(i) for i in ids]
    if len(vectors) != len(ids):
        raise ConfigurationError(f"{len(ids)} ids but {len(vectors)} vectors for {coll.where}")
    if payloads is None:
        payloads = [{} for _ in ids]
    if len(payloads) != len(ids):
        raise ConfigurationError(f"{len(ids)} ids but {len(payloads)} payloads for {coll.where}")
    seen, dupes = set(), []
    for i in ids:
        if i in seen:
            dupes.append(i)
        seen.add(i)
    if dupes:
        raise ConfigurationError(f"duplicate point ids in one upsert into {coll.where}: {', '.join(dupes[:5])}")
    if not coll.owned:
        foreign = [i for i in ids if not i.startswith("TEST_")]
        if foreign:
            raise ConfigurationError(
                f"{coll.where} belongs to the system under test: ids of points a test adds "
                f"must start with TEST_ (got {foreign[0]!r})"
            )
    matrix = as_matrix(vectors, coll.dimension, f"vector for {coll.name}", ids)
    payloads = [as_payload(p, f"payload of point {ids[n]!r}") for n, p in enumerate(payloads)]
    return ids, matrix, payloads


def run_search(
    coll: Collection,
    vector: Any,
    top: int,
    filter: Any = None,
    score_threshold: Any = None,
    ef_search: int | None = None,
    exact: bool = False,
) -> list[Hit]:
    """The ``top`` nearest points to ``vector`` (checked first), filtered and cut at ``score_threshold``."""
    if top < 1:
        raise ConfigurationError(f"top must be at least 1, got {top}")
    query = as_vector(vector, coll.dimension, f"query vector for {coll.name}")
    where = as_payload(filter, "filter") if filter not in (None, "") else None
    hits = coll.backend.search(coll, query, top, where, exact=exact, ef_search=ef_search)
    if score_threshold is not None:
        limit = float(score_threshold)
        keep = (lambda s: s >= limit) if higher_is_better(coll.distance) else (lambda s: s <= limit)
        hits = [h for h in hits if keep(h.score)]
    return hits


class Backend(ABC):
    """What a vector store must offer; pgvector and Qdrant implement it."""

    kind = "abstract"
    #: how charts and figure names call the store (``pgvector``, ``qdrant edge``)
    label = "abstract"
    #: the name of HNSW's search-time breadth on this store, for tables and charts
    ef_name = "ef"
    #: None when HNSW, exact-vs-approximate recall and plan checks are honest here;
    #: otherwise the reason they are not (the keyword skips with it).
    approximate_unsupported: str | None = None

    @abstractmethod
    def describe(self) -> str:
        """The store's address for messages (password masked)."""

    @abstractmethod
    def create(self, physical: str, dimension: int, distance: str, scope_ns: str) -> dict: ...

    @abstractmethod
    def exists(self, physical: str) -> bool: ...

    @abstractmethod
    def lookup(self, physical: str) -> tuple[int, str] | None:
        """(dimension, distance) of an existing collection, or None."""

    @abstractmethod
    def drop(self, coll: Collection) -> None: ...

    @abstractmethod
    def drop_namespace(self, ns: str) -> None:
        """Remove whatever else the namespace holds (pgvector: its schema)."""

    @abstractmethod
    def upsert(
        self, coll: Collection, ids: list[str], vectors: np.ndarray, payloads: list[dict], batch_size: int
    ) -> list[tuple[int, float]]:
        """Write in batches; returns (points, seconds) per batch."""

    @abstractmethod
    def count(self, coll: Collection) -> int: ...

    @abstractmethod
    def get(self, coll: Collection, point_id: str) -> dict | None: ...

    @abstractmethod
    def delete(self, coll: Collection, ids: list[str]) -> int: ...

    @abstractmethod
    def set_payload(self, coll: Collection, point_id: str, payload: dict) -> None: ...

    @abstractmethod
    def search(
        self,
        coll: Collection,
        vector: list[float],
        top: int,
        where: dict | None = None,
        exact: bool = False,
        ef_search: int | None = None,
    ) -> list[Hit]: ...

    @abstractmethod
    def sample(self, coll: Collection, count: int, seed: int) -> np.ndarray:
        """Up to ``count`` stored vectors, chosen deterministically by ``seed``."""

    @abstractmethod
    def create_index(self, coll: Collection, kind: str, params: dict) -> str: ...

    @abstractmethod
    def indexes(self, coll: Collection) -> list[dict]: ...

    @abstractmethod
    def index_use(self, coll: Collection, vector: list[float], top: int, force: bool) -> dict:
        """{'used': bool, 'index': name or None, 'detail': text} for one search."""

    def close(self) -> None:  # noqa: B027 - a backend without resources closes nothing
        return None
