"""Rendered pages kept in memory, reused while what they show is unchanged.

A view names its page with a key that moves whenever the page's data changes (the participant
home page uses `User.home_version`, which every write to its inputs raises; see
participants/changes.py), and says until when the clock alone leaves the page unchanged. The
cache adds to the key who is asking, in which session, language and URL, so a kept page is
only ever reused for a request that would render the very same page.

The session's CSRF secret is part of the key, so the tokens in a kept page's forms are that
session's own; they stay valid because tokens do not expire on their own here
(WTF_CSRF_TIME_LIMIT is None: the session's timeouts bound them), and the cache is off if that
setting changes. A request with flashed messages is rendered afresh and not kept.

Each process keeps its own pages, at most PAGE_CACHE_SIZE of them (0 turns the cache off),
least recently used out first. They hold personal data: memory only, never disk.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime

from flask import current_app, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from p4p.i18n import select_locale

EXTENSION = "p4p.page_cache"
CSRF_SECRET = "csrf_token"  # noqa: S105 - the session key of Flask-WTF's CSRF secret

# What a view gives to render its page: the template context, and the first moment the clock
# alone would change the page.
Build = Callable[[], tuple[dict, datetime]]


class PageCache:
    def __init__(self, max_pages: int):
        self.max_pages = max_pages
        self.hits = self.misses = 0
        self._pages: OrderedDict[Hashable, tuple[str, datetime]] = OrderedDict()
        self._lock = threading.Lock()  # the dev server and threaded workers share one cache

    def render(self, key: Hashable, template: str, build: Build, now: datetime) -> str:
        """The page for `key`, kept from before if still current, else rendered by `build`."""
        if self.max_pages <= 0 or "_flashes" in session:
            return render_template(template, **build()[0])
        if CSRF_SECRET not in session:
            generate_csrf()  # a first page: make the session's secret before it joins the key
        key = (current_user.get_id(), session[CSRF_SECRET], select_locale(), request.full_path, key)
        with self._lock:
            kept = self._pages.get(key)
            if kept is not None and now < kept[1]:
                self._pages.move_to_end(key)
                self.hits += 1
                return kept[0]
        context, unchanged_until = build()
        page = render_template(template, **context)
        with self._lock:
            self.misses += 1
            self._pages[key] = (page, unchanged_until)
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        return page

    def clear(self) -> None:
        """Forget every kept page (the benchmark times the page as rendered, too)."""
        with self._lock:
            self._pages.clear()


def init_app(app) -> None:
    tokens_last_the_session = app.config.get("WTF_CSRF_TIME_LIMIT") is None
    field_is_known = app.config.get("WTF_CSRF_FIELD_NAME", CSRF_SECRET) == CSRF_SECRET
    size = app.config["PAGE_CACHE_SIZE"] if tokens_last_the_session and field_is_known else 0
    app.extensions[EXTENSION] = PageCache(size)


def cached_page(key: Hashable, template: str, build: Build, now: datetime) -> str:
    return current_app.extensions[EXTENSION].render(key, template, build, now)
