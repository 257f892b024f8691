from __future__ import annotations

import base64

import pytest

from qa.access import authorized, challenge, parse_auth


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_parse_auth_keeps_colons_in_the_password() -> None:
    assert parse_auth("ann:a:b") == ("ann", "a:b")
    for bad in ("ann", ":pw", "ann:"):
        with pytest.raises(ValueError, match="user:password"):
            parse_auth(bad)


def test_the_token_or_the_login_lets_a_request_in() -> None:
    login, token = ("ann", "pw"), "tok"
    assert authorized("Bearer tok", login, token)
    assert authorized("bearer tok", None, token)
    assert authorized(_basic("ann", "pw"), login, token)
    for refused in (None, "", "Bearer pw", "Bearer", _basic("ann", "tok"), _basic("bob", "pw")):
        assert not authorized(refused, login, token)
    assert not authorized("Basic not-base64!", login, None)
    # A login is not a token, nor the other way round.
    assert not authorized(_basic("ann", "pw"), None, "pw")
    assert not authorized("Bearer pw", login, None)


def test_an_unguarded_server_lets_everyone_in_and_a_guarded_one_names_its_schemes() -> None:
    assert authorized(None, None, None)
    assert challenge(("ann", "pw"), "tok") == 'Basic realm="citeqa", Bearer realm="citeqa"'
    assert challenge(None, "tok") == 'Bearer realm="citeqa"'
