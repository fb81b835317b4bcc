"""crosscheck.Repos through the library class, on repository sets written into tmp_path (no mocks)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from robot.api import SkipExecution

from crosscheck.errors import ConfigurationError, CrosscheckError
from crosscheck.repos import Repos

SERVICE = """
import http.server, os, sys
port = int(os.environ["{env}"])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
print("listening on", port, flush=True)
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
"""


def lib_for(base: Path, shared: str | None = "sample_shared") -> Repos:
    lib = Repos()
    lib.use_repositories(str(base), shared=shared)
    return lib


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def three(repos, producer_files=None, consumer_files=None, producer_deps=("sample-shared",)):
    repos(
        "shared", "sample_shared", files={"{pkg}/util.py": "import json\n\n\ndef dumps(x):\n    return json.dumps(x)\n"}
    )
    repos(
        "producer",
        "sample_producer",
        src=True,
        dependencies=list(producer_deps),
        files={"{pkg}/send.py": "from sample_shared import util\n", **(producer_files or {})},
    )
    repos(
        "consumer",
        "sample_consumer",
        dependencies=["sample-shared"],
        files={"{pkg}/handle.py": "import sample_shared.util\n", **(consumer_files or {})},
    )
    return repos.base


# --- the set ---------------------------------------------------------------------------------------


def test_use_repositories_finds_flat_and_src_packages(repos):
    base = three(repos)
    lib = lib_for(base)
    assert lib.ctx.repos.names == ["consumer", "producer", "shared"]
    assert lib.get_repository_packages("producer") == ["sample_producer"]
    assert lib.ctx.repos.get("producer").root == base / "producer" / "src"
    assert lib.ctx.repos.get("shared").shared


def test_a_folder_with_no_package_and_a_package_claimed_twice_fail(repos, tmp_path):
    three(repos)
    (repos.base / "empty").mkdir()
    (repos.base / "empty" / "pyproject.toml").write_text('[project]\nname = "empty"\n')
    with pytest.raises(ConfigurationError, match=r"Repository 'empty' at .*empty has no package"):
        lib_for(repos.base)
    other = tmp_path / "other"
    from repos_support import write_repo

    write_repo(other, "copy", "sample_producer")
    lib = Repos()
    lib.add_repository(str(repos.base / "producer"))
    with pytest.raises(
        ConfigurationError, match=r"Package 'sample_producer' is claimed by two repositories: 'producer'"
    ):
        lib.add_repository(str(other / "copy"))
    with pytest.raises(ConfigurationError, match=r"shared=nope names no repository"):
        Repos().use_repositories(str(repos.base), "producer,consumer", shared="nope")


# --- imports ---------------------------------------------------------------------------------------


def test_independent_repositories_pass_and_shared_imports_are_allowed(repos):
    lib = lib_for(three(repos))
    lib.repositories_should_not_import_each_other()
    assert not any(p.name.startswith(".") for p in (repos.base / "producer").iterdir()), "nothing written"


def test_a_cross_repository_import_names_file_line_and_both_modules(repos):
    base = three(repos, producer_files={"{pkg}/bad.py": '"""x."""\n\nfrom sample_consumer.handle import x\n'})
    with pytest.raises(CrosscheckError) as err:
        lib_for(base).repositories_should_not_import_each_other()
    message = str(err.value)
    assert "contract 'Repositories are independent' broken" in message
    assert (
        "producer -> consumer: producer/src/sample_producer/bad.py:3 (sample_producer.bad) imports "
        "sample_consumer.handle: from sample_consumer.handle import x" in message
    )


def test_a_shared_repository_importing_a_service_breaks_its_contract(repos):
    three(repos)
    (repos.base / "shared" / "sample_shared" / "back.py").write_text("import sample_consumer\n")
    with pytest.raises(
        CrosscheckError, match=r"shared -> consumer: shared/sample_shared/back.py:1 \(sample_shared.back\)"
    ):
        lib_for(repos.base).repositories_should_not_import_each_other()


def test_one_repository_alone_is_nothing_to_check(repos):
    three(repos)
    lib = Repos()
    lib.add_repository(str(repos.base / "producer"))
    with pytest.raises(ConfigurationError, match="needs at least 2 repositories; the set has 1"):
        lib.repositories_should_not_import_each_other()


# --- dependencies ------------------------------------------------------------------------------------


def test_declared_dependencies_pass(repos):
    lib_for(three(repos)).repository_dependencies_should_be_declared()


def test_an_undeclared_shared_package_and_an_unused_dependency_fail(repos):
    base = three(repos, producer_deps=["pyyaml"])
    with pytest.raises(CrosscheckError) as err:
        lib_for(base).repository_dependencies_should_be_declared("producer")
    message = str(err.value)
    assert "producer/src/sample_producer/send.py:1: DEP001 missing: 'sample_shared' imported but missing" in message
    assert "producer/pyproject.toml:9: DEP002 unused: 'pyyaml' defined as a dependency but not used" in message


def test_a_sibling_import_is_a_missing_dependency(repos):
    base = three(repos, consumer_files={"{pkg}/x.py": "import sample_producer\n"})
    with pytest.raises(CrosscheckError, match=r"consumer/sample_consumer/x.py:1: DEP001 missing: 'sample_producer'"):
        lib_for(base).repository_dependencies_should_be_declared(rules="missing")


def test_conflicting_pins_name_both_repositories(repos):
    repos("a", "pkg_a", dependencies=["requests==2.31.0"], files={"{pkg}/m.py": "import requests\n"})
    repos("b", "pkg_b", dependencies=["requests==2.32.3"], files={"{pkg}/m.py": "import requests\n"})
    lib = lib_for(repos.base, shared=None)
    with pytest.raises(CrosscheckError) as err:
        lib.repository_dependencies_should_resolve_together()
    assert "a requires 'requests==2.31.0' (a/pyproject.toml:" in str(err.value)
    assert "b requires 'requests==2.32.3' (b/pyproject.toml:" in str(err.value)


def test_requirements_that_resolve_pass_or_skip_with_the_reason(repos):
    repos("a", "pkg_a", dependencies=["packaging>=20"])
    repos("b", "pkg_b", dependencies=["packaging<99"])
    lib = lib_for(repos.base, shared=None)
    try:
        lib.repository_dependencies_should_resolve_together()
    except SkipExecution as exc:
        assert "pip could not resolve the requirements: no index it can reach has them" in str(exc)
        pytest.skip(str(exc))


def test_offline_resolution_without_the_packages_is_a_skip_never_a_pass(repos, tmp_path):
    repos("a", "pkg_a", dependencies=["no-such-distribution-crosscheck==1.0"])
    repos("b", "pkg_b")
    lib = lib_for(repos.base, shared=None)
    empty = tmp_path / "wheels"
    empty.mkdir()
    with pytest.raises(SkipExecution, match="no index it can reach has them"):
        lib.repository_dependencies_should_resolve_together("--no-index", f"--find-links={empty}")


def test_this_environment_is_consistent():
    Repos().repository_environment_should_be_consistent(python=sys.executable)


# --- deployment --------------------------------------------------------------------------------------


def test_a_repository_installs_alone_and_one_that_needs_its_sibling_fails(repos):
    base = three(repos, consumer_files={"{pkg}/__init__.py": "from sample_producer import send\n"})
    before = sorted(str(p.relative_to(base)) for p in base.rglob("*"))
    lib = lib_for(base)
    python = lib.repository_should_install_alone("producer")
    assert Path(python).exists()
    # pip built copies: nothing (build/, *.egg-info) was written into the repositories
    assert sorted(str(p.relative_to(base)) for p in base.rglob("*")) == before
    lib.repository_environment_should_be_consistent("producer")
    with pytest.raises(CrosscheckError) as err:
        lib.repository_should_install_alone("consumer")
    message = str(err.value)
    assert "Repository 'consumer' does not import alone" in message
    assert "import sample_consumer: ModuleNotFoundError: No module named 'sample_producer'" in message
    assert "it needs 'sample_producer' from sibling repository 'producer'" in message
    envs = [e.folder for e in lib.ctx.environments.values()]
    lib.cleanup.close()
    assert envs and not any(f.exists() for f in envs)


def test_a_service_starts_alone_and_one_that_exits_fails_with_its_log(repos):
    port = free_port()
    repos("svc", "demo_svc", files={"{pkg}/__main__.py": SERVICE.format(env="SVC_PORT")})
    repos(
        "broken",
        "demo_broken",
        files={"{pkg}/__main__.py": "import sys\nprint('cannot reach Redis at redis://127.0.0.1:1')\nsys.exit(3)\n"},
    )
    lib = lib_for(repos.base, shared=None)
    lib.repository_service_should_start_alone(
        "svc",
        "python -m demo_svc",
        health_url=f"http://127.0.0.1:{port}/health",
        environment="current",
        SVC_PORT=str(port),
    )
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the service was stopped"
    with pytest.raises(CrosscheckError) as err:
        lib.repository_service_should_start_alone("broken", "python -m demo_broken", environment="current")
    assert "Service of repository 'broken' (python -m demo_broken) exited with code 3" in str(err.value)
    assert "cannot reach Redis at redis://127.0.0.1:1" in str(err.value)
    lib.repository_service_should_fail_clearly(
        "broken", "python -m demo_broken", "*cannot reach Redis*", environment="current"
    )
    with pytest.raises(CrosscheckError, match="no line matches '\\*Postgres\\*'"):
        lib.repository_service_should_fail_clearly(
            "broken", "python -m demo_broken", "*Postgres*", environment="current"
        )
    lib.cleanup.close()


# --- resources --------------------------------------------------------------------------------------


CONFIG_P = """
port = 8101
health_port = 9101
redis_url = "redis://127.0.0.1:6379/0"
redis_key_prefix = "producer:"
publishes = ["tickstock.universe.updated"]
db_schema = "producer"
env_prefix = "PRODUCER_"
"""
CONFIG_C = """
port = 8102
health_port = 9102
redis_url = "redis://127.0.0.1:6379/0"
redis_key_prefix = "consumer:"
subscribes = ["tickstock.universe.updated"]
db_schema = "consumer"
env_prefix = "CONSUMER_"
"""


def test_separate_resources_pass(repos):
    base = three(
        repos,
        producer_files={
            "config/producer.toml": CONFIG_P,
            "{pkg}/cfg.py": "import os\nP = os.getenv('PRODUCER_PORT')\n",
        },
        consumer_files={"config/consumer.toml": CONFIG_C, ".env.example": "CONSUMER_PORT=8102\n"},
    )
    lib_for(base).repositories_should_not_share_resources()


def test_two_repositories_on_one_port_fail_with_both_files_and_lines(repos):
    base = three(
        repos,
        producer_files={"config/producer.toml": CONFIG_P},
        consumer_files={"config/consumer.yaml": "server:\n  listen: 0.0.0.0:8101\n"},
    )
    with pytest.raises(CrosscheckError) as err:
        lib_for(base).repositories_should_not_share_resources()
    assert (
        "port '8101' claimed by 2 repositories: consumer at consumer/config/consumer.yaml:2 (server.listen); "
        "producer at producer/config/producer.toml:1 (port)" in str(err.value)
    )


def test_one_environment_variable_read_by_two_repositories_fails(repos):
    base = three(
        repos,
        producer_files={"{pkg}/cfg.py": "import os\n\nURL = os.environ['QUEUE_URL']\n"},
        consumer_files={"{pkg}/cfg.py": "from os import environ\nURL = environ.get('QUEUE_URL', '')\n"},
    )
    lib = lib_for(base)
    with pytest.raises(CrosscheckError) as err:
        lib.repositories_should_not_share_resources()
    assert (
        "env var 'QUEUE_URL' claimed by 2 repositories: consumer at consumer/sample_consumer/cfg.py:2 ((code)); "
        "producer at producer/src/sample_producer/cfg.py:3 ((code))" in str(err.value)
    )
    lib.repositories_should_not_share_resources(allow_env="QUEUE_URL")


def test_prefixes_channels_schemas_and_reading_another_repositorys_settings(repos):
    clash = CONFIG_C.replace('"consumer:"', '"producer:x:"').replace("subscribes", "publishes")
    clash = clash.replace('db_schema = "consumer"', 'db_schema = "producer"')
    base = three(
        repos,
        producer_files={"config/producer.toml": CONFIG_P},
        consumer_files={"config/consumer.toml": clash, "{pkg}/cfg.py": "import os\nX = os.getenv('PRODUCER_PORT')\n"},
    )
    with pytest.raises(CrosscheckError) as err:
        lib_for(base).repositories_should_not_share_resources()
    message = str(err.value)
    assert "channel 'tickstock.universe.updated' claimed by 2 repositories" in message
    assert "schema 'producer' claimed by 2 repositories" in message
    assert "key prefix 'producer:x:' lies inside 'producer:', claimed by" in message
    assert "env var 'PRODUCER_PORT' falls under 'PRODUCER_', claimed by" in message


def test_the_port_of_a_service_a_repository_connects_to_is_no_claim(repos):
    # both read Redis and Postgres on the same ports: where they connect, not what they own
    base = three(
        repos,
        producer_files={"config/producer.v1.toml": "[redis]\nhost = 'localhost'\nport = 6379\npostgres_port = 5432\n"},
        consumer_files={"config/consumer.toml": "database.port = 5432\n[redis]\nport = 6379\n"},
    )
    lib_for(base).repositories_should_not_share_resources()
    # the same port under a section of the repository's own is a claim
    base = three(
        repos,
        producer_files={"config/producer.toml": "[server]\nport = 8080\n"},
        consumer_files={"config/consumer.toml": "[http]\nport = 8080\n"},
    )
    with pytest.raises(CrosscheckError, match=r"port '8080' claimed by 2 repositories"):
        lib_for(base).repositories_should_not_share_resources()
    # and the patterns are the suite's to change
    base = three(
        repos,
        producer_files={"config/producer.toml": "[redis]\nport = 6379\n"},
        consumer_files={"config/consumer.toml": "[redis]\nport = 6379\n"},
    )
    with pytest.raises(CrosscheckError, match=r"port '6379' claimed by 2 repositories"):
        lib_for(base).repositories_should_not_share_resources(connect_sections="database*")


def test_the_import_check_as_a_command_exits_by_its_finding(repos, tmp_path):
    import subprocess
    import sys

    def imports(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "crosscheck.cli", "imports", *args], capture_output=True, text=True, timeout=120
        )

    base = three(repos)
    clean = imports(str(base), "--shared", "sample_shared")
    assert clean.returncode == 0, clean.stderr
    assert "3 repositories" in clean.stdout and "2 of 2 contracts kept" in clean.stdout
    base = three(repos, producer_files={"{pkg}/bad.py": "from sample_consumer import handle\n"})
    broken = imports(str(base), "--shared", "sample_shared")
    assert broken.returncode == 1
    assert "producer -> consumer: producer/src/sample_producer/bad.py:1 (sample_producer.bad) imports" in broken.stdout
    missing = imports(str(tmp_path / "nowhere"))
    assert missing.returncode == 3 and "is not a folder of repositories" in missing.stderr
