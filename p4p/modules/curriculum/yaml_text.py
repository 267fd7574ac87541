"""YAML as the content files are read: safe types only, parsed by libyaml where PyYAML has it.

Every worker and CLI call reads the whole program at start-up; the pure-Python parser spent
about half a second of that on 40 small files, libyaml a tenth of it. Both give the same data
and raise the same yaml.YAMLError subclasses (their messages differ in wording only).
"""

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader (C or Python)
