"""One masking policy for secrets: log lines, audit records and stored OpenLineage events.

A value is secret when

- the *name* it is stored under says so (``is_secret_name``): the name holds ``password``,
  ``passwd``, ``passphrase``, ``pwd``, ``secret``, ``token`` or ``credential``, or ``pass``
  as a word of its own (``DB_PASS``, ``smtp.pass``, ``dbPass``; not ``passenger``, ``bypass``
  or ``compass``), or names a
  key: a qualifier then ``key`` (``api_key``, ``accessKey``, ``account.key``, ``ssh-key``...)
  or ``key`` as a later part of a dotted property name (``fs.azure.account.key.<account>``).
  A bare ``key`` names nothing secret: it is the name field of ``{"key": "team", "value":
  "sales"}`` (tags, properties), whose ``value`` is secret only when the name it carries is;
- or a part of a text looks like one (``scrub``): a URL's password (``scheme://user:pw@``,
  the password may hold ``/``), Oracle's ``jdbc:oracle:thin:user/pw@``, ``Bearer`` and
  ``Basic`` credentials, JWTs, DLV API tokens, PEM private keys, ``name=value``,
  ``name: value`` and SQL's ``name 'value'`` under a secret name (``PASSWORD '...'``,
  ``SECRET_ACCESS_KEY '...'``), SQL's ``IDENTIFIED BY ...`` and ``CREDENTIALS '...'``, and a
  signed URL's signature.

Every check starts with ``_families``: one pass of an Aho-Corasick automaton (SIMD) over the
lowered text for the words that any of the above needs, 1-3 µs for a 3-7 KB event. A text
without them (the usual OpenLineage event, the usual log line) is left as it is, so the
policy costs next to nothing where there is nothing to mask; a text with some is looked at
only where they are (see ``_STEPS``).
"""

from __future__ import annotations

import enum
import re
import string
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import ahocorasick_rs
from pydantic import SecretStr

MASK = "***"
# Too short to replace by value without mangling ordinary words.
MIN_KNOWN_SECRET = 8

_WORDS = "password|passwd|passphrase|pwd|secret|token|credential"
# What makes "key" a secret's name when it comes before it (api_key, accessKey, account.key).
_QUALIFIERS = "api|access|private|account|master|encryption|signing|ssh|sas|shared|storage|client"
# Applied to a lowered name.
_SECRET_NAME = re.compile(rf"{_WORDS}|(?:{_QUALIFIERS})[._ -]?key|\.key(?:\.|$)")
# "pass" names a secret only as a word of its own: between non-alphanumerics, or a camelCase
# hump (dbPass). Applied to the name as it is.
_PASS_WORD = re.compile(
    r"(?:(?<![A-Za-z0-9])|(?<=[a-z])(?=P))(?i:pass)(?:(?![A-Za-z0-9])|(?<=s)(?=[A-Z]))"
)
_SQL_QUOTED = r"'(?:[^'\\]|''|\\.)*'"

# Which steps a text needs is told by the words found in it (``_families``): a text takes
# only those. Each step looks only where its anchor (lowered) is, with an anchored match:
# its time grows with the anchors found, not with the text (an ingest client chooses the
# text: a regular expression searched through it, case-insensitive or able to backtrack,
# took up to seconds for a few MB), and the runs it takes are bounded or never given back.
URL, BEARER, BASIC, JWT, DLV, PEM, IDENTIFIED, CREDENTIALS, NAME, SIGNATURE = (
    1 << i for i in range(10)
)
ALL = (1 << 10) - 1
_Replacement = str | Callable[[re.Match[str]], str]


@dataclass(frozen=True)
class _Step:
    family: int
    anchor: str  # lowered; the match starts this many characters before it: ``backs``
    backs: tuple[int, ...]
    pattern: re.Pattern[str]
    replacement: _Replacement


# A password in a URL's user info: up to the last "@" that another "@" does not follow
# before a space or quote (the host's "@"); possessive, so nothing is given back.
_PASSWORD = r"""(?:[^\s@"']|@(?=[^\s@"']{0,256}+@)){1,256}+(?=@)"""


