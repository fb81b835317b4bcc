"""Service addresses from the environment, as Robot variables.

``${REDIS_URL}`` and friends are the configured addresses, or ``${None}`` where
the embedded stack provides the service (libraries then find it themselves).
Masked forms (``${REDIS_ADDRESS}``...) are safe to log.
"""

from crosscheck import config

_NAMES = {"redis": "REDIS", "postgres": "POSTGRES", "qdrant": "QDRANT", "api": "API", "docker": "DOCKER"}


def get_variables():
    variables = {}
    for service, prefix in _NAMES.items():
        url = config.configured(service)
        variables[f"{prefix}_URL"] = url
        variables[f"{prefix}_ADDRESS"] = config.mask_url(url) if url else "embedded"
    variables["ALLOW_DESTRUCTIVE"] = False
    return variables
