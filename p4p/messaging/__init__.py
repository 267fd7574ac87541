"""One sender interface for every channel; the backend is chosen by configuration."""

from p4p.messaging.senders import (
    ConsoleSender,
    FileSender,
    Message,
    Sender,
    SendError,
    SmtpSender,
    get_sender,
)

__all__ = [
    "ConsoleSender",
    "FileSender",
    "Message",
    "SendError",
    "Sender",
    "SmtpSender",
    "get_sender",
]