def _identified(m: re.Match[str]) -> str:
    value = m["value"]
    return m["pre"] + (value[0] + MASK + value[0] if value[0] in "'\"" else MASK)


_STEPS = [
    # scheme://user:password@host -> scheme://user:***@host (a password may hold "/", and
    # an unencoded "@" too: it runs to the last "@" before the host)
    _Step(
        URL,
        "://",
        (0,),
        re.compile(rf"(?P<pre>://(?<=[a-zA-Z0-9+.-]://)[^\s:/@\"']{{0,256}}:){_PASSWORD}"),
        r"\g<pre>***",
    ),
    # jdbc:oracle:thin:user/password@//host:1521/service
    _Step(
        URL,
        "jdbc:oracle:",
        (0,),
        re.compile(rf"(?i)(?P<pre>\bjdbc:oracle:\w{{1,16}}+:[^\s/@:\"']{{0,256}}+/){_PASSWORD}"),
        r"\g<pre>***",
    ),
    _Step(
        BEARER,
        "bearer",
        (0,),
        re.compile(r"(?i)\b(?P<scheme>bearer)\s++[A-Za-z0-9._~+/=-]++"),
        r"\g<scheme> ***",
    ),
    # Basic + base64 with something besides lower case after its first character: "Basic
    # dXNlcjpwYXNz", not "Basic reporting" in a description.
    _Step(
        BASIC,
        "basic",
        (0,),
        re.compile(
            r"\b(?P<scheme>(?i:basic))\s++(?=[A-Za-z0-9+/][a-z]*+[A-Z0-9+/=])[A-Za-z0-9+/]{4,}+=*"
        ),
        r"\g<scheme> ***",
    ),
    # JWTs (login tokens) wherever they appear, with or without "Bearer".
    _Step(
        JWT,
        "eyj",
        (0,),
        re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]*+"),
        MASK,
    ),
    # API tokens: dlv_ + 43 url-safe characters. The 10-character prefix DLV shows is not matched.
    _Step(DLV, "dlv_", (0,), re.compile(r"(?<![A-Za-z0-9_-])dlv_[A-Za-z0-9_-]{20,}+"), "dlv_***"),
    _Step(
        PEM,
        "-----begin ",
        (0,),
        re.compile(
            r"(?P<begin>-----BEGIN [A-Z ]{0,32}PRIVATE KEY-----)(?:(?!-----)[\s\S])*+"
            r"(?P<end>-----END [A-Z ]{0,32}PRIVATE KEY-----)"
        ),
        r"\g<begin>***\g<end>",
    ),
    # SQL: CREATE USER u IDENTIFIED BY 'pw' / BY pw / WITH plugin BY 'pw' / BY PASSWORD '...'
    _Step(
        IDENTIFIED,
        "identified",
        (0,),
        re.compile(
            r"(?i)(?P<pre>\bidentified\s++(?:with\s++\S{1,64}+\s++)?by\s++(?:password\s++)?)"
            rf"(?P<value>{_SQL_QUOTED}|\"(?:[^\"\\]|\"\"|\\.)*+\"|[^\s;,)'\"]++)"
        ),
        _identified,
    ),
    # SQL: COPY ... CREDENTIALS 'aws_access_key_id=...;aws_secret_access_key=...', and
    # Snowflake's CREDENTIALS = (AWS_KEY_ID = '...' AWS_SECRET_KEY = '...')
    _Step(
        CREDENTIALS,
        "credentials",
        (0,),
        re.compile(
            rf"(?i)(?P<pre>\bcredentials(?:\s*+=\s*+|\s++)){_SQL_QUOTED}"
            r"|(?P<paren>\bcredentials\s*+=?\s*+\()[^()]*+(?=\))"
        ),
        lambda m: m["pre"] + "'***'" if m["pre"] is not None else m["paren"] + MASK,
    ),
    # A signed URL's signature (Azure SAS, S3 and GCS presigned URLs).
    _Step(
        SIGNATURE,
        "sig",
        (1, 7, 8),
        re.compile(r"(?i)(?P<pre>[?&;](?:x-amz-|x-goog-)?sig(?:nature)?=)[^&\s\"'#;]++"),
        r"\g<pre>***",
    ),
]


