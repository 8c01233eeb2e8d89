"""What makes a username and a password acceptable: one normal form per name, no weak passwords.

Every path that names a user (login, the API, the CLI) goes through ``canonical_username``,
and every path that sets a password (the API, the CLI, the bootstrap admin) through
``password_problem``.
"""

from __future__ import annotations

import threading
import unicodedata

import zxcvbn

# zxcvbn's ratings run 0 to 4; 3 means "safely unguessable: moderate protection from an
# offline slow-hash attack" (about 10^10 guesses), what its authors advise for accounts.
MIN_PASSWORD_SCORE = 3
# zxcvbn refuses longer input (and its matching grows quadratically): a longer password is
# rated on its first 72 characters, which must be strong on their own.
RATED_CHARACTERS = 72
WEAK_PASSWORD = "is too easy to guess"

# zxcvbn keeps the user inputs of the current call in a module-level dictionary: two threads
# rating at once would each be checked against the other's username.
_zxcvbn_lock = threading.Lock()


def canonical_username(name: str) -> str:
    """The one form a username is stored and compared in: NFKC, then case-folded.

    ``ADMIN``, ``Admin`` and the full-width ``ADMIN`` are all ``admin``: one account, one
    lockout counter, and no look-alike second account.
    """
    return unicodedata.normalize("NFKC", name).casefold()


def password_problem(password: str, username: str) -> str | None:
    """Why ``password`` is refused for ``username`` (plain words, never the password), or None.

    The length is checked by the request schema; this checks what a length cannot tell.
    """
    if not password.strip():
        return "must not be only whitespace"
    if canonical_username(password.strip()) == canonical_username(username):
        return "must not be the username"
    with _zxcvbn_lock:
        rating = zxcvbn.zxcvbn(password[:RATED_CHARACTERS], user_inputs=[username])
    if rating["score"] >= MIN_PASSWORD_SCORE:
        return None
    # The feedback is zxcvbn's fixed sentences (it never quotes the password).
    feedback = rating["feedback"]
    advice = " ".join(s for s in [feedback["warning"], *feedback["suggestions"]] if s)
    return f"{WEAK_PASSWORD}: {advice}" if advice else WEAK_PASSWORD
