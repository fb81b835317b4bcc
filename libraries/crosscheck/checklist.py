"""``crosscheck init``: a starting checklist for a user's own system, written into a folder of theirs.

From the services it is given (``--redis-url``, ``--postgres-url``, ``--api-url`` with its OpenAPI
document, or the running ``crosscheck up`` stack with ``--from-stack``) it writes:

| file | holds |
| ``crosscheck.args`` | the robot arguments: the services' URLs (no password unless ``--write-passwords``) |
| ``expected/schema.yaml`` | the database's schema as it is now (what ``crosscheck schema-dump`` writes) |
| ``expected/openapi.json`` | the API's OpenAPI document as it is now: the contract baseline |
| ``expected/channels.yaml`` | the Redis channels (``PUBSUB CHANNELS``, or ``--channel``), as Robot variables |
| ``suites/NN_<checkpoint>.robot`` | one suite per checkpoint that applies, on the packaged resources |

Every suite passes against the system as it was when the files were written. Nothing that exists
is overwritten unless ``--force``: the command names what exists and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from crosscheck import config
from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.helptext import PlainHelpFormatter

ARGS_FILE = "crosscheck.args"
SCHEMA_FILE = "expected/schema.yaml"
OPENAPI_FILE = "expected/openapi.json"
CHANNELS_FILE = "expected/channels.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass
class System:
    """What ``crosscheck init`` found of the user's system."""

    urls: dict[str, str] = field(default_factory=dict)  # service -> URL as given (with its password)
    schema: str = ""  # the expected-schema YAML
    openapi: dict | None = None
    openapi_source: str = ""  # the URL or file the document came from
    api_healthy: bool = False  # GET /health answers below 400
    documented_gets: list[str] = field(default_factory=list)  # GET paths answered as documented
    channels: list[str] = field(default_factory=list)
    subscribed: list[str] = field(default_factory=list)  # channels with a subscriber now
    notes: list[str] = field(default_factory=list)


def without_password(url: str) -> str:
    """``url`` with its password left out (``postgresql://app@host/db``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}@{host}" if user else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


# --- looking at the system ------------------------------------------------------------


def stack_urls() -> dict[str, str]:
    """The URLs of the running ``crosscheck up`` stack (or the stack this process would use)."""
    from crosscheck.stack import api

    state = api.current()
    if not state:
        raise ConfigurationError("no embedded stack is running: start one with `crosscheck up`, or name the services")
    found = {}
    for name in ("redis", "postgres", "api"):
        entry = state["services"].get(name, {})
        if entry.get("url") and entry.get("status") in ("running", "held", "restarting"):
            found[name] = entry["url"]
    return found


def dump_schema(url: str, schemas: list[str] | None) -> str:
    """The expected-schema YAML of the database at ``url``, as ``crosscheck schema-dump`` writes it."""
    from crosscheck.postgres.dump import dump_text
    from crosscheck.postgres.helpers import database_of
    from crosscheck.services import postgres

    conn = postgres.connect(url, application_name="crosscheck-init")
    try:
        return dump_text(conn, schemas, database_of(url), as_json=False)
    finally:
        conn.close()


def read_channels(url: str) -> list[str]:
    """The channels that have subscribers now (``PUBSUB CHANNELS``), but crosscheck's own test copies."""
    from crosscheck.services import redis

    client = redis.connect(url)
    try:
        names = [c.decode() if isinstance(c, bytes) else c for c in client.pubsub_channels()]
    finally:
        client.close()
    return sorted(n for n in names if not n.startswith("cc_"))


def subscribers(url: str, channels: list[str]) -> list[str]:
    """Those of ``channels`` that have at least one subscriber now (``PUBSUB NUMSUB``)."""
    if not channels:
        return []
    from crosscheck.services import redis

    client = redis.connect(url)
    try:
        counts = {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in client.pubsub_numsub(*channels)}
    finally:
        client.close()
    return [c for c in channels if counts.get(c, 0) > 0]


