"""SMS senders: a provider's HTTP API (Twilio's Messages resource) and console/file for development."""

import base64
import hashlib
import hmac
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


def provider_signature(auth_token: str, url: str, params) -> str:
    """What Twilio sends as X-Twilio-Signature: base64 of HMAC-SHA1, keyed with the auth token, of
    the full URL it posted to, then each POST parameter's name and value, names in sorted order
    (a name given twice: each of its values, sorted)."""
    payload = url + "".join(
        name + value for name in sorted(set(params)) for value in sorted(set(params.getlist(name)))
    )
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _port_variants(url: str) -> set[str]:
    """The URL as given, without its port, and with the scheme's default one: Twilio signs the
    URL as configured, and its own validators accept either."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    default = {"https": 443, "http": 80}.get(parts.scheme)
    with_port = parts._replace(netloc=f"{host}:{parts.port or default}").geturl()
    return {url, parts._replace(netloc=host).geturl(), with_port}


def signed_by_provider(auth_token: str | None, url: str, params, signature: str | None) -> bool:
    if not auth_token or not signature:
        return False
    return any(
        hmac.compare_digest(provider_signature(auth_token, candidate, params), signature)
        for candidate in _port_variants(url)
    )
