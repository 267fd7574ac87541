"""The app served over real sockets by a threaded WSGI server, for attacks that need two
requests truly at once (the test client runs one request at a time)."""

import http.client
from urllib.parse import urlencode

import browser


class LiveServer(browser.LiveServer):
    """The browser tests' server, with a plain POST of its own."""

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
