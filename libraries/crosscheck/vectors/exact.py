"""The exact search that recall is measured against, on stores with no exact-search switch.

Milvus and Chroma cannot be told to search an indexed collection exactly, so their
backends read the collection's rows back (ids, vectors, payloads) and :func:`exact_search`
scans them in numpy: an equality filter on the payload, then every row scored with the
collection's distance and the ``top`` best returned. Pure: no Robot Framework here.
"""

from __future__ import annotations

import numpy as np

from crosscheck.vectors.backend import Hit


def exact_search(
    distance: str, rows: tuple[list[str], np.ndarray, list[dict]], vector, top: int, where: dict | None
) -> list[Hit]:
    """The ``top`` rows nearest to ``vector`` by ``distance`` among those whose payload matches ``where``.

    Cosine and dot scores are similarities (highest first), euclidean scores distances (lowest
    first); ties keep the order of ``rows``.
    """
    ids, matrix, payloads = rows
    if where:
        keep = [i for i, p in enumerate(payloads) if all(p.get(k) == v for k, v in where.items())]
        ids, matrix, payloads = [ids[i] for i in keep], matrix[keep], [payloads[i] for i in keep]
    if not ids:
        return []
    q = np.asarray(vector, dtype=np.float64)
    if distance == "cosine":
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(q) or 1.0)
        scores = matrix @ q / np.where(norms == 0, 1, norms)
        order = np.argsort(-scores, kind="stable")
    elif distance == "dot":
        scores = matrix @ q
        order = np.argsort(-scores, kind="stable")
    else:
        scores = np.linalg.norm(matrix - q, axis=1)
        order = np.argsort(scores, kind="stable")
    return [Hit(ids[i], float(scores[i]), payloads[i]) for i in order[:top]]
