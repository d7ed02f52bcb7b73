"""Identity: workspaces, users, teams, sessions and presence (API keys:
api_keys.py; checking a bearer token: credentials.py)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.exceptions import IntegrityError

from revgraph.models.identity import Session, Team, User, Workspace
from revgraph.resolvers import attempt_limits, loaders
from revgraph.resolvers.context import ROLES, Actor, Context
from revgraph.resolvers.distribution.queues import create_manual_queue
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.numbering import create_counters
from revgraph.resolvers.pagination import Page, SortKey, paginate_for
from revgraph.resolvers.revocations import Revocation, record_revocation
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.validation import normalize_email, required_text

SESSION_PREFIX = "rgs_"
API_KEY_PREFIX = "rgk_"
MIN_PASSWORD = 8
MAX_PASSWORD = 256


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


async def hash_password(settings: Settings, password: str) -> str:
    # argon2 takes ~100 ms of CPU: off the event loop.
    return await asyncio.to_thread(hasher(settings).hash, password)


async def verify_password(settings: Settings, password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return hasher(settings).verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def secret_digest(settings: Settings, secret: str) -> str:
    """Keyed hash of a session token or API key: the only form stored.
    Every authenticated request computes one: the key's HMAC state is made
    once per key and copied (the same digest as `hmac.new(key, secret,
    sha256)`, in half its time)."""
    keyed = _keyed_hmac(settings.secret_key).copy()
    keyed.update(secret.encode())
    return keyed.hexdigest()


@lru_cache(maxsize=8)
def _keyed_hmac(secret_key: str) -> hmac.HMAC:
    return hmac.new(secret_key.encode(), digestmod=hashlib.sha256)


def check_password(password: str, field: list[str] | None = None) -> None:
    """A new password's length rule (8 to 256 characters)."""
    field = field or ["input", "password"]
    if len(password) < MIN_PASSWORD:
        raise DomainError(
            "INVALID",
            _("The password must have at least {MIN_PASSWORD} characters.", MIN_PASSWORD=MIN_PASSWORD),
            field,
        )
    if len(password) > MAX_PASSWORD:
        raise DomainError(
            "INVALID",
            _("The password must have at most {MAX_PASSWORD} characters.", MAX_PASSWORD=MAX_PASSWORD),
            field,
        )


def check_role(role: str) -> str:
    if role not in ROLES:
        raise DomainError("INVALID", _("Unknown role {role!r}.", role=role), ["input", "role"])
    return role


async def _email_free(email: str) -> None:
    if await User.filter(email=email).exists():
        raise DomainError("DUPLICATE", _("A user with this e-mail already exists."), ["input", "email"])


@dataclass
class Authenticated:
    token: str
    user: User


async def _new_session(settings: Settings, user: User) -> str:
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    await Session.create(
        user=user,
        token_hash=secret_digest(settings, token),
        expires_at=datetime.now(UTC) + timedelta(seconds=settings.session_ttl_seconds),
    )
    return token


async def sign_up(
    ctx: Context, *, workspace_name: str, name: str, email: str, password: str
) -> Authenticated:
    """Create a workspace (BRL, America/Sao_Paulo) and its first ADMIN, and log them in.
    A taken e-mail answers DUPLICATE, so failed sign-ups are throttled per
    client IP; the attempt is reserved before the e-mail is looked up."""
    if not ctx.settings.allow_signup:
        raise DomainError(
            "FORBIDDEN", _("Sign-up is disabled on this server; ask an administrator for an account.")
        )
    workspace_name = required_text(workspace_name, ["input", "workspaceName"], what=_("Workspace name"))
    name = required_text(name, ["input", "name"])
    email = normalize_email(email, ["input", "email"])
    check_password(password)
    attempt = await attempt_limits.sign_up_attempt(ctx)
    try:
        signed_up = await _create_workspace(ctx, workspace_name, name, email, password)
    except DomainError:
        raise  # the reservation stays: it is this failure
    except BaseException:
        await attempt.release()
        raise
    await attempt.release()  # successful sign-ups do not count
    return signed_up


async def _create_workspace(
    ctx: Context, workspace_name: str, name: str, email: str, password: str
) -> Authenticated:
    await _email_free(email)
    password_hash = await hash_password(ctx.settings, password)
    try:
        async with unit_of_work():
            workspace = await Workspace.create(name=workspace_name)
            await create_counters(workspace.id)
            await create_manual_queue(workspace.id)
            user = await User.create(
                workspace=workspace, name=name, email=email, password_hash=password_hash, role="ADMIN"
            )
            actor = Actor(workspace.id, user.id, "ADMIN")
            await record_event(
                actor,
                workspace.id,
                "workspace.created",
                N_("{name} created the workspace {workspace_name}", name=name, workspace_name=workspace_name),
            )
            token = await _new_session(ctx.settings, user)
    except IntegrityError as exc:  # a concurrent sign-up took the e-mail
        raise DomainError(
            "DUPLICATE", _("A user with this e-mail already exists."), ["input", "email"]
        ) from exc
    return Authenticated(token, user)


