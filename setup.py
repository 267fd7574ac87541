"""One build step setup.cfg cannot declare: carry the app's top-level folders inside the package.

templates/, static/, translations/ and migrations/ stay at the top of the checkout, where the
app reads them. A wheel (or a non-editable `pip install .`) has no checkout, so build_py copies
them to p4p/<folder> in the build, and compiles each messages.po into the messages.mo beside it
(compiled catalogs are build output, never committed). p4p.resource_dir() looks in p4p/ first,
then at the top of the checkout. Editable installs copy nothing: they read the checkout.
"""

import fnmatch
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCE_FOLDERS = ("templates", "static", "translations", "migrations")
# Build leftovers of the checkout that must not ship; .mo files are compiled afresh below.
SKIPPED = ("__pycache__", "*.pyc", "*.mo", ".*")


class build_py_with_resources(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        package = os.path.join(self.build_lib, "p4p")
        for folder in RESOURCE_FOLDERS:
            target = os.path.join(package, folder)
            shutil.rmtree(target, ignore_errors=True)  # a file removed from the source goes too
            shutil.copytree(folder, target, ignore=shutil.ignore_patterns(*SKIPPED))
        compile_catalogs(os.path.join(package, "translations"))


def compile_catalogs(directory: str) -> None:
    """messages.po -> messages.mo for every language, refusing a catalog Babel cannot read."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for root, _dirs, files in os.walk(directory):
        for name in fnmatch.filter(files, "*.po"):
            po_path = os.path.join(root, name)
            with open(po_path, "rb") as po_file:
                catalog = read_po(po_file, abort_invalid=True)
            with open(po_path[:-3] + ".mo", "wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": build_py_with_resources})
