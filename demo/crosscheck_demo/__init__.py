"""crosscheck-demo: deploys the demo's repositories together for crosscheck's suites.

``shared/`` (demo-shared), ``producer/`` (demo-producer), ``consumer/`` (demo-consumer) and
``gateway/`` (demo-gateway) are the system; this package holds the glue: the database
migrations, start and stop for crosscheck's embedded stack, and the ``crosscheck-demo``
command. See demo/README.md.
"""

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = DEMO_DIR / "migrations"