def load_document(source: str) -> dict:
    """The OpenAPI document at ``source``: an http(s) URL or a file, JSON or YAML."""
    import httpx

    if source.startswith(("http://", "https://")):
        try:
            resp = httpx.get(source, timeout=10.0, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise ConfigurationError(f"no OpenAPI document at {config.mask_url(source)}: {exc}") from None
        if resp.status_code >= 400:
            raise ConfigurationError(
                f"no OpenAPI document at {config.mask_url(source)}: HTTP {resp.status_code}; "
                "name it with --openapi URL|FILE"
            )
        text = resp.text
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"cannot read the OpenAPI document {source}: {exc.strerror}") from None
    try:
        doc = yaml.safe_load(text)  # JSON is YAML
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{config.mask_url(source)} is neither JSON nor YAML: {exc}") from None
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3"):
        raise ConfigurationError(f"{config.mask_url(source)} is not an OpenAPI 3 document (no `openapi: 3.x` field)")
    return doc


def _resolve(doc: dict, node):
    while isinstance(node, dict) and "$ref" in node and str(node["$ref"]).startswith("#/"):
        for part in node["$ref"][2:].split("/"):
            node = node.get(part.replace("~1", "/").replace("~0", "~"), {})
    return node


def open_gets(doc: dict) -> list[str]:
    """Paths of GET operations a client may call as they are: no path template, no required parameter,
    no security requirement."""
    found = []
    for path, item in (doc.get("paths") or {}).items():
        op = (item or {}).get("get")
        if not isinstance(op, dict) or "{" in path:
            continue
        params = [_resolve(doc, p) for p in (item.get("parameters") or []) + (op.get("parameters") or [])]
        if any(isinstance(p, dict) and p.get("required") for p in params):
            continue
        security = op.get("security", doc.get("security")) or []
        if any(requirement for requirement in security):  # [] or [{}] is "none needed"
            continue
        found.append(path)
    return found


def answered_as_documented(api_url: str, doc: dict, paths: list[str]) -> list[str]:
    """Those of ``paths`` whose GET answers now with a status the document lists for it."""
    import httpx

    kept = []
    for path in paths:
        try:
            resp = httpx.get(api_url.rstrip("/") + path, timeout=10.0)
        except httpx.HTTPError:
            continue
        responses = doc["paths"][path]["get"].get("responses") or {}
        listed = {str(k) for k in responses}
        if str(resp.status_code) in listed or f"{str(resp.status_code)[0]}XX" in listed or "default" in listed:
            kept.append(path)
    return kept


def survey(urls: dict[str, str], openapi: str | None, channels: list[str], schemas: list[str] | None) -> System:
    """Look at the system: every service answers, the schema, the document, the channels."""
    from crosscheck import services

    system = System(urls=dict(urls))
    for name, url in urls.items():
        if name != "api":  # the API is probed below: an API without /health is no reason to stop
            services.get(name).version(url)
    if "postgres" in urls:
        system.schema = dump_schema(urls["postgres"], schemas)
    if "api" in urls:
        try:
            services.get("api").version(urls["api"])
            system.api_healthy = True
        except CrosscheckError as exc:
            system.notes.append(f"the API is not checked for health: {exc}")
        source = openapi or urls["api"].rstrip("/") + "/openapi.json"
        try:
            system.openapi = load_document(source)
            system.openapi_source = (
                source if source.startswith(("http://", "https://")) else str(Path(source).resolve())
            )
        except ConfigurationError as exc:
            if openapi:
                raise
            system.notes.append(f"no contract suite: {exc}")
        if system.openapi is not None:
            system.documented_gets = answered_as_documented(urls["api"], system.openapi, open_gets(system.openapi))
    elif openapi:
        raise ConfigurationError("--openapi needs --api-url (or --from-stack): the API whose document it is")
    if "redis" in urls:
        system.channels = sorted(dict.fromkeys(channels)) if channels else read_channels(urls["redis"])
        system.subscribed = subscribers(urls["redis"], system.channels)
        if not system.channels:
            system.notes.append("no channel has a subscriber now and none was named (--channel): no channel is checked")
    elif channels:
        raise ConfigurationError("--channel needs --redis-url (or --from-stack): the Redis the channels are on")
    return system


