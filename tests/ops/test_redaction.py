"""Masking connection strings by libpq's rules, and redacting secrets from any text."""

from __future__ import annotations

from urllib.parse import quote

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from allpfit.config import mask_url
from allpfit.redaction import HIDDEN, first_line, redact, secrets_in

HOSTILE = "p#ss/w?rd@x%zz"
ENCODED = quote(HOSTILE, safe="")
PIECES = ("p#ss", "w?rd", "x%zz", "p%23ss", "rd%40x", "rd@x")

# Every way a password can sit in a connection string, with what the masked form must keep.
CASES = [
    (f"postgresql://reader:{ENCODED}@db.example:5432/chatwoot", "reader:***@db.example:5432"),
    (f"postgresql://reader:{HOSTILE}@db.example:5432/chatwoot", None),  # libpq: unparseable
    ("postgresql://reader:p#ss@db.example/chatwoot", "reader:***@db.example/chatwoot"),
    ("postgresql://reader:p/ssword@db.example/chatwoot", "***@db.example/chatwoot"),
    ("postgresql://reader:p?ssword@db.example/chatwoot", "reader:***@db.example/chatwoot"),
    ("postgresql://reader:p@ssword@db.example/chatwoot", "reader:***@db.example/chatwoot"),
    ("postgresql://reader:pa%zzss@db.example/chatwoot", None),  # bad %-escape
    (f"postgresql://reader@db.example/chatwoot?password={ENCODED}&sslmode=require", "sslmode"),
    ("postgresql://reader@db.example/chatwoot?pass%77ord=p%23ss", None),  # encoded key name
    (f"host=db.example user=reader password='{HOSTILE}' dbname=chatwoot", "host=db.example"),
    (f"host=db.example password={HOSTILE} sslpassword=p#ss-key", "password=***"),
    ("host=db.example password", None),
]


@pytest.mark.parametrize(("url", "kept"), CASES)
def test_mask_url_hides_every_password(url: str, kept: str | None) -> None:
    masked = mask_url(url)
    for piece in (*PIECES, "p/ssword", "p?ssword", "pa%zzss", "p#ss-key"):
        assert piece not in masked
    if kept is None:
        assert masked == HIDDEN
    else:
        assert kept in masked
        parsed = conninfo_to_dict(masked)  # still a valid string, and libpq sees no password
        assert parsed.get("password", "***") == "***"


def test_mask_url_leaves_strings_without_a_password_alone() -> None:
    assert mask_url("postgresql://reader@db.example:5432/chatwoot") == (
        "postgresql://reader@db.example:5432/chatwoot"
    )
    assert mask_url("host=db.example dbname=x") == "host=db.example dbname=x"


def test_redact_removes_what_a_driver_echoes_from_an_unparseable_url() -> None:
    url = f"postgresql://reader:{HOSTILE}@127.0.0.1:1/cw"
    with pytest.raises(psycopg.Error) as caught:
        psycopg.connect(url)
    echoed = str(caught.value)
    assert "rd@x%zz" in echoed  # libpq quotes a piece of the password...
    clean = redact(echoed, secrets_in(url))
    assert not any(piece in clean for piece in PIECES)  # ...which never gets further
    assert clean.startswith("missing key/value separator")


def test_redact_masks_urls_keyword_dsns_and_known_secrets_in_free_text() -> None:
    text = (
        f"at postgresql://bob:{ENCODED}@db:5432/x: refused; dsn host=db password='{HOSTILE}' "
        "user=bob; api http://k:hunter22@api.example/ key sk-live-1234"
    )
    clean = redact(text, ["sk-live-1234"])
    assert "postgresql://bob:***@db:5432/x: refused" in clean
    assert "password=***" in clean and "user=bob" in clean
    assert "http://k:***@api.example/" in clean
    assert "sk-live-1234" not in clean and "hunter22" not in clean
    assert not any(piece in clean for piece in PIECES)


def test_hosts_stay_readable_when_only_the_password_is_secret() -> None:
    url = f"postgresql://reader:{ENCODED}@127.0.0.1:1/cw"
    text = 'connection to server at "127.0.0.1", port 1 failed'
    assert redact(text, secrets_in(url)) == text


def test_first_line_drops_the_drivers_detail_lines() -> None:
    assert first_line("\nconnection refused\n\tIs the server running?") == "connection refused"