async def log_in(ctx: Context, *, email: str, password: str) -> Authenticated:
    """Exchange e-mail and password for a session token. Failures are
    throttled per e-mail and per IP, the attempt reserved before the password
    is checked; successful logins do not count."""
    key = (email or "").strip().lower()[:254]
    attempt = await attempt_limits.log_in_attempt(ctx, key)
    try:
        user = await User.filter(email=key, active=True).first()
        # Verify against a dummy hash when the user is unknown, so timing does
        # not reveal which e-mails have accounts.
        stored = user.password_hash if user else _dummy_hash(ctx.settings)
        valid = await verify_password(ctx.settings, stored, password)
    except BaseException:
        await attempt.release()  # the check did not finish: no failure to count
        raise
    if user is None or not valid:
        # The reservation stays: it is this failure.
        raise DomainError("INVALID", _("Wrong e-mail or password."), ["input", "password"])
    await attempt.release()
    token = await _new_session(ctx.settings, user)
    return Authenticated(token, user)


@lru_cache(maxsize=4)
def _dummy_hash_for(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash(secrets.token_hex(16))


def _dummy_hash(settings: Settings) -> str:
    return _dummy_hash_for(settings.argon2_time_cost, settings.argon2_memory_kib)


async def log_out(ctx: Context) -> None:
    """Revoke the session the caller authenticated with: its token stops
    working at once, on HTTP and on the open websockets of every process."""
    actor = ctx.require_actor()
    if actor.session_id is None:
        raise DomainError(
            "INVALID", _("This credential is an API key: an admin revokes it with revokeApiKey.")
        )
    async with unit_of_work():
        if await Session.filter(id=actor.session_id, revoked_at=None).update(revoked_at=datetime.now(UTC)):
            await record_revocation(
                actor,
                actor.workspace_id,
                "session.revoked",
                N_("Logged out"),
                Revocation(session_ids=frozenset({actor.session_id})),
                data={"userId": actor.user_id},
            )


async def log_out_everywhere(ctx: Context) -> int:
    """Revoke every session of the caller's user (each browser, each bearer
    session token), the current one included; API keys stay, an admin
    revokes those. Answers how many sessions stopped working."""
    actor = ctx.require_actor()
    if actor.user_id is None or actor.session_id is None:
        raise DomainError(
            "INVALID", _("This credential is an API key: an admin revokes it with revokeApiKey.")
        )
    async with unit_of_work():
        now = datetime.now(UTC)
        ids = list(
            await Session.filter(user_id=actor.user_id, revoked_at=None, expires_at__gt=now).values_list(
                "id", flat=True
            )
        )
        if ids:
            await Session.filter(id__in=ids).update(revoked_at=now)
            await record_revocation(
                actor,
                actor.workspace_id,
                "session.revoked",
                N_("Logged out everywhere"),
                Revocation(session_ids=frozenset(ids)),
                data={"userId": actor.user_id, "everywhere": True, "sessionsRevoked": len(ids)},
            )
    return len(ids)


async def _team_in_workspace(workspace_id: int, team_id: str | None, field: list[str]) -> Team | None:
    if team_id is None:
        return None
    pk = pk_of(team_id, "Team")
    team = await Team.filter(id=pk, workspace_id=workspace_id).first() if pk else None
    if team is None:
        raise NotFound(_("Team"), field)
    return team


async def user_in_workspace(workspace_id: int, user_id: str | None, field: list[str]) -> User | None:
    if user_id is None:
        return None
    pk = pk_of(user_id, "User")
    user = await User.filter(id=pk, workspace_id=workspace_id).first() if pk else None
    if user is None:
        raise NotFound(_("User"), field)
    return user


async def create_user(
    ctx: Context, *, name: str, email: str, password: str, role: str, team_id: str | None
) -> User:
    """ADMIN adds a user to the workspace; e-mails are unique across workspaces."""
    actor = ctx.require_admin()
    name = required_text(name, ["input", "name"])
    email = normalize_email(email, ["input", "email"])
    check_password(password)
    check_role(role)
    team = await _team_in_workspace(actor.workspace_id, team_id, ["input", "teamId"])
    await _email_free(email)
    password_hash = await hash_password(ctx.settings, password)
    try:
        async with unit_of_work():
            user = await User.create(
                workspace_id=actor.workspace_id,
                name=name,
                email=email,
                password_hash=password_hash,
                role=role,
                team=team,
            )
            await record_event(
                actor,
                actor.workspace_id,
                "user.created",
                N_("{name} joined as {lower}", name=name, lower=role.lower()),
                data={"userId": user.id, "role": role, "teamId": team.id if team else None},
            )
    except IntegrityError as exc:
        raise DomainError(
            "DUPLICATE", _("A user with this e-mail already exists."), ["input", "email"]
        ) from exc
    return user


async def create_team(ctx: Context, *, name: str, manager_id: str | None, parent_id: str | None) -> Team:
    """ADMIN adds a team under `parent` (a tree), optionally with a manager."""
    actor = ctx.require_admin()
    name = required_text(name, ["input", "name"])
    manager = await user_in_workspace(actor.workspace_id, manager_id, ["input", "managerId"])
    parent = await _team_in_workspace(actor.workspace_id, parent_id, ["input", "parentId"])
    if await Team.filter(workspace_id=actor.workspace_id, name=name).exists():
        raise DomainError(
            "DUPLICATE", _("A team named {name!r} already exists.", name=name), ["input", "name"]
        )
    try:
        async with unit_of_work():
            team = await Team.create(
                workspace_id=actor.workspace_id, name=name, manager=manager, parent=parent
            )
            await record_event(
                actor,
                actor.workspace_id,
                "team.created",
                N_("Team {name} created", name=name),
                data={
                    "teamId": team.id,
                    "parentId": parent.id if parent else None,
                    "managerId": manager.id if manager else None,
                },
            )
    except IntegrityError as exc:
        raise DomainError(
            "DUPLICATE", _("A team named {name!r} already exists.", name=name), ["input", "name"]
        ) from exc
    return team


async def set_availability(ctx: Context, *, online: bool) -> User:
    """An agent goes online or offline for ONLINE-mode queues."""
    actor = ctx.require_actor()
    async with unit_of_work():
        user = await User.get(id=actor.user_id)
        if user.online != online:
            user.online = online
            user.last_seen_at = datetime.now(UTC)
            await user.save(update_fields=["online", "last_seen_at"])
            await record_event(
                actor,
                actor.workspace_id,
                "user.availability_changed",
                N_("{user} is now {value}", user=user.name, value=N_("online") if online else N_("offline")),
                data={"userId": user.id, "online": online},
            )
    return user


async def me(ctx: Context) -> Any:
    """The caller's user, as a row (resolvers/read_rows.py) read through the
    request's users loader: no model built for a record only shown, and a
    request that also shows the caller as an owner reads them once."""
    if ctx.actor is None or ctx.actor.user_id is None:
        return None
    return await loaders.users(ctx).load(ctx.actor.user_id)


async def workspace_of(ctx: Context) -> Workspace:
    actor = ctx.require_actor()
    return await Workspace.get(id=actor.workspace_id)


async def list_users(ctx: Context, *, first: int | None, after: str | None, with_total: bool = False) -> Page:
    """Colleagues are visible to everyone in the workspace (to assign and mention)."""
    actor = ctx.require_actor()
    return await paginate_for(
        ctx,
        User.filter(workspace_id=actor.workspace_id),
        [SortKey("id", kind="int")],
        first=first,
        after=after,
        with_total=with_total,
    )


async def list_teams(ctx: Context) -> list[Team]:
    actor = ctx.require_actor()
    return list(await Team.filter(workspace_id=actor.workspace_id).order_by("id"))


async def get_user(ctx: Context, pk: int) -> User | None:
    actor = ctx.require_actor()
    return await User.filter(id=pk, workspace_id=actor.workspace_id).first()


async def get_team(ctx: Context, pk: int) -> Team | None:
    actor = ctx.require_actor()
    return await Team.filter(id=pk, workspace_id=actor.workspace_id).first()


def is_online(settings: Settings, user: User, *, now: datetime | None = None) -> bool:
    """Online from setAvailability(true) until setAvailability(false), or
    until the presence timeout passes with no API activity and no open
    websocket session (an open socket keeps last_seen_at fresh): no zombie
    "online" agents."""
    if not user.online:
        return False
    now = now or datetime.now(UTC)
    seen = user.last_seen_at
    return seen is not None and (now - seen).total_seconds() <= settings.presence_timeout_seconds