# --- writing the checklist ------------------------------------------------------------


def _header(title: str, lines: list[str]) -> str:
    text = "*** Settings ***\n"
    text += f"Documentation       {title}\n"
    for line in lines:
        text += f"...                 {line}\n"
    return text


RUN_LINE = "Written by ``crosscheck init``; run with ``robot --argumentfile crosscheck.args suites/``."


def _robot_name(text: str) -> str:
    return text.replace("$", "\\$").replace("@", "\\@").replace("&", "\\&").replace("%", "\\%")


def preflight_suite(system: System) -> str:
    text = _header(
        "Checkpoint 1, pre-flight: every service of the system answers, and their versions are logged.",
        [RUN_LINE],
    )
    text += (
        "Resource            crosscheck/resources/services.resource\n"
        "Suite Setup         The Services Given For This Run Are Used\n"
        "Test Tags           checkpoint1    preflight\n\n\n*** Test Cases ***\n"
    )
    titles = {"redis": "Redis", "postgres": "Postgres", "api": "The API"}
    for name in ("redis", "postgres", "api"):
        if name in system.urls and (name != "api" or system.api_healthy):
            verb = "Answers On /health" if name == "api" else "Answers"
            text += f"{titles[name]} {verb}\n    [Tags]    {name}\n    Service Should Be Reachable    {name}\n\n"
    text += "Service Versions Are Logged\n    Log Service Versions\n"
    return text


def contracts_suite(system: System) -> str:
    text = _header(
        "Checkpoint 3, API contracts: the document the API serves keeps every promise of the baseline",
        [
            "``expected/openapi.json`` (the document as it was when ``crosscheck init`` ran), and what the API",
            "answers follows it. A deliberate change of contract: replace the baseline with the new document.",
            RUN_LINE,
        ],
    )
    text += (
        "Resource            crosscheck/resources/services.resource\n"
        "Resource            crosscheck/resources/contracts.resource\n"
        "Suite Setup         The Baseline And The API Are Ready\n"
        "Test Tags           checkpoint3    api\n\n\n"
        "*** Variables ***\n"
        "${BASELINE}            ${CURDIR}/../expected/openapi.json\n"
        "# the document the API serves; the arguments file names it\n"
        "${OPENAPI_SOURCE}      ${BASELINE}\n\n\n"
        "*** Test Cases ***\n"
        "The Served Document Is Compatible With The Baseline\n"
        "    The Served Document Should Be Compatible With The Baseline    ${BASELINE}    ${OPENAPI_SOURCE}\n"
    )
    for path in system.documented_gets:
        text += (
            f"\nGET {_robot_name(path)} Answers As Documented\n"
            f"    The Response To GET Should Follow The Document    ${{API}}    {_robot_name(path)}    baseline\n"
        )
    text += (
        "\n\n*** Keywords ***\n"
        "The Baseline And The API Are Ready\n"
        "    [Documentation]    Suite setup: the services of the arguments file, the baseline loaded as ``baseline``,\n"
        "    ...    ``${API}`` the API's base URL.\n"
        "    The Services Given For This Run Are Used\n"
        "    Load OpenAPI Document    ${BASELINE}    alias=baseline\n"
        "    ${api} =    Get Service Url    api\n"
        "    VAR    ${API}    ${api}    scope=SUITE\n"
    )
    return text


