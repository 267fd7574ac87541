"""Site timezones validate without the system's zoneinfo (a slim container image): tzdata."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent

CHECK = """
from zoneinfo import ZoneInfo
from p4p.modules.sites.checks import timezone_names
assert "America/Chicago" in timezone_names() and "America/Los_Angeles" in timezone_names()
print(ZoneInfo("America/Chicago").key)
"""


def test_site_timezones_validate_without_system_zoneinfo(tmp_path):
    # An empty PYTHONTZPATH hides /usr/share/zoneinfo, as on an image that does not ship it.
    env = {**os.environ, "PYTHONTZPATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "America/Chicago"


def test_tzdata_is_a_dependency():
    install_requires = (ROOT / "setup.cfg").read_text().split("install_requires =")[1]
    assert "\n    tzdata" in install_requires.split("\n[")[0]
