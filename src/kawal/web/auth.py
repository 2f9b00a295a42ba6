"""Who is asking, and may they: the Airflow session mapped to a person of the register.

Airflow mounts plugin FastAPI apps *without* its own auth (docs/STACK-NOTES.md), so every request of the
board is checked here:

- **Identity**: the Airflow UI keeps the user's JWT in the ``_token`` cookie (or an API client sends it
  as ``Authorization: Bearer``). It is validated by the api-server's own auth manager
  (``get_user_from_token``: signature, expiry, revocation at logout), never decoded by hand. No
  valid token, no data.
- **Person**: the Airflow username is mapped to a person of ``kpi_rules/people.yaml`` by the person's
  ``airflow_user`` field, or, when no person claims that login, by the person's id. Roles then come
  from the register and the ticket (``kawal.defects.lifecycle.roles_of``): a PIC acts on tickets of
  his own KPIs, the Accountable decides plans; an unmapped Airflow user only reads.
- **Authorization** (issue #19): the auth manager decides whether this login may use the board at all,
  through its check for plugin views, ``is_authorized_custom_view`` on the resource :data:`BOARD_RESOURCE`:
  method ``GET`` to read (a page), ``POST`` to write (a form). With the FAB auth manager that is the FAB
  permission ``can_read`` / ``can_create`` on ``Kawal KPI`` (roles ``Kawal Reader`` / ``Kawal Actor``,
  ``kawal users sync``); SimpleAuthManager (``make up``) allows it to every user with a role. A refusal is
  one line without data. The person's RACI for the ticket is checked after that, by the lifecycle.
- **CSRF**: every form carries a token that is an HMAC of the Airflow user and a per-browser nonce
  (cookie ``kawal_csrf``, SameSite=Strict), keyed by a key derived from Airflow's ``[api_auth]
  jwt_secret`` (shared by every api-server worker). A page on another site can neither read the
  nonce nor compute the HMAC; the Origin header, when sent, must be this host (never ``null``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kawal.errors import KawalError
from kawal.register import Register
from kawal.register.model import Person

log = logging.getLogger(__name__)

#: What the board is to Airflow's auth manager: the resource of ``is_authorized_custom_view`` (with FAB, the
#: resource of the permissions ``kawal users sync`` creates) and the name of its entry in Airflow's menu.
BOARD_RESOURCE = "Kawal KPI"
CSRF_COOKIE = "kawal_csrf"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Viewer:
    """The signed-in Airflow user and, when mapped, the register's person they act as."""

    username: str
    person: Person | None

    @property
    def person_id(self) -> str | None:
        return self.person.id if self.person else None


def _request_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN

    return request.cookies.get(COOKIE_NAME_JWT_TOKEN) or None


async def airflow_username(request: Request) -> str | None:
    """The username of a valid Airflow session on this request, else None (fail closed). The user is
    kept on the request for :func:`board_refusal`."""
    token = _request_token(request)
    if not token:
        return None
    from airflow.api_fastapi.app import get_auth_manager
    from jwt import InvalidTokenError

    try:
        user = await get_auth_manager().get_user_from_token(token)
    except InvalidTokenError:  # expired, forged, revoked at logout: the same as no session
        return None
    except RuntimeError:  # not inside Airflow's api-server: there is no auth manager to ask
        log.error("Kawal board: Airflow's auth manager is not initialised; refusing every request")
        return None
    request.state.kawal_airflow_user = user
    return user.get_name()


def board_method(request: Request) -> str:
    """What a request does to the board, in the auth manager's words: a page reads, a form writes."""
    return "GET" if request.method in ("GET", "HEAD") else "POST"


async def board_refusal(request: Request, username: str) -> Response | None:
    """None when Airflow's auth manager lets the signed-in user read (a page) or write (a form post) the
    board, else the one-line 403 to answer, with no data in it. Asked after :func:`airflow_username`
    found the session; anything unexpected refuses (fail closed)."""
    from airflow.api_fastapi.app import get_auth_manager

    user = getattr(request.state, "kawal_airflow_user", None)
    method = board_method(request)
    try:
        allowed = user is not None and bool(
            get_auth_manager().is_authorized_custom_view(method=method, resource_name=BOARD_RESOURCE, user=user)
        )
    except Exception:  # an auth manager that cannot answer must not open the board
        log.exception("Kawal board: the auth manager could not judge %r; refused", username)
        allowed = False
    if allowed:
        return None
    doing = "read" if method == "GET" else "change anything in"
    log.info("Kawal board: Airflow user %r may not %s the board (auth manager)", username, doing)
    return PlainTextResponse(
        f"403: Airflow user {username!r} may not {doing} the Kawal KPI board: Airflow's auth manager gives this "
        f'login no access to {BOARD_RESOURCE!r} (roles Kawal Reader / Kawal Actor, docs/operations.md "Users")',
        status_code=403,
    )


def person_for(register: Register, username: str) -> Person | None:
    """The person an Airflow login acts as: an explicit ``airflow_user`` wins over an id match."""
    people = register.people.people
    explicit = [p for p in people if p.airflow_user == username]
    if len(explicit) == 1:
        return explicit[0]
    if len(explicit) > 1:  # ambiguous: act as nobody rather than as the wrong person
        log.warning("Airflow user %r is claimed by several people in people.yaml: read only", username)
        return None
    by_id = register.people.person(username)
    return by_id if by_id is not None and by_id.airflow_user in (None, username) else None


def _csrf_key() -> bytes:
    from airflow.configuration import conf

    secret = (conf.get("api_auth", "jwt_secret", fallback="") or "").encode()
    if not secret and (key_path := conf.get("api_auth", "jwt_private_key_path", fallback="")):
        secret = Path(key_path).read_bytes()  # asymmetric JWTs: the api-server's private key is the secret
    if not secret:
        raise KawalError("Airflow has neither [api_auth] jwt_secret nor jwt_private_key_path: forms cannot be signed")
    # a key of its own, derived from Airflow's: a CSRF token is never a valid JWT signature input
    return hmac.new(secret, b"kawal-board-csrf", hashlib.sha256).digest()


def csrf_nonce(request: Request) -> tuple[str, bool]:
    """The browser's nonce and whether it is new (then the response must set the cookie)."""
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if len(nonce) == 43 and nonce.replace("-", "").replace("_", "").isalnum():
        return nonce, False
    return secrets.token_urlsafe(32), True


def csrf_token(username: str, nonce: str) -> str:
    return hmac.new(_csrf_key(), f"{username}\n{nonce}".encode(), hashlib.sha256).hexdigest()


def origin_ok(request: Request) -> bool:
    """The rule for the ``Origin`` header of a form post: absent (a client that sends none still
    needs the CSRF token), or exactly ``scheme://host[:port]`` whose host and port are this request's
    ``Host``. ``null`` is refused (issue #17): browsers send it from sandboxed frames, ``data:`` and
    ``file:`` pages and after cross-origin redirects — none of them is a page of this board."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    parts = urlparse(origin)
    host = request.headers.get("host", "")
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and parts.netloc.lower() == host.lower()
        and not (parts.path or parts.query or parts.fragment or parts.params)
    )


def csrf_ok(request: Request, username: str, submitted: str | None) -> bool:
    if not origin_ok(request):
        return False
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or not submitted:
        return False
    return hmac.compare_digest(csrf_token(username, nonce), submitted)
