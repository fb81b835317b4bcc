"""Service addresses from the environment, as Robot variables.

``${REDIS_URL}`` and friends are the configured addresses, or ``${None}`` where
the embedded stack provides the service (libraries then find it themselves).
Masked forms (``${REDIS_ADDRESS}``...) are safe to log. One pair per service of
:mod:`crosscheck.services`, which owns each service's environment variable.
"""

from crosscheck import config, services


def get_variables():
    variables = {}
    for service in services.all_services():
        prefix = service.name.upper()
        url = service.configured()
        variables[f"{prefix}_URL"] = url
        variables[f"{prefix}_ADDRESS"] = config.mask_url(url) if url else "embedded"
    variables["ALLOW_DESTRUCTIVE"] = False
    return variables
