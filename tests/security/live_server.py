"""The app served over real sockets by a threaded WSGI server, for attacks that need two
requests truly at once (the test client runs one request at a time)."""

import http.client
import threading
from urllib.parse import urlencode

from werkzeug.serving import make_server


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.thread.join(timeout=10)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        """(status, Location) of one POST on a connection of its own."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            body = urlencode(data)
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, response.getheader("Location", "")
        finally:
            connection.close()
