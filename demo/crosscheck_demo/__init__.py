"""crosscheck-demo: deploys the demo's repositories together (migrations, start and stop, the
``crosscheck-demo`` command); see demo/README.md."""

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = DEMO_DIR / "migrations"
