"""What every gunicorn worker and every CLI call pays before its first request: no library that
only one command or one route needs (Alembic for `flask db`, icalendar for the calendar feed)."""

import subprocess
import sys

ONLY_ON_DEMAND = ("alembic", "icalendar")


def test_creating_the_app_leaves_alembic_and_icalendar_unimported(tmp_path):
    script = (
        "import sys\n"
        "from p4p import create_app\n"
        f"create_app({{'DATABASE_URL': 'sqlite:///{tmp_path}/start.db', 'SECRET_KEY': 'x'}})\n"
        f"print(sorted(name for name in {ONLY_ON_DEMAND!r} if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
