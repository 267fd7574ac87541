"""SMS senders: a provider's HTTP API (Twilio's Messages resource) and console/file for development."""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from flask import current_app

from p4p.messaging.senders import Message, SendError


class HttpSmsSender:
    """POSTs to {api_url}/2010-04-01/Accounts/{sid}/Messages.json with basic auth, as Twilio expects.

    The base URL is configurable so the tests can point it at a local HTTP server.
    """

    def __init__(
        self, api_url: str, account_sid: str, auth_token: str, sender: str, timeout: int = 10
    ):
        self.api_url, self.account_sid, self.auth_token = (
            api_url.rstrip("/"),
            account_sid,
            auth_token,
        )
        self.sender, self.timeout = sender, timeout

    def send(self, message: Message) -> str:
        url = f"{self.api_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        body = urllib.parse.urlencode(
            {"To": message.to, "From": self.sender, "Body": message.text}
        ).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            url,
            data=body,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured https URL
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise SendError(
                f"SMS provider answered {error.code}: {error.read()[:300]!r}"
            ) from error
        except (OSError, ValueError) as error:
            raise SendError(f"SMS provider unreachable: {error}") from error
        return str(answer.get("sid", "sms"))


class ConsoleSmsSender:
    def send(self, message: Message) -> str:
        current_app.logger.warning("SMS to=%s %s", message.to, message.text)
        return "console"


class FileSmsSender:
    def __init__(self, directory: Path):
        self.directory = directory

    def send(self, message: Message) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / "sms.log").open("a", encoding="utf-8") as log:
            log.write(f"{message.to}\t{message.text}\n")
        return "file"


def get_sms_sender():
    config = current_app.config
    backend = config["SMS_BACKEND"]
    if backend == "http":
        return HttpSmsSender(
            config["SMS_API_URL"],
            config["SMS_ACCOUNT_SID"] or "",
            config["SMS_AUTH_TOKEN"] or "",
            config["SMS_FROM"] or "",
            int(config["SMTP_TIMEOUT"]),
        )
    if backend == "file":
        return FileSmsSender(
            Path(config["MAIL_FILE_DIR"] or Path(current_app.instance_path) / "outbox")
        )
    return ConsoleSmsSender()
