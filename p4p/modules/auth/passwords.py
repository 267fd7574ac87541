"""Password hashing (argon2id at OWASP's parameters) and the rules for a new password."""

import functools
import re
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

# Words an attacker tries first here, and their Spanish and season kin, which the leaked
# passwords list (English, from breaches) lacks. The big list is zxcvbn's, below.
OWN_WORDS = frozenset(
    [
        "partners4pain",
        "partners",
        "keystowellbeing",
        "wellbeing",
        "backpain",
        "neckpain",
        "chronicpain",
        "demo-pass-2026",
        "p4p",
        "contraseña",
        "contrasena",
        "teamo",
        "amorcito",
        "autumn",
        "fall",
        "verano",
        "invierno",
        "primavera",
        "otoño",
        "otono",
    ]
)
# A common word with at most this many digits or symbols around it is still that word to a
# cracker ("Password1!", "welcome2026", "!!qwerty12"): they try every list word so decorated.
DECORATION_MAX = 6
_DECORATION = re.compile(r"^[\d\W_]*(.*?)[\d\W_]*$", re.DOTALL)
_UNLEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "3": "e", "$": "s", "5": "s"})


@functools.cache
def leaked_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of published breaches, shipped with zxcvbn: loaded on
    the first password set (about 25 ms), then kept for the process."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    """One of the leaked or own words, as it is or lightly decorated (digits, a year, symbols
    around it; l33t letters like p@ssw0rd)."""
    lowered = password.lower()
    decorated = _DECORATION.match(lowered)
    assert decorated is not None  # every part of the pattern may be empty: any text matches
    core = decorated.group(1)
    candidates = {lowered, lowered.translate(_UNLEET)}
    if len(lowered) - len(core) <= DECORATION_MAX:
        candidates |= {core, core.translate(_UNLEET)}
    words = leaked_passwords()
    return any(c in words or c in OWN_WORDS for c in candidates if c)


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
        return problems  # nothing longer is looked at
    lowered = password.lower()
    local_part = (email or "").split("@")[0].lower()
    if is_common_password(password):
        problems.append(
            _l(
                "This password is one of the most common ones, so it is among the first an "
                "attacker tries. Try a few words you will remember."
            )
        )
    elif len(set(lowered)) <= 2:
        problems.append(
            _l("This password is too easy to guess. Try a few words you will remember.")
        )
    elif len(local_part) >= 4 and local_part in lowered:
        problems.append(_l("Do not use your email address in your password."))
    return problems
