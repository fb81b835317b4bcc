"""A small repository set for the crosscheck.Repos examples: example_shared, producer, consumer.

Written into a new temporary folder by ``Create Example Repositories``; removed by ``Remove Example Repositories``.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path

BUILD = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
PRODUCER_MAIN = """
import http.server, os
port = int(os.environ["PRODUCER_PORT"])
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
"""
CONSUMER_MAIN = """
import os, sys
from example_shared import settings
url = os.environ.get("CONSUMER_REDIS_URL", "redis://127.0.0.1:6379/0")
print(f"consumer: cannot reach Redis at {url}; start Redis or set CONSUMER_REDIS_URL", file=sys.stderr)
sys.exit(2)
"""
FILES = {
    "example_shared/pyproject.toml": BUILD
    + '[project]\nname = "example-shared"\nversion = "0.1.0"\ndependencies = []\n',
    "example_shared/example_shared/__init__.py": '"""Shared helpers."""\n',
    "example_shared/example_shared/settings.py": "def load(name):\n    return {'name': name}\n",
    "producer/pyproject.toml": BUILD
    + '[project]\nname = "example-producer"\nversion = "0.1.0"\ndependencies = ["example-shared"]\n'
    + '\n[tool.setuptools.packages.find]\nwhere = ["src"]\n',
    "producer/src/example_producer/__init__.py": "from example_shared import settings\n",
    "producer/src/example_producer/__main__.py": PRODUCER_MAIN,
    "producer/config/producer.toml": 'port = 8101\nredis_key_prefix = "producer:"\npublishes = ["example.prices.updated"]\ndb_schema = "producer"\nenv_prefix = "PRODUCER_"\n',
    "consumer/pyproject.toml": BUILD
    + '[project]\nname = "example-consumer"\nversion = "0.1.0"\ndependencies = ["example-shared"]\n'
    + '\n[tool.setuptools.packages.find]\ninclude = ["example_consumer*"]\n',
    "consumer/example_consumer/__init__.py": "from example_shared import settings\n",
    "consumer/example_consumer/__main__.py": CONSUMER_MAIN,
    "consumer/config/consumer.toml": 'port = 8102\nredis_key_prefix = "consumer:"\nsubscribes = ["example.prices.updated"]\ndb_schema = "consumer"\nenv_prefix = "CONSUMER_"\n',
}


def create_example_repositories() -> str:
    base = Path(tempfile.mkdtemp(prefix="crosscheck-example-repos-"))
    for rel, text in FILES.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"))
    return str(base)


def remove_example_repositories(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