def _step(text: str, low: str, step: _Step) -> str | None:
    """``text`` through one step (``low``: it lowered); None if its anchor is found too often
    (more than ``_MAX_MATCHES`` times)."""
    parts, last, count = [], 0, 0
    at = low.find(step.anchor)
    while at != -1:
        count += 1
        if count > _MAX_MATCHES:
            return None
        found = None
        for back in step.backs:
            if at - back >= last and (found := step.pattern.match(text, at - back)):
                break
        if found is None:
            at = low.find(step.anchor, at + 1)
            continue
        replacement = step.replacement
        parts += [
            text[last : found.start()],
            found.expand(replacement) if isinstance(replacement, str) else replacement(found),
        ]
        last = found.end()
        at = low.find(step.anchor, max(last, at + 1))
    return "".join([*parts, text[last:]]) if parts else text


# The value after a secret name in a text: name=x, ?token=x&..., "secret": "two words",
# name => 'x' (SQL's named arguments), name := x, and SQL's PASSWORD 'x' (a quoted literal
# after a space). Not a value masked already (token:***@host), nor the parenthesis of
# CREDENTIALS = (***).
_SEP = r"[\"']?\s*+(?:=>|:=|[:=])\s*+"
_VALUE = re.compile(
    rf"(?P<sep>{_SEP})(?:(?P<q>[\"'])(?:\\.|(?!(?P=q))[^\\])*+(?P=q)"
    rf"|(?!\*\*\*|\()[^\s\"'&,;)}}\]]++)|(?P<ws>\s++){_SQL_QUOTED}"
)
_NAME_CHARS = re.compile(r"[\w.-]*+")


def _name_end(text: str, pos: int) -> int:
    found = _NAME_CHARS.match(text, pos)
    return found.end() if found else pos


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

# The words that a secret name or a step needs, lowered, and the steps each one calls for.
# "key" needs a look at what comes before it (``_KEY_BEFORE``): a bare "key" is the name
# field of tags and properties.
_TRIGGERS: dict[str, int] = {
    **dict.fromkeys(_WORDS.split("|"), NAME),
    "credential": NAME | CREDENTIALS,
    "key": NAME | PEM,
    "pass": NAME,  # after password, passwd, passphrase: they win where they start
    "bearer": BEARER,
    "basic": BASIC,
    "eyj": JWT,
    "dlv_": DLV,
    "identified": IDENTIFIED,
    "sig=": SIGNATURE,
    "signature=": SIGNATURE,
}
_FAMILY = list(_TRIGGERS.values())
_KEY = list(_TRIGGERS).index("key")
# LEFTMOST_FIRST lets the automaton use its SIMD prefilter (10x faster here than STANDARD).
_AUTOMATON = ahocorasick_rs.BytesAhoCorasick(
    [t.encode() for t in _TRIGGERS], matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST
)
_KEY_BEFORE = re.compile(rf"(?:\.|(?:{_QUALIFIERS})[._ -]?)$".encode())
# Where a name's word is, in characters (the str automaton): the start of ``_mask_names``.
_NAME_WORDS = [*_WORDS.split("|"), "key", "pass"]
_NAME_AUTOMATON = ahocorasick_rs.AhoCorasick(
    _NAME_WORDS, matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_FIRST
)
_NAME_KEY, _NAME_PASS = _NAME_WORDS.index("key"), _NAME_WORDS.index("pass")
_QUALIFIED = tuple(q + sep for q in _QUALIFIERS.split("|") for sep in ("", ".", "_", "-"))
_WORD_CHAR = re.compile(r"[\w-]")
# The automaton lists every match: a text is searched in chunks (most events are one), so
# that one made of trigger words lists no more than a chunk's worth at a time. More "key"s
# than _MAX_KEYS without a qualifier before them: not worth a look at each, say maybe.
_CHUNK, _OVERLAP, _MAX_KEYS = 1 << 16, 16, 256
# A text with more anchors of one step (or names' words) than this is made of them: all of it
# is masked rather than each one looked at (the time it takes grows with their number).
_MAX_MATCHES = 4096
# A URL's password, in the text before an "@" (searching the whole text for "://" took 14 µs
# in an Airflow event, with its many URLs). More "@" than _MAX_ATS: say maybe.
_USERINFO = re.compile(r"://[^\s:/@\"']{0,256}+:[^\s@\"']{1,256}+$")
_USERINFO_SPAN, _MAX_ATS = 600, 64
# What hides letters from the automaton in JSON text: an escaped ASCII character or Kelvin
# sign (which lowers to "k"), an escaped slash (postgres:\/\/u:pw@db).
_ESCAPE = re.compile(r"\\u(?:00[2-7][0-9a-f]|212a)|\\/")