def data_flow_suite(system: System) -> str:
    text = _header(
        "Checkpoint 4, data flow: the database keeps the schema it had (``expected/schema.yaml``), and messages",
        [
            "on copies of the system's channels (``expected/channels.yaml``) are delivered within the targets;",
            "the copies are private to each test, so the system's own subscribers receive nothing.",
            RUN_LINE,
        ],
    )
    text += "Resource            crosscheck/resources/services.resource\n"
    if system.schema:
        text += "Resource            crosscheck/resources/postgres.resource\n"
    if system.channels:
        text += "Resource            crosscheck/resources/messaging.resource\n"
        text += "Variables           ../expected/channels.yaml\n"
    text += (
        "Suite Setup         The Services Given For This Run Are Used\n"
        "Test Tags           checkpoint4\n\n\n*** Test Cases ***\n"
    )
    tests = []
    if system.schema:
        tests.append(
            "The Database Matches Its Expected Schema\n    [Tags]    postgres\n"
            "    The Database Should Match The Expected Schema    ${CURDIR}/../expected/schema.yaml\n"
        )
    for index, channel in enumerate(system.channels):
        tests.append(
            f"Messages On {_robot_name(channel)} Are Delivered Within The Target\n    [Tags]    redis\n"
            f"    Delivery On A Private Copy Of The Channel Meets The Targets    ${{CHANNELS}}[{index}]\n"
        )
    return text + "\n".join(tests)


def service_layer_suite(system: System) -> str:
    text = _header(
        "Checkpoint 5, service layer: the services that listen on the system's channels are there.",
        ["The channels are in ``expected/channels.yaml`` (``SUBSCRIBED_CHANNELS``).", RUN_LINE],
    )
    text += (
        "Resource            crosscheck/resources/services.resource\n"
        "Resource            crosscheck/resources/messaging.resource\n"
        "Variables           ../expected/channels.yaml\n"
        "Suite Setup         The Services Given For This Run Are Used\n"
        "Test Tags           checkpoint5    redis\n\n\n*** Test Cases ***\n"
        "The Channels Still Have Their Subscribers\n"
        "    Channels Should Still Have Their Subscribers    @{SUBSCRIBED_CHANNELS}\n"
    )
    return text


def channels_file(system: System) -> str:
    head = (
        "# Robot variable file written by `crosscheck init`: the Redis channels of the system.\n"
        "# CHANNELS: every channel checked; SUBSCRIBED_CHANNELS: those that had a subscriber then.\n"
    )
    return head + yaml.safe_dump(
        {"CHANNELS": system.channels, "SUBSCRIBED_CHANNELS": system.subscribed}, sort_keys=False
    )


def args_file(system: System, write_passwords: bool) -> str:
    lines = [
        "# Arguments for robot, written by `crosscheck init`:",
        "#     robot --argumentfile crosscheck.args suites/",
        "# The addresses of the system under test. A variable of the same name in the environment wins",
        "# over the line here: that is where a password goes, e.g.",
        "#     export CROSSCHECK_POSTGRES_URL='postgresql://user:PASSWORD@host:5432/db'",
    ]
    if write_passwords and any(config.secrets_of(u) for u in system.urls.values()):
        lines.append("# This file holds passwords (--write-passwords): keep it out of version control.")
    for name in ("redis", "postgres", "api"):
        if name in system.urls:
            url = system.urls[name] if write_passwords else without_password(system.urls[name])
            lines.append(f"--variable {config.ENV[name]}:{url}")
    if system.openapi is not None:
        source = system.openapi_source if write_passwords else without_password(system.openapi_source)
        lines.append("# the OpenAPI document the API serves, checked against expected/openapi.json")
        lines.append(f"--variable OPENAPI_SOURCE:{source}")
    lines += ["--outputdir results", ""]
    return "\n".join(lines)


def plan(system: System, write_passwords: bool) -> dict[str, str]:
    """Every file to write: relative path -> content."""
    files = {ARGS_FILE: args_file(system, write_passwords)}
    if system.schema:
        files[SCHEMA_FILE] = system.schema
    if system.openapi is not None:
        files[OPENAPI_FILE] = json.dumps(system.openapi, indent=2) + "\n"
    if system.channels:
        files[CHANNELS_FILE] = channels_file(system)
    files["suites/01_preflight.robot"] = preflight_suite(system)
    if system.openapi is not None:
        files["suites/03_api_contracts.robot"] = contracts_suite(system)
    if system.schema or system.channels:
        files["suites/04_data_flow.robot"] = data_flow_suite(system)
    if system.subscribed:
        files["suites/05_service_layer.robot"] = service_layer_suite(system)
    return files


