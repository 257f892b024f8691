"""Who may reach a citeqa server: the bind rule and the credential check every server shares.

``citeqa serve`` (ui) and ``citeqa mcp --http`` (qa.integrations.mcp) apply the same rules, so
they live here, below both: loopback unless a login guards the server, and logins and bearer
tokens compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import secrets

# Where both servers read their bearer token when no --api-token is given.
API_TOKEN_ENV = "CITEQA_API_TOKEN"


class PublicBindRefused(ValueError):
    """A non-loopback address was asked for without a login to guard it."""


def parse_auth(value: str) -> tuple[str, str]:
    """``user:pass`` -> ``(user, pass)``; the password may itself contain colons."""
    user, colon, password = value.partition(":")
    if not colon or not user or not password:
        raise ValueError("--auth must look like user:password")
    return user, password


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses; any other name counts as public."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, auth: tuple[str, str] | None, *, insecure_public: bool) -> None:
    """Raise ``PublicBindRefused`` unless ``host`` is loopback, a login is set, or forced.

    Only ``auth`` counts: an API token is a credential for scripts, not a login for people.
    """
    if auth is None and not insecure_public and not is_loopback(host):
        raise PublicBindRefused(
            f"refusing to serve on {host} without a login: anyone on the network could read "
            "and change the index. Add --auth USER:PASS, bind 127.0.0.1, or pass "
            "--insecure-public if the network itself is trusted."
        )


def same_secret(given: str, expected: str) -> bool:
    """Compared in constant time, so response timing does not leak how much matched."""
    return secrets.compare_digest(given.encode(), expected.encode())


def authorized(header: str | None, login: tuple[str, str] | None, token: str | None) -> bool:
    """Whether an ``Authorization`` header carries the bearer ``token`` or the basic ``login``.

    With neither configured every request is let in (the loopback rule guards the server).
    """
    if login is None and token is None:
        return True
    scheme, _, value = (header or "").partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer" and token is not None:
        return same_secret(value, token)
    if scheme == "basic" and login is not None:
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        # Both comparisons always run: no early exit on a wrong user name.
        same_user = same_secret(user, login[0])
        same_password = same_secret(password, login[1])
        return same_user and same_password
    return False


def challenge(login: tuple[str, str] | None, token: str | None) -> str:
    """The ``WWW-Authenticate`` value of a 401: the schemes this server takes."""
    schemes = (['Basic realm="citeqa"'] if login else []) + (
        ['Bearer realm="citeqa"'] if token else []
    )
    return ", ".join(schemes)
