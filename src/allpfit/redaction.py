"""Keeping secrets out of every message, log line and stored error.

Connection strings are parsed by the driver's own parser (libpq's rules, through
`psycopg.conninfo`), not by `urllib`: libpq is what decides which part of a string is the
password, and the two disagree on passwords holding `#`, `/`, `?` or `@`, on `?password=` query
parameters and on keyword DSNs (`host=... password=...`). Whatever libpq cannot parse is hidden
entirely, and every masked result is parsed again to prove it carries no secret.

`mask_url` is for a connection string we hold; `redact` is for any text (a driver's error
message can echo parts of the DSN it was given, a log line can quote one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

MASK = "***"
HIDDEN = "<connection string hidden>"
SECRET_KEYS = ("password", "sslpassword")
MIN_SECRET = 3  # shorter values are not searched for in free text (too many false hits)

_URI = re.compile(r"^(?P<scheme>postgres(?:ql)?)://(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_SECRET_PARAM = re.compile(r"(?i)((?:^|&)(?:ssl)?password=)[^&]*")
_PG_URL_IN_TEXT = re.compile(r"postgres(?:ql)?://[^\s'\"<>`]+", re.IGNORECASE)
_OTHER_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@", re.IGNORECASE)
_KEYWORD_SECRET = re.compile(r"(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&]+)")
_QUOTED = re.compile(r'"([^"\n]*)"')  # quotes pair left to right, as a driver writes them


def _parse(conninfo: str) -> dict[str, str] | None:
    try:
        return {k: str(v) for k, v in conninfo_to_dict(conninfo).items()}
    except (psycopg.Error, ValueError, TypeError):
        return None


def mask_url(url: str) -> str:
    """`url` (a PostgreSQL URI or keyword DSN) with its password replaced by `***`.

    Unparseable input is hidden whole: its secret cannot be located, so nothing of it is shown.
    """
    params = _parse(url)
    if params is None:
        return HIDDEN
    uri = _URI.match(url.strip())
    if uri is None:
        if not any(params.get(key) for key in SECRET_KEYS):
            return url
        masked = make_conninfo(
            "", **{k: (MASK if k in SECRET_KEYS else v) for k, v in params.items()}
        )
    else:
        masked = _mask_uri(uri.group("scheme"), uri.group("rest"))
    return masked if _is_clean(masked, params) else HIDDEN


def _mask_uri(scheme: str, rest: str) -> str:
    """Mask the user-info password (everything before the last `@`: libpq and a human may
    disagree on where it ends) and the `password=` query parameters."""
    auth = ""
    if "@" in rest:
        userinfo, rest = rest.rsplit("@", 1)
        user, colon, _ = userinfo.partition(":")
        if re.search(r"[/?#]", user):
            auth = f"{MASK}@"
        else:
            auth = f"{user}:{MASK}@" if colon else f"{user}@"
    where, question, query = rest.partition("?")
    if question:
        query = _SECRET_PARAM.sub(lambda m: m.group(1) + MASK, query)
    return f"{scheme}://{auth}{where}{question}{query}"


def _is_clean(masked: str, original: dict[str, str]) -> bool:
    """True when libpq finds no secret in `masked` and no secret value appears in its text."""
    again = _parse(masked)
    if again is None or any(again.get(key, MASK) != MASK for key in SECRET_KEYS):
        return False
    return not any(
        fragment in masked for fragment in _fragments(original.get(key, "") for key in SECRET_KEYS)
    )


def _fragments(values: Iterable[str]) -> set[str]:
    """A secret as it may appear in text: raw and percent-encoded."""
    found: set[str] = set()
    for value in values:
        if len(value) >= MIN_SECRET and value != MASK:
            found |= {value, quote(value, safe=""), quote(value)}
    return found


def secrets_in(conninfo: str) -> list[str]:
    """The secret values held by a connection string, to redact from free text: its
    password(s), raw and percent-encoded, or the whole string when libpq cannot parse it
    (then any piece of it a driver message quotes is redacted too). The host, user and
    database names of a parseable string are not secret and stay readable."""
    params = _parse(conninfo)
    if params is None:
        uri = _URI.match(conninfo.strip())
        if uri is None:
            return [conninfo]
        rest = uri.group("rest")
        return [conninfo, rest.rsplit("@", 1)[0]]  # the user-info, where the password is
    return sorted(_fragments(params.get(key, "") for key in SECRET_KEYS))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every connection-string password, every known secret (and any quoted
    fragment of one, as driver errors echo them) replaced by `***`.

    `secrets` are values we know are secret: API keys, passwords, whole connection strings
    (see `secrets_in`)."""
    known = sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)

    # Quoted pieces are compared with the secrets, not with whole URIs (whose host and
    # database names are not secret): `secrets_in` lists an unparseable URI's user-info apart.
    pieces = [secret for secret in known if not _URI.match(secret)]

    def quoted(match: re.Match[str]) -> str:
        inner = match.group(1)
        return f'"{MASK}"' if any(_overlap(inner, piece) for piece in pieces) else match.group(0)

    text = _QUOTED.sub(quoted, text)
    text = _PG_URL_IN_TEXT.sub(_mask_match, text)
    text = _OTHER_URL_PASSWORD.sub(lambda m: m.group(1) + MASK + "@", text)
    return _KEYWORD_SECRET.sub(
        lambda m: m.group(0) if m.group(2) == MASK else m.group(1) + MASK, text
    )


def _overlap(fragment: str, secret: str) -> bool:
    """True when `fragment` shares MIN_SECRET consecutive characters with `secret`: a driver
    quoting a piece of a string it could not parse may cut through the password."""
    return any(
        fragment[i : i + MIN_SECRET] in secret for i in range(len(fragment) - MIN_SECRET + 1)
    )


def _mask_match(match: re.Match[str]) -> str:
    """Mask a URI found in text; punctuation ending a sentence is not part of it."""
    url = match.group(0)
    core = url.rstrip(".,;:)]}")
    return mask_url(core) + url[len(core) :]


def first_line(text: str) -> str:
    """The first non-empty line: driver messages add detail lines that belong in the log
    file, not on the console."""
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""
