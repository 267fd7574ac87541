"""Rendered pages kept in memory, keyed by everything they show.

A view passes the exact data it renders (rows, sums, the local date...) as the key; the cache
adds who is asking, in which session, language and URL. New data makes a new key, so nothing
is ever invalidated and nothing stale can be served: an entry is only reused for a request that
would render the same page. The session's CSRF secret is part of the key, so the tokens in a
kept page's forms are that session's own; they stay valid because tokens do not expire on
their own here (WTF_CSRF_TIME_LIMIT is None: the session's timeouts bound them), and the cache
is off if that setting changes. A request with flashed messages is rendered afresh, uncached.

Each process keeps its own cache, bounded by PAGE_CACHE_SIZE pages (0 turns it off), least
recently used out first. Pages hold personal data: memory only, never disk.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from p4p.i18n import select_locale

EXTENSION = "p4p.page_cache"
# The session key under which Flask-WTF keeps the session's CSRF secret (WTF_CSRF_FIELD_NAME).
CSRF_SECRET = "csrf_token"  # noqa: S105 - a key name, not a secret


class PageCache:
    def __init__(self, max_pages: int):
        self.max_pages = max_pages
        self.hits = self.misses = 0
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()  # the dev server and threaded workers share one cache

    def render(self, key: Hashable, template: str, context: Callable[[], dict]) -> str:
        """The page for `key`, from the cache or rendered now with `context()`."""
        if self.max_pages <= 0 or "_flashes" in session:
            return render_template(template, **context())
        if CSRF_SECRET not in session:
            generate_csrf()  # a first page: make the session's secret before it joins the key
        key = (
            current_user.get_id(),
            session[CSRF_SECRET],
            select_locale(),  # what Flask-Babel's get_locale parses, without its file check
            request.full_path,
            key,
        )
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                self.hits += 1
                return page
        page = render_template(template, **context())
        with self._lock:
            self.misses += 1
            self._pages[key] = page
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        return page


def init_app(app) -> None:
    tokens_last_the_session = app.config.get("WTF_CSRF_TIME_LIMIT") is None
    field_is_known = app.config.get("WTF_CSRF_FIELD_NAME", CSRF_SECRET) == CSRF_SECRET
    size = app.config["PAGE_CACHE_SIZE"] if tokens_last_the_session and field_is_known else 0
    app.extensions[EXTENSION] = PageCache(size)


def cached_page(key: Hashable, template: str, context: Callable[[], dict]) -> str:
    return current_app.extensions[EXTENSION].render(key, template, context)
