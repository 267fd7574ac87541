"""Installed from a wheel, the app reads templates, static files, translations and migrations from
inside the package (setup.py's build step puts them there), not from a checkout it has not got.

The whole wheel (build, install into a fresh venv, gunicorn) is .ci/wheel-smoke's; this runs the
same build step into a folder and the app from there, in seconds.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
SOURCES = ("setup.py", "setup.cfg", "pyproject.toml", "README.md", "MANIFEST.in")
FOLDERS = ("p4p", "templates", "static", "translations", "migrations")

CHECK = """
import sys
from pathlib import Path

import p4p
from p4p import create_app, migrate

package = Path(p4p.__file__).parent
assert package == Path.cwd() / "p4p", package
app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite:///" + sys.argv[1],
                  "INSTANCE_PATH": sys.argv[2]})
assert app.template_folder == str(package / "templates"), app.template_folder
assert app.static_folder == str(package / "static"), app.static_folder
assert app.config["BABEL_TRANSLATION_DIRECTORIES"] == str(package / "translations")
location = migrate.alembic_config("sqlite://").get_main_option("script_location")
assert location == str(package / "migrations"), location
with app.app_context():
    migrate.upgrade()
client = app.test_client()
spanish = client.get("/login", headers={"Accept-Language": "es"})
assert spanish.status_code == 200 and "<h1>Entrar</h1>" in spanish.text, spanish.text[:300]
css = client.get("/static/css/app.css")
assert css.status_code == 200 and css.mimetype == "text/css"
print("ok")
"""


def test_built_package_finds_its_folders_inside_itself(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for name in FOLDERS:
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    built = tmp_path / "lib"
    build = subprocess.run(
        [sys.executable, "setup.py", "--quiet", "build_py", "--build-lib", str(built)],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    for name in ("templates", "static", "migrations"):
        assert not (built / name).exists()  # nothing outside the package
    assert (built / "p4p/translations/es/LC_MESSAGES/messages.mo").is_file()
    assert (built / "p4p/modules/curriculum/content/instruments/peg.yaml").is_file()
    assert not list((built / "p4p").rglob("__pycache__"))

    # Run from the built folder alone: no checkout on the path, no top-level templates.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("P4P_", "FLASK_"))}
    env["PYTHONPATH"] = str(built)
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path / "db.sqlite3"), str(tmp_path / "instance")],
        cwd=built,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ok")
