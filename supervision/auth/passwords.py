"""The password policy (SPEC §4), said once for every way a password is set: the change
page, an administrator's page, `users create` and `users password`.

A password has at least MIN_PASSWORD_LENGTH characters, is not among common passwords and
is not the username. (That it differs from the current password needs the stored hash and
is checked by the services.)

The common passwords are the list the zxcvbn package ships (30,000 passwords from public
leaks, MIT licence, maintained on PyPI), plus common_passwords.txt beside this module for
the Chinese ones that list misses (its source is named at its top). Both are compared in
lower case, so "QWERTYUIOP" is as common as "qwertyuiop".
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask_babel import gettext as _

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
_SUPPLEMENT = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords, in lower case (read once per process)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    words = {w.lower() for w in FREQUENCY_LISTS["passwords"]}
    for line in _SUPPLEMENT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(line.lower())
    return frozenset(words)


def is_common(password: str) -> bool:
    """Whether `password` is among the common passwords (case ignored)."""
    return password.lower() in common_passwords()


def policy_errors(password: str | None, username: str | None = None) -> list[str]:
    """Why `password` may not be used (empty when it may), in the reader's language."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [_("Password must have at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [_("The password may have at most %(n)s characters.", n=MAX_PASSWORD_LENGTH)]
    errors = []
    if username and password.strip().lower() == username.strip().lower():
        errors.append(_("The password may not be the username."))
    if is_common(password) or is_common(password.strip()):
        errors.append(_("This is a common password, easily guessed; choose another."))
    return errors
