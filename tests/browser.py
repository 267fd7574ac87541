"""Real Chromium (Debian's package) driven by Playwright, against the app served on localhost."""

import contextlib
import os
import shutil
import threading
from pathlib import Path

from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    """The system Chromium; a missing browser fails the test run, it never skips it."""
    path = (
        os.environ.get("P4P_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        raise RuntimeError("Chromium is not installed: apt-get install chromium (see .ci/run)")
    return path


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.thread.join(5)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the viewport (0 means no sideways scrolling)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@contextlib.contextmanager
def open_page(app, width: int = 360, height: int = 740, *, bypass_csp: bool = False, **options):
    """A page in real Chromium against the app served on localhost; `page.base_url` is its address.

    bypass_csp is only for injecting axe-core: the app's pages carry no inline script.
    """
    from playwright.sync_api import sync_playwright

    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = browser.new_context(
            viewport={"width": width, "height": height}, bypass_csp=bypass_csp, **options
        )
        page = context.new_page()
        page.base_url = server.url
        try:
            yield page
        finally:
            browser.close()


def log_in(page, email: str, password: str) -> None:
    page.goto(page.base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