def write(
    folder: Path, files: dict[str, str], force: bool, private: frozenset[str] | set[str] = frozenset()
) -> list[Path]:
    """Write ``files`` under ``folder``; nothing at all when one exists already, unless ``force``."""
    existing = [name for name in files if (folder / name).exists()]
    if existing and not force:
        names = ", ".join(existing)
        raise ConfigurationError(
            f"{'these files exist' if len(existing) > 1 else 'this file exists'} in {folder}: {names}; "
            "nothing was written (--force overwrites them)"
        )
    written = []
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        if name in private:
            os.chmod(path, 0o600)
        written.append(path)
    return written


# --- the command ----------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        formatter_class=PlainHelpFormatter,
        prog="crosscheck init",
        description="Write a starting checklist for your own system into a folder: the expected schema of its "
        "database, its OpenAPI document as the contract baseline, its Redis channels, an arguments file with its "
        "addresses and one suite per checkpoint that applies, passing against the system as it is now. "
        "Existing files are never overwritten without --force.",
    )
    p.add_argument("--redis-url", metavar="URL", help="redis://[:password@]host:port/db")
    p.add_argument("--postgres-url", metavar="URL", help="postgresql://user[:password]@host:port/db")
    p.add_argument("--api-url", metavar="URL", help="the HTTP API's base URL, http://host:port")
    p.add_argument(
        "--openapi", metavar="URL|FILE", help="the API's OpenAPI 3 document (default: <api-url>/openapi.json)"
    )
    p.add_argument(
        "--from-stack",
        action="store_true",
        help="take the services of the running `crosscheck up` stack (the URLs given beside it win)",
    )
    p.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="NAME",
        help="a Redis channel to check; repeat for several (default: PUBSUB CHANNELS, those with a subscriber now)",
    )
    p.add_argument("--schema", action="append", dest="schemas", metavar="NAME", help="database schema to dump")
    p.add_argument("--dir", default=".", metavar="DIR", help="the folder to write into (default: this one)")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.add_argument(
        "--write-passwords",
        action="store_true",
        help="write the URLs' passwords into crosscheck.args (default: left out; give them in the environment)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    given = {"redis": args.redis_url, "postgres": args.postgres_url, "api": args.api_url}
    urls = {name: url.strip() for name, url in given.items() if url and url.strip()}
    try:
        if args.from_stack:
            urls = {**stack_urls(), **urls}
        if not urls:
            raise ConfigurationError(
                "name the services to check: --redis-url, --postgres-url, --api-url (with --openapi), "
                "or --from-stack for the running `crosscheck up` stack"
            )
        system = survey(urls, args.openapi, args.channel, args.schemas)
        files = plan(system, args.write_passwords)
        folder = Path(args.dir).resolve()
        written = write(folder, files, args.force, {ARGS_FILE} if args.write_passwords else set())
    except CrosscheckError as exc:
        print(f"crosscheck init: {config.scrub(str(exc), *urls.values())}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"crosscheck init: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"Wrote a starting checklist for {', '.join(config.mask_url(u) for u in urls.values())} into {folder}:")
    for path in written:
        print(f"  {path.relative_to(folder)}")
    for note in system.notes:
        print(f"Note: {config.scrub(note, *urls.values())}")
    with_password = [name for name, url in urls.items() if config.secrets_of(url)]
    if with_password and not args.write_passwords:
        print("Passwords were not written. Give each URL with its password in the environment, which wins over")
        print(f"{ARGS_FILE}:")
        for name in with_password:
            print(f"  export {config.ENV[name]}='{config.mask_url(urls[name]).replace('***', 'PASSWORD')}'")
    print("Run it (pip install robotframework-crosscheck where you run it):")
    print(f"  cd {folder} && robot --argumentfile {ARGS_FILE} suites/")
    print(
        time.strftime(
            "Every suite passes against the system as it was at %Y-%m-%d %H:%M; commit them as your baseline."
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
