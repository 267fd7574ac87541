"""Requests per second of two routes served by one gunicorn on the loopback interface.

A few client threads send plain HTTP/1.1 requests (a new connection each: gunicorn's sync
workers close it) for a bounded time and a bounded number of requests. The client runs on
the same machine as the server, so both routes pay the same client cost.
"""

import http.client
import http.cookies
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(env: dict, options: list[str], log_path: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn on 127.0.0.1 and a free port, serving bench/wsgi.py; waits until it answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", *options,
        "--bind", f"127.0.0.1:{port}", "--chdir", str(BENCH_DIR),
        "--error-logfile", str(log_path), "wsgi:create_bench_app()",
    ]  # fmt: skip
    server = subprocess.Popen(command, env={**os.environ, **env})  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _ = request(port, "/healthz", {})
            if status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"gunicorn did not start; see {log_path}")


def stop(server: subprocess.Popen) -> None:
    """End the gunicorn this run started (its own pid), and wait for it."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def request(
    port: int, path: str, headers: dict, timeout: float = 30, form: str | None = None
) -> tuple[int, int]:
    """GET `path`, or POST the url-encoded `form` to it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if form is None:
            connection.request("GET", path, headers=headers)
        else:
            form_headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
            connection.request("POST", path, body=form, headers=form_headers)
        response = connection.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        connection.close()


def log_in(port: int, email: str, password: str) -> str:
    """Log in as a browser would, against the server under test: POST the form, follow the
    redirect, keep whatever cookie each answer sets, and return the session cookie.

    The session is made by the same server and client that then load the page. A cookie made
    elsewhere fails Flask-Login's client check, and one without the CSRF secret the first page
    stores would be re-signed on every request: costs a real visitor pays once, not each time.
    """
    form = urllib.parse.urlencode({"email": email, "password": password})
    cookies = http.cookies.SimpleCookie()
    status, location = _exchange(port, "POST", "/login", cookies, form)
    if status != 302 or "session" not in cookies:
        raise RuntimeError(f"could not log in as {email} ({status})")
    for _hop in range(5):  # the login answer redirects to "/", which sends a person home
        status, location = _exchange(port, "GET", urllib.parse.urlsplit(location).path, cookies)
        if status != 302:
            break
    if status != 200:
        raise RuntimeError(f"the page after login answered {status}")
    return cookies["session"].value


def _exchange(port: int, method: str, path: str, cookies, form: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
        if "session" in cookies:
            headers["Cookie"] = f"session={cookies['session'].value}"
        connection.request(method, path, body=form, headers=headers)
        response = connection.getresponse()
        response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        return response.status, response.headers.get("Location", "")
    finally:
        connection.close()


def requests_per_second(
    port: int, path: str, headers: dict, *, threads: int, seconds: float, limit: int
) -> dict:
    """Hit `path` from `threads` threads until `seconds` pass or `limit` requests are done."""
    for _ in range(20):  # warm up every worker
        request(port, path, headers)
    done, failed, lock = [0], [0], threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        while time.monotonic() < deadline:
            with lock:
                if done[0] + failed[0] >= limit:
                    return
            status, _size = request(port, path, headers)
            with lock:
                if status == 200:
                    done[0] += 1
                else:
                    failed[0] += 1

    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    return {"seconds": round(elapsed, 3), "requests": done[0], "failed": failed[0],
            "requests_per_second": round(done[0] / elapsed, 1)}  # fmt: skip


def seconds_while_loaded(
    port: int, path: str, headers: dict, load: list[tuple[str, dict]], *, requests: int
) -> dict:
    """Time `requests` loads of `path`, one after another, while one thread a `load` entry
    (path, headers, posted form) requests it back to back; the load's answers are read to
    their end."""
    stop, loaded = threading.Event(), [0]

    def load_loop(load_path: str, load_headers: dict, form: str):
        while not stop.is_set():
            request(port, load_path, load_headers, timeout=120, form=form)
            loaded[0] += 1

    threads = [threading.Thread(target=load_loop, args=entry) for entry in load]
    for thread in threads:
        thread.start()
    seconds, failed = [], 0
    try:
        time.sleep(1)  # every loader has a request under way
        for _ in range(requests):
            started = time.perf_counter()
            status, _size = request(port, path, headers)
            seconds.append(time.perf_counter() - started)
            failed += status != 200
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return {"seconds": seconds, "failed": failed, "load_requests": loaded[0]}
