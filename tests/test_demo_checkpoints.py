"""Checkpoints 2 and 6 catch what they promise on the demo itself: each seeded violation, put into a
copy of the demo's repositories (never into demo/), fails its check with a message naming the file
and line, the key or the layer. The unseeded copy passes the same checks first, so a failure below
is the seed's, not the copy's. Real commands throughout: grimp and import-linter, deptry, the
repositories' own ``config`` commands and services on the embedded Redis and Postgres."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from crosscheck.configuration import Configuration
from crosscheck.errors import CrosscheckError
from crosscheck.repos import Repos

DEMO = Path(__file__).resolve().parents[1] / "demo"
REPOS = ("shared", "producer", "consumer", "gateway")
LAYERS = "defaults, file:config/{repo}.toml, file:config/{repo}.{env}.toml, dotenv:.env, environment, argument:--set {key}={value}"


@pytest.fixture()
def demo(tmp_path) -> Path:
    """A copy of the demo's four repositories, to seed."""
    for repo in REPOS:
        shutil.copytree(DEMO / repo, tmp_path / repo, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    return tmp_path


def seed(path: Path, old: str, new: str) -> int:
    """Replaces ``old`` with ``new`` once in ``path``; returns the line number of the change."""
    text = path.read_text()
    assert text.count(old) == 1, f"the seed's anchor {old!r} is not once in {path}"
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def repos(base: Path) -> Repos:
    lib = Repos()
    lib.use_repositories(str(base), names="shared,producer,consumer,gateway", shared="shared")
    return lib


def configuration(base: Path, repo: str, postgres_url: str, redis_url: str, **kwargs) -> Configuration:
    """The copy's ``repo`` registered as the suites register the demo's, but running the copy's code:
    ``python -m demo_<repo>.cli`` in a copy of its folder, the copy's shared package on PYTHONPATH."""
    lib = Configuration()
    prefix = repo.upper() + "_"
    lib.use_configuration_loader(
        repo,
        command=f"{sys.executable} -m demo_{repo}.cli config",
        folder=base / repo,
        prefix=prefix,
        env="development",
        env_argument="--env {env}",
        layers=LAYERS.replace("{repo}", repo),
        environment={
            "PYTHONPATH": str(base / "shared"),
            f"{prefix}REDIS_URL": redis_url,
            f"{prefix}POSTGRES_URL": postgres_url,
        },
        **kwargs,
    )
    return lib


def test_the_unseeded_copy_passes_every_check(demo, postgres_url, redis_url):
    lib = repos(demo)
    lib.repositories_should_not_import_each_other()
    lib.repository_dependencies_should_be_declared()
    lib.repositories_should_not_share_resources()
    cfg = configuration(demo, "gateway", postgres_url, redis_url)
    cfg.configuration_precedence_should_be("gateway", "port")
    cfg.old_configuration_should_load_the_same("gateway", "config/legacy/gateway.v1.toml")
    cfg.production_configuration_should_be_safe("config/gateway.production.toml", folder=str(demo / "gateway"))


def test_a_cross_repository_import_is_named_by_file_and_line(demo):
    line = seed(
        demo / "producer/demo_producer/producer.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nfrom demo_consumer.consumer import Consumer  # noqa: F401\n",
    )
    with pytest.raises(CrosscheckError) as err:
        repos(demo).repositories_should_not_import_each_other()
    assert re.search(
        rf"producer -> consumer: producer/demo_producer/producer\.py:{line + 2} \(demo_producer\.producer\) "
        r"imports demo_consumer\.consumer",
        str(err.value),
    ), str(err.value)


def test_an_undeclared_dependency_is_named_by_file_and_line(demo):
    path = demo / "consumer/demo_consumer/consumer.py"
    line = seed(
        path,
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nimport yaml  # noqa: F401\n",
    )
    with pytest.raises(CrosscheckError) as err:
        repos(demo).repository_dependencies_should_be_declared()
    assert re.search(rf"consumer/demo_consumer/consumer\.py:{line + 2}: DEP00[13] \w+: 'yaml'", str(err.value)), str(
        err.value
    )


def test_two_repositories_on_one_port_are_named_with_both_files(demo):
    line = seed(demo / "consumer/config/consumer.toml", "health_port = 8101", "health_port = 8000")
    with pytest.raises(CrosscheckError) as err:
        repos(demo).repositories_should_not_share_resources()
    message = str(err.value)
    assert "port '8000' claimed by 2 repositories" in message, message
    assert f"consumer at consumer/config/consumer.toml:{line} (health_port)" in message, message
    assert re.search(r"gateway at gateway/config/gateway\.toml:\d+ \(port\)", message), message


def test_an_environment_variable_that_does_not_win_over_the_files_is_named_by_layer(demo, postgres_url, redis_url):
    seed(
        demo / "shared/demo_shared/config.py",
        '            raw[key] = (os.environ[var], "environment", f"from environment variable {var}")',
        '            if raw[key][1] not in ("file", "environment-file", "dotenv"):\n'
        '                raw[key] = (os.environ[var], "environment", f"from environment variable {var}")',
    )
    cfg = configuration(demo, "gateway", postgres_url, redis_url)
    with pytest.raises(CrosscheckError) as err:
        cfg.configuration_precedence_should_be("gateway", "port")
    assert re.search(
        r"environment \(GATEWAY_PORT=\d+\) did not win over dotenv: the loader ended with port=\d+ \(source: dotenv\)",
        str(err.value),
    ), str(err.value)


def test_a_secret_printed_at_start_up_is_found_and_named(demo, postgres_url, redis_url):
    seed(
        demo / "shared/demo_shared/config.py",
        'logger.info("configuration: %s", json.dumps(self.redacted(), separators=(",", ":")))',
        'logger.info("configuration: %s", json.dumps(self.values, separators=(",", ":")))',
    )
    cfg = configuration(
        demo,
        "gateway",
        postgres_url,
        redis_url,
        start=f"{sys.executable} -m demo_gateway.cli serve --set port={{port}}",
        health_url="http://127.0.0.1:{port}/health",
    )
    with pytest.raises(CrosscheckError) as err:
        cfg.canary_secrets_should_not_leak("gateway", secrets="key_pepper")
    message = str(err.value)
    assert "key_pepper in gateway's output line" in message and "<canary of key_pepper>" in message, message


def test_a_production_file_with_debug_on_is_named_by_file_line_and_key(demo):
    line = seed(demo / "gateway/config/gateway.production.toml", "debug = false", "debug = true")
    lib = Configuration()
    with pytest.raises(CrosscheckError) as err:
        lib.production_configuration_should_be_safe("config/gateway.production.toml", folder=str(demo / "gateway"))
    assert re.search(rf"debug=true: a development switch is on \(gateway\.production\.toml:{line}\)", str(err.value)), (
        str(err.value)
    )


def test_an_old_configuration_file_that_no_longer_loads_is_refused_with_the_loaders_words(
    demo, postgres_url, redis_url
):
    seed(demo / "shared/demo_shared/config.py", "if version not in (1, 2):", "if version != 2:")
    cfg = configuration(demo, "gateway", postgres_url, redis_url)
    with pytest.raises(CrosscheckError) as err:
        cfg.old_configuration_should_load_the_same("gateway", "config/legacy/gateway.v1.toml")
    assert "config_version 1" in str(err.value) and "gateway.v1.toml" in str(err.value), str(err.value)
