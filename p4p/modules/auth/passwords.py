"""Password hashing (argon2id at OWASP's parameters) and the rules for a new password."""

from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

# OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane. The tests' config sets
# cheap ones (a hash there takes microseconds instead of tens of milliseconds); a stored hash
# carries its own parameters, so it verifies whatever the settings of the app reading it.
HASH_SETTINGS = {
    "PASSWORD_HASH_TIME_COST": 2,
    "PASSWORD_HASH_MEMORY_KIB": 19 * 1024,
    "PASSWORD_HASH_PARALLELISM": 1,
}
_EXTENSION = "p4p.password_hashing"


class _Hashing(NamedTuple):
    hasher: PasswordHasher
    # Verified against when no account matches, so a wrong email costs as long as a wrong
    # password: made with the same parameters, at the same moment as the hasher.
    dummy_hash: str


def _hashing() -> _Hashing:
    """This app's hasher, made from its config on first use."""
    extensions = current_app.extensions
    if _EXTENSION not in extensions:
        setting = {key: current_app.config.get(key, value) for key, value in HASH_SETTINGS.items()}
        hasher = PasswordHasher(
            time_cost=setting["PASSWORD_HASH_TIME_COST"],
            memory_cost=setting["PASSWORD_HASH_MEMORY_KIB"],
            parallelism=setting["PASSWORD_HASH_PARALLELISM"],
        )
        extensions[_EXTENSION] = _Hashing(hasher, hasher.hash("not-a-real-password-for-timing"))
    return extensions[_EXTENSION]


MIN_LENGTH = 8
MAX_LENGTH = 128

# Passwords that top every published list of leaked passwords, and words an
# attacker tries first here. Kept short on purpose; length does the rest.
COMMON_PASSWORDS = frozenset(
    [
        "password",
        "password1",
        "password12",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "12345678",
        "123456789",
        "1234567890",
        "11111111",
        "00000000",
        "12341234",
        "87654321",
        "123123123",
        "1q2w3e4r",
        "1qaz2wsx",
        "qwertyui",
        "qwerty123",
        "qwertyuiop",
        "asdfghjk",
        "asdfasdf",
        "zxcvbnm1",
        "iloveyou",
        "iloveyou1",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "superman",
        "batman123",
        "trustno1",
        "letmein1",
        "welcome1",
        "welcome123",
        "abc12345",
        "abcd1234",
        "aa123456",
        "monkey123",
        "dragon123",
        "starwars",
        "whatever",
        "computer",
        "internet",
        "michael1",
        "jennifer",
        "jordan23",
        "charlie1",
        "freedom1",
        "shadow12",
        "master12",
        "mustang1",
        "access14",
        "babygirl",
        "lovely123",
        "chocolate",
        "butterfly",
        "changeme",
        "changeme1",
        "default1",
        "secret123",
        "summer2024",
        "summer2025",
        "summer2026",
        "winter2025",
        "winter2026",
        "spring2026",
        "autumn2026",
        "qazwsxedc",
        "partners4pain",
        "partners",
        "keystowellbeing",
        "wellbeing",
        "backpain",
        "neckpain",
        "chronicpain",
        "demo-pass-2026",
        "contraseña",
        "contrasena",
        "contrasena1",
        "teamo123",
        "amorcito",
    ]
)


def hash_password(password: str) -> str:
    return _hashing().hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher, dummy_hash = _hashing()
    try:
        return hasher.verify(password_hash or dummy_hash, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Why a new password is refused, in words a participant understands (empty when fine)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.lower()
    local_part = (email or "").split("@")[0].lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        problems.append(
            _l("This password is too easy to guess. Try a few words you will remember.")
        )
    elif len(local_part) >= 4 and local_part in lowered:
        problems.append(_l("Do not use your email address in your password."))
    return problems
