"""Resources repositories claim: ports, environment variables, key prefixes, channels, schemas."""

from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from crosscheck.core import Component
from crosscheck.errors import CrosscheckError
from crosscheck.reporting import html_table, log_html
from crosscheck.repos import resources
from crosscheck.repos.context import ReposContext


def _patterns(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    return tuple(p.strip() for p in value.split(",") if p.strip())


class ResourceKeywords(Component[ReposContext]):
    @keyword
    def repositories_should_not_share_resources(
        self,
        port_keys: str | None = None,
        listen_keys: str | None = None,
        prefix_keys: str | None = None,
        channel_keys: str | None = None,
        schema_keys: str | None = None,
        env_prefix_keys: str | None = None,
        allow_env: str = "",
        connect_sections: str | None = None,
    ) -> None:
        """Fails if two repositories claim one port, environment variable, key prefix, channel or schema.

        Reads each repository's configuration files (TOML, YAML, JSON, INI, ``.env`` and
        ``.env.*``; not ``pyproject.toml``) and the environment variable names its code reads
        (``os.environ["X"]``, ``os.getenv("X")``, ``os.environ.get("X")``). Keys are matched on
        their last part with glob patterns, separated by commas:

        | *claim* | *argument* | *default patterns* |
        | port | ``port_keys`` | ``port, *_port`` |
        | port in a URL or host:port | ``listen_keys`` | ``*listen*, *bind*`` |
        | Redis key prefix | ``prefix_keys`` | ``*key_prefix*, *redis_prefix*`` |
        | channel it publishes on | ``channel_keys`` | ``publishes, *publish_channels*, *publishes_to*`` |
        | database schema | ``schema_keys`` | ``db_schema, *_db_schema, schema_name, *_schema_name`` |
        | environment prefix | ``env_prefix_keys`` | ``env_prefix, *_env_prefix`` |

        A URL under any other key (``redis_url``) points at a service and claims nothing, and so does
        a port under a section, or with a stem, that names a service a repository connects to
        (``[redis] port``, ``database.port``, ``postgres_port``; the patterns are
        ``connect_sections``, default ``redis*, postgres*, database*, db, mysql*, mongo*, kafka*,
        amqp*, rabbit*, broker*, smtp*, cache*, upstream*, *client*, remote*, *_service, *_server``
        and a few more); channels
        a repository subscribes to claim nothing either. Shared repositories claim nothing. A key
        prefix inside another repository's prefix, and a variable read under another repository's
        environment prefix, count as shared too. ``allow_env`` lists variable names that may be
        shared (``PATH`` and the like always may). Each clash names both files and lines and the key.

        | Repositories Should Not Share Resources
        | Repositories Should Not Share Resources    allow_env=LOG_LEVEL
        """
        keys = {
            "port": _patterns(port_keys, resources.DEFAULT_KEYS["port"]),
            "listen": _patterns(listen_keys, resources.DEFAULT_KEYS["listen"]),
            "key prefix": _patterns(prefix_keys, resources.DEFAULT_KEYS["key prefix"]),
            "channel": _patterns(channel_keys, resources.DEFAULT_KEYS["channel"]),
            "schema": _patterns(schema_keys, resources.DEFAULT_KEYS["schema"]),
            "env prefix": _patterns(env_prefix_keys, resources.DEFAULT_KEYS["env prefix"]),
        }
        repos = [r for r in self.ctx.repos.require(2) if not r.shared]
        claims = resources.Claims()
        code_files = 0
        for repo in repos:
            resources.claims_in_config(repo, keys, claims, _patterns(connect_sections, resources.CONNECT_SECTIONS))
            code_files += resources.claims_in_code(repo, claims)
        rows = [
            [c.repo, c.kind, c.value, c.key, c.where]
            for c in sorted(claims.claims, key=lambda c: (c.repo, c.kind, c.value))
        ]
        log_html(
            html_table(
                rows,
                ["repository", "claim", "value", "key", "where"],
                f"{len(rows)} claims of {len(repos)} repositories",
            )
        )
        config_count = sum(len(files) for files in claims.files.values())
        logger.info(
            f"{config_count} configuration files and {code_files} Python files read in {len(repos)} repositories"
        )
        if config_count + code_files == 0:
            raise CrosscheckError(
                f"No configuration file nor Python file found in {', '.join(r.name for r in repos)}: nothing was checked."
            )
        allowed = {name.strip() for name in allow_env.split(",") if name.strip()}
        found = resources.clashes(claims, allowed)
        if found:
            raise CrosscheckError(
                f"{len(found)} resource(s) shared between repositories:\n" + "\n".join(f"  {c}" for c in found)
            )
        if not claims.claims:
            logger.warn(f"No repository of {', '.join(r.name for r in repos)} claims a resource the keys name.")
