"""Accounts and their single-use links (invite, password reset)."""

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from p4p.db import Base, stored_enum


class Role(StrEnum):
    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.FACILITATOR, Role.COORDINATOR, Role.ADMIN})


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(stored_enum(Role, "role", 20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Indexed: logins, resets and STOP replies look people up by their phone.
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Changing the nonce ends every session of this user (logout, deactivation, new password).
    session_nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    tokens: Mapped[list["AuthToken"]] = relationship(back_populates="user")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self) -> bool:
        return self.active


class TokenPurpose(StrEnum):
    INVITE = "invite"
    RESET = "reset"


class AuthToken(Base):
    """A link sent by email; only its SHA-256 is stored, so a database leak opens no account."""

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(stored_enum(TokenPurpose, "purpose", 10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class ContactField(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


class ContactChange(Base):
    """A person's request to change their own email or phone, waiting for them to confirm it
    from the new address (p4p.modules.auth.contact). The code or link is rebuilt from the salt
    under SECRET_KEY when it is sent; only its hash is kept for checking."""

    __tablename__ = "contact_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(stored_enum(ContactField, "field", 8))
    new_value: Mapped[str] = mapped_column(String(254))
    salt: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # Set when it is confirmed, replaced by a newer request, or out of tries: it is over.
    ended_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
