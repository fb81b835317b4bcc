"""A failed connection says what went wrong, with its own fix, in one wording across libraries:
credentials rejected, no such database, a host that does not resolve, nothing listening. Real
services: the embedded Redis (a user of its own with a password, removed after) and Postgres."""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
import redis

from crosscheck.errors import ServiceUnavailable
from crosscheck.messaging import Messaging
from crosscheck.postgres import Postgres
from crosscheck.services import get as service
from crosscheck.vectors import Vectors


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_parts(url: str, **parts) -> str:
    split = urlsplit(url)._replace(**parts)
    return urlunsplit(split)


def postgres_connect(url: str) -> None:
    Postgres().run_keyword("connect_to_postgres", [url], {})


def vectors_connect(url: str) -> None:
    Vectors().run_keyword("connect_to_vector_store", [url], {})


POSTGRES_KEYWORDS = {
    "Postgres Connect To Postgres": postgres_connect,
    "Vectors Connect To Vector Store": vectors_connect,
}


@pytest.mark.parametrize("connect", POSTGRES_KEYWORDS.values(), ids=POSTGRES_KEYWORDS.keys())
def test_postgres_causes_are_told_apart(connect, postgres_url):
    cases = [
        (
            with_parts(postgres_url, path="/no_such_database_here"),
            r"has no such database \(.*database \"no_such_database_here\" does not exist.*\): "
            r"create it, or fix the database in CROSSCHECK_POSTGRES_URL",
        ),
        (
            with_parts(postgres_url, netloc="qa:secret@no-such-host.invalid:5432"),
            r"at postgresql://qa:\*\*\*@no-such-host\.invalid:5432/.* cannot be found \(the host name does not "
            r"resolve\) .*: fix the host in CROSSCHECK_POSTGRES_URL",
        ),
        (
            with_parts(postgres_url, netloc=f"postgres@127.0.0.1:{closed_port()}"),
            r"refused the connection \(nothing listens there\) .*: start it, or fix CROSSCHECK_POSTGRES_URL",
        ),
    ]
    for url, message in cases:
        with pytest.raises(ServiceUnavailable) as err:
            connect(url)
        text = str(err.value)
        assert re.search(message, text), text
        assert "secret" not in text and "\n" not in text


def test_a_rejected_postgres_password_is_told_as_such():
    # The embedded Postgres trusts local connections, so it cannot refuse a password: the
    # classification is checked on the words libpq uses when a server does.
    said = psycopg2.OperationalError(
        'connection to server at "db.example" (10.0.0.5), port 5432 failed: '
        'FATAL:  password authentication failed for user "qa"'
    )
    error = service("postgres").unreachable("postgresql://qa:secret@db.example:5432/shop_test", said)
    assert str(error).startswith("Postgres at postgresql://qa:***@db.example:5432/shop_test rejected the credentials")
    assert str(error).endswith("fix the user or password in CROSSCHECK_POSTGRES_URL")


@pytest.fixture()
def redis_user(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.execute_command("ACL", "SETUSER", "cc_causes_user", "on", ">right-password", "~*", "+@all")
    yield "cc_causes_user"
    client.execute_command("ACL", "DELUSER", "cc_causes_user")
    client.close()


def test_redis_causes_are_told_apart(redis_url, redis_user):
    netloc = urlsplit(redis_url).netloc.rsplit("@", 1)[-1]
    cases = [
        (
            with_parts(redis_url, netloc=f"{redis_user}:wrong-password@{netloc}"),
            r"Redis at redis://cc_causes_user:\*\*\*@.* rejected the credentials .*: fix the user or password in "
            r"CROSSCHECK_REDIS_URL",
        ),
        (
            with_parts(redis_url, path="/99"),
            r"has no such database .*: create it, or fix the database in CROSSCHECK_REDIS_URL",
        ),
        (
            with_parts(redis_url, netloc="no-such-host.invalid:6379"),
            r"cannot be found \(the host name does not resolve\) .*: fix the host in CROSSCHECK_REDIS_URL",
        ),
        (
            with_parts(redis_url, netloc=f"127.0.0.1:{closed_port()}"),
            r"refused the connection \(nothing listens there\) .*: start it, or fix CROSSCHECK_REDIS_URL",
        ),
    ]
    lib = Messaging()
    for url, message in cases:
        with pytest.raises(ServiceUnavailable) as err:
            lib.run_keyword("connect_to_redis", [url], {"alias": "causes"})
        text = str(err.value)
        assert re.search(message, text), text
        assert "wrong-password" not in text and "\n" not in text
    right = with_parts(redis_url, netloc=f"{redis_user}:right-password@{netloc}")
    lib.run_keyword("connect_to_redis", [right], {"alias": "causes"})
