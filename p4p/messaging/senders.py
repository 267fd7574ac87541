"""Email senders: SMTP for real use, console and file for development."""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

from flask import current_app


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str | None = None


class SendError(Exception):
    """A message could not be handed over; the caller decides whether to retry."""


class Sender(Protocol):
    def send(self, message: Message) -> str:
        """Hand the message over; return an id for the record. Raise SendError on failure."""


def _as_email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    # The sender's own domain: participants can read the headers, so no app or arm name.
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or "localhost")
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email


class SmtpSender:
    def __init__(self, host, port, sender, user=None, password=None, starttls=False, timeout=10):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def send(self, message: Message) -> str:
        email = _as_email(message, self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            raise SendError(f"{type(error).__name__}: {error}") from error
        return email["Message-ID"]


class ConsoleSender:
    """Prints messages to the log: the development default, so no mail leaves by accident."""

    def send(self, message: Message) -> str:
        current_app.logger.warning(
            "EMAIL to=%s subject=%s\n%s", message.to, message.subject, message.text
        )
        return "console"


class FileSender:
    """Writes each message as an .eml file, for demos without a mail server."""

    def __init__(self, directory: Path, sender: str):
        self.directory, self.sender = directory, sender

    def send(self, message: Message) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        email = _as_email(message, self.sender)
        name = email["Message-ID"].strip("<>").replace("@", "_")
        (self.directory / f"{name}.eml").write_bytes(bytes(email))
        return email["Message-ID"]


def get_sender() -> Sender:
    config = current_app.config
    backend = config["MAIL_BACKEND"]
    if backend == "smtp":
        return SmtpSender(
            config["SMTP_HOST"],
            int(config["SMTP_PORT"]),
            config["MAIL_FROM"],
            config["SMTP_USER"],
            config["SMTP_PASSWORD"],
            config["SMTP_STARTTLS"],
            int(config["SMTP_TIMEOUT"]),
        )
    if backend == "file":
        directory = config["MAIL_FILE_DIR"] or Path(current_app.instance_path) / "outbox"
        return FileSender(Path(directory), config["MAIL_FROM"])
    return ConsoleSender()