def _families(text: str) -> int:
    """The steps ``text`` may need (0: none, the usual text). Cheap: the automaton's pass
    over the lowered text and a few single-character searches."""
    low = text.lower()
    raw = low.encode("utf-8", "surrogatepass")  # a log line may hold a lone surrogate
    view, found, keys = memoryview(raw), 0, 0
    for offset in range(0, max(len(raw) - _OVERLAP, 1), _CHUNK):
        matches = _AUTOMATON.find_matches_as_indexes(view[offset : offset + _CHUNK + _OVERLAP])
        indexes = {index for index, _, _ in matches}
        for index in indexes:
            if index != _KEY:
                found |= _FAMILY[index]
        if _KEY not in indexes or _FAMILY[_KEY] & ~found == 0:
            continue
        for index, begin, _ in matches:
            if index == _KEY:
                start, keys = offset + begin, keys + 1
                if keys > _MAX_KEYS or _KEY_BEFORE.search(raw, max(0, start - 12), start):
                    found |= _FAMILY[_KEY]
                    break
    at, seen = low.find("@"), 0
    while at != -1 and not found & URL:  # a URL's or Oracle's password ends at an "@"
        seen += 1
        begin = low.rfind('"', max(0, at - _USERINFO_SPAN), at) + 1
        before = low[max(begin, at - _USERINFO_SPAN) : at]
        if seen > _MAX_ATS or _USERINFO.search(before) or "jdbc:oracle:" in before:
            found |= URL
        at = low.find("@", at + 1)
    if "\\" in text and _ESCAPE.search(low) is not None:
        found = ALL
    return found


def maybe_secret(text: str) -> bool:
    """False when nothing in ``text`` (plain or JSON) can be masked by this policy; a True
    may be a false alarm."""
    return _families(text) != 0


def _name_words(low: str) -> Iterator[tuple[int, int, int]]:
    for offset in range(0, max(len(low) - _OVERLAP, 1), _CHUNK):
        chunk = low[offset : offset + _CHUNK + _OVERLAP]
        for index, start, end in _NAME_AUTOMATON.find_matches_as_indexes(chunk):
            yield index, offset + start, offset + end


def _mask_names(text: str, low: str) -> str:
    """``text`` with the value after each secret name masked (``_VALUE``). Driven by where
    the automaton sees a name's word (in ``low``), each name and value looked at once."""
    parts, last, done = [], 0, 0
    for seen, (index, start, end) in enumerate(_name_words(low)):
        if seen == _MAX_MATCHES:
            return MASK
        if start < done:  # in a name or value already looked at
            continue
        # "key": after a qualifier, or as a whole part of a dotted name (not x.key_id)
        if (
            index == _NAME_KEY
            and not low.endswith(_QUALIFIED, max(0, start - 13), start)
            and (low[start - 1 : start] != "." or _WORD_CHAR.match(low, end))
        ):
            continue
        if index == _NAME_PASS and not _PASS_WORD.match(text, start):
            continue  # passenger, bypass, passed
        name_end = _name_end(low, end)
        done = name_end
        value = _VALUE.match(text, name_end)
        if value is None:
            continue
        if value["ws"] is not None:
            parts += [text[last : value.end("ws")], "'***'"]
        elif value["q"] is not None:
            parts += [text[last : value.end("sep")], value["q"], MASK, value["q"]]
        else:
            parts += [text[last : value.end("sep")], MASK]
        last = done = value.end()
    return "".join([*parts, text[last:]]) if parts else text


