"""The documented web server (gunicorn with p4p.gunicorn_conf) keeps participants' pages
answering while staff pull exports in a loop and slow clients hold connections open.

A real gunicorn on a free port serves the demo study from a SQLite file. Three threads
download exports back to back, six sockets send half a request and stall (what a phone on a
weak signal, or an attacker, does), and a participant loads their home page forty times.
With sync workers (the old documented command, `--workers 4`) the six stalled sockets hold
every worker and the participant waits for gunicorn's timeout; with threaded workers each
holds a thread.
"""

import http.client
import http.cookies
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

DEMO_PASSWORD = "demo-pass-2026"
SLOW_SOCKETS = 6
EXPORT_THREADS = 3
PARTICIPANT_REQUESTS = 40


def free_port_number() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("served")
    env = {
        **os.environ,
        "P4P_DEMO": "1",
        "P4P_INSTANCE_PATH": str(folder),
        "P4P_DATABASE_URL": f"sqlite:///{folder / 'p4p.sqlite3'}",
        "P4P_LOG_LEVEL": "WARNING",
        # The per-person export limit would refuse a loop; here the loop is the load.
        "P4P_EXPORT_RATE_LIMIT": "1000 per minute",
    }
    env.pop("P4P_TEST_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "p4p"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, env=env, check=True, capture_output=True)  # noqa: S603
    port = free_port_number()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "python:p4p.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "p4p:create_app()"],
        env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_until_answering(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_answering(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _get(port, "/healthz", {})[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start")


def _get(port: int, path: str, cookies, timeout: float = 30, form: dict | None = None):
    """GET `path`, or POST `form` to it; keeps the cookies the answer sets."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Cookie": "; ".join(f"{k}={v.value}" for k, v in cookies.items())}
        if form is None:
            connection.request("GET", path, headers=headers)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(form)
            connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        body = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        return response.status, body
    finally:
        connection.close()


def _csrf_token(page: bytes) -> str:
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()


def _log_in(port: int, email: str) -> http.cookies.SimpleCookie:
    cookies = http.cookies.SimpleCookie()
    _status, page = _get(port, "/login", cookies)
    form = {"csrf_token": _csrf_token(page), "email": email, "password": DEMO_PASSWORD}
    status, _body = _get(port, "/login", cookies, form=form)
    assert status == 302, f"could not log in as {email}"
    return cookies


def _stalled_socket(port: int) -> socket.socket:
    stalled = socket.create_connection(("127.0.0.1", port))
    stalled.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow")
    return stalled


def test_participant_pages_answer_while_exports_run_and_slow_clients_stall(served_demo):
    port = served_demo
    participant = _log_in(port, "participant.p4p@example.org")
    coordinator = _log_in(port, "coordinator@example.org")
    _status, page = _get(port, "/reports/exports", coordinator)
    export = {"csrf_token": _csrf_token(page), "format": "long"}
    coordinator_cookies = coordinator.output(attrs=[], header="", sep=";")
    stop = threading.Event()
    exports_done, export_failures = [0], []

    def pull_exports():
        cookies = http.cookies.SimpleCookie(coordinator_cookies)  # its own: answers update it
        while not stop.is_set():
            try:
                status, body = _get(port, "/reports/attendance.csv", cookies, 10, form=export)
            except TimeoutError:
                status, body = "no answer in 10 s", b""
            if status != 200 or not body.startswith(b"study_id"):
                export_failures.append(status)
            exports_done[0] += 1

    stalled = [_stalled_socket(port) for _ in range(SLOW_SOCKETS)]
    pullers = [threading.Thread(target=pull_exports) for _ in range(EXPORT_THREADS)]
    for puller in pullers:
        puller.start()
    try:
        deadline = time.monotonic() + 30
        while exports_done[0] < EXPORT_THREADS and time.monotonic() < deadline:
            time.sleep(0.05)  # until the pullers are into their loop
        seconds, statuses = [], []
        for _ in range(PARTICIPANT_REQUESTS):
            started = time.perf_counter()
            try:
                status, _body = _get(port, "/home", participant, timeout=10)
            except TimeoutError:
                statuses.append("no answer in 10 s")
                break
            seconds.append(time.perf_counter() - started)
            statuses.append(status)
    finally:
        stop.set()
        for puller in pullers:
            puller.join(timeout=60)
        for socket_ in stalled:
            socket_.close()

    assert statuses == [200] * PARTICIPANT_REQUESTS
    assert export_failures == [] and exports_done[0] >= EXPORT_THREADS
    p95 = statistics.quantiles(seconds, n=20)[-1]
    assert p95 < 1.0, f"participant home page p95 {p95:.3f} s with {exports_done[0]} exports"
