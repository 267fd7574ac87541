"""axe-core in real Chromium: the WCAG 2.2 A/AA rules, failing on serious or critical findings."""

import json
from pathlib import Path

AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_source() -> str:
    if not AXE.exists():
        raise RuntimeError(
            "axe-core is missing: run `make install-test` (npm ci --prefix tests/js)"
        )
    return AXE.read_text(encoding="utf-8")


def serious_violations(page) -> list[dict]:
    """Inject axe (the context bypasses CSP only for this) and return serious/critical violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=1)