def is_secret_name(name: str) -> bool:
    """True for a name (a field, a property, a tag's key) whose value must never be shown."""
    # Names repeat (every event has the same fields): cached, but not a long one.
    return _is_secret_name(name) if len(name) <= 128 else _judge(name)


def _judge(name: str) -> bool:
    return _SECRET_NAME.search(name.lower()) is not None or _PASS_WORD.search(name) is not None


_is_secret_name = lru_cache(maxsize=4096)(_judge)


def scrub(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with every secret-looking part replaced by ``***`` (and each ``known``
    secret of at least ``MIN_KNOWN_SECRET`` characters, wherever it appears)."""
    for value in known:
        if len(value) >= MIN_KNOWN_SECRET:
            text = text.replace(value, MASK)
    found = _families(text)
    if not found:
        return text
    low = text.translate(_ASCII_LOWER)  # same length: the same positions as ``text``
    for step in _STEPS:
        if found & step.family:
            masked = _step(text, low, step)
            if masked is None:  # made of secrets: masked whole
                return MASK
            if masked is not text:
                text, low = masked, masked.translate(_ASCII_LOWER)
    return _mask_names(text, low) if found & NAME else text


def _carried_name(mapping: Mapping[Any, Any]) -> str | None:
    # {"key": "team", "value": "sales"}, {"name": "DB_PASSWORD", "value": "..."}: the value's
    # name is the one the mapping carries, not "value".
    if "value" not in mapping:
        return None
    name = mapping.get("key", mapping.get("name"))
    return name if isinstance(name, str) else None


def mask(value: Any, text: Callable[[str], str] | None = scrub) -> Any:
    """A JSON-safe copy of ``value`` with every secret-named field's value (whatever it holds)
    replaced by ``***``, and each string through ``text`` (``scrub``; None: left as is)."""
    kind = type(value)  # JSON's own types first: this walks whole events
    if kind is str:
        return text(value) if text is not None else value
    if kind is dict:
        return _mapping(value, text)
    if kind is list:
        return [mask(v, text) for v in value]
    if value is None or kind is int or kind is float or kind is bool:
        return value
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, enum.Enum):
        return mask(value.value, text)
    if isinstance(value, str):
        return text(value) if text is not None else str(value)
    if isinstance(value, Mapping):
        return _mapping(value, text)
    if isinstance(value, list | tuple | set | frozenset):
        return [mask(v, text) for v in value]
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return text(str(value)) if text is not None else str(value)


def _mapping(value: Mapping[Any, Any], text: Callable[[str], str] | None) -> dict[str, Any]:
    carried = _carried_name(value)
    result: dict[str, Any] = {}
    for key, item in value.items():
        name = key if type(key) is str else str(key)
        if is_secret_name(carried if carried is not None and name == "value" else name):
            result[name] = MASK if item is not None else None
        elif name == "columnLineage" and isinstance(item, Mapping):
            result[name] = _column_lineage(item, text)
        else:
            result[name] = mask(item, text)
    return result


def _column_lineage(facet: Mapping[Any, Any], text: Callable[[str], str] | None) -> Any:
    # The facet's "fields" are keyed by output column names ("password_hash", "api_token"):
    # a column's lineage is no secret, whatever the column is called.
    fields = facet.get("fields")
    if not isinstance(fields, Mapping):
        return mask(facet, text)
    return {
        str(k): (
            {str(c): mask(v, text) for c, v in fields.items()}
            if k == "fields"
            else mask({k: v}, text)[str(k)]
        )
        for k, v in facet.items()
    }
