"""Passwords after sign-up: a user changes their own with the current one,
and an admin issues a one-time reset link for someone who lost theirs.

A reset token is shown once, to the admin who passes it on; only its keyed
hash is stored (like session tokens). A link works once, for 24 hours, and
issuing a new one expires the older unused ones. Setting a password through
either path withdraws sessions at once, on every process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from revgraph.models.identity import PasswordReset, Session, User
from revgraph.resolvers import attempt_limits
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.identity import check_password, hash_password, verify_password
from revgraph.resolvers.one_time_links import claim, new_token, token_digest
from revgraph.resolvers.revocations import Revocation, record_revocation
from revgraph.resolvers.visibility import named_record

RESET_PREFIX = "rgr_"
RESET_TTL = timedelta(hours=24)
# Where the web app's reset page lives; the token travels in the fragment,
# which browsers never send to a server (nor in a Referer).
RESET_PAGE = "/reset-password"
INVALID_LINK = N_("This reset link is invalid, used or expired; ask an administrator for a new one.")


async def change_password(ctx: Context, *, current_password: str, new_password: str) -> User:
    """The caller sets a new password, proving the current one (wrong guesses
    count against the same throttle as failed log-ins). Every other session
    of theirs is revoked and its sockets close; the one in use stays."""
    actor = ctx.require_actor()
    if actor.session_id is None:
        raise DomainError(
            "INVALID", _("Change a password while logged in as its user, not with an API key."), None
        )
    check_password(new_password, ["input", "newPassword"])
    if new_password == current_password:
        raise DomainError(
            "INVALID", _("The new password must differ from the current one."), ["input", "newPassword"]
        )
    user = await User.get(id=actor.user_id)
    field = ["input", "currentPassword"]
    attempt = await attempt_limits.current_password_attempt(ctx, user.email, field)
    try:
        valid = await verify_password(ctx.settings, user.password_hash, current_password)
    except BaseException:
        await attempt.release()  # the check did not finish: no failure to count
        raise
    if not valid:
        raise DomainError("INVALID", _("The current password is wrong."), field)  # the reservation stays
    await attempt.release()
    password_hash = await hash_password(ctx.settings, new_password)
    async with unit_of_work():
        user.password_hash = password_hash
        await user.save(update_fields=["password_hash"])
        others = await _revoke_sessions(user.id, keep=actor.session_id)
        await record_revocation(
            actor,
            actor.workspace_id,
            "user.password_changed",
            N_("{user} changed their password", user=user.name),
            Revocation(session_ids=frozenset(others)),
            data={"userId": user.id, "sessionsRevoked": len(others)},
        )
    return user


@dataclass
class IssuedReset:
    user: User
    token: str
    path: str
    expires_at: datetime


async def create_password_reset_link(ctx: Context, *, user_id: str) -> IssuedReset:
    """ADMIN issues a one-time link for an active user to set a new password,
    valid 24 hours; the token is returned once. Older unused links of that
    user expire at once."""
    actor = ctx.require_admin()
    user = await named_record(ctx, User, user_id, ["userId"])
    if not user.active:
        raise DomainError(
            "RULE_VIOLATION", _("{user} is deactivated: reactivate them first.", user=user.name), ["userId"]
        )
    token, token_hash = new_token(ctx.settings, RESET_PREFIX)
    now = datetime.now(UTC)
    expires_at = now + RESET_TTL
    async with unit_of_work():
        superseded = await PasswordReset.filter(user_id=user.id, used_at=None, expires_at__gt=now).update(
            expires_at=now
        )
        reset = await PasswordReset.create(
            user_id=user.id,
            issued_by_id=actor.user_id,
            token_hash=token_hash,
            expires_at=expires_at,
        )
        await record_event(
            actor,
            actor.workspace_id,
            "password_reset.issued",
            N_("Password reset link issued for {user}", user=user.name),
            data={
                "userId": user.id,
                "passwordResetId": reset.id,
                "expiresAt": expires_at.isoformat(),
                "supersededLinks": superseded,
            },
        )
    return IssuedReset(user, token, f"{RESET_PAGE}#{token}", expires_at)


async def reset_password(ctx: Context, *, token: str, new_password: str) -> User:
    """Anyone holding a valid reset link sets its user's password, once.
    Every session of the user is revoked and its sockets close. Invalid
    tokens are throttled per client IP, the attempt reserved before the
    look-up; a successful reset does not count."""
    check_password(new_password, ["input", "newPassword"])
    attempt = await attempt_limits.password_reset_attempt(ctx)
    try:
        user = await _use_reset(ctx, token or "", new_password)
    except DomainError:
        raise  # the reservation stays: it is this failure
    except BaseException:
        await attempt.release()
        raise
    await attempt.release()
    return user


async def _use_reset(ctx: Context, token: str, new_password: str) -> User:
    now = datetime.now(UTC)
    reset = None
    digest = token_digest(ctx.settings, RESET_PREFIX, token)
    if digest is not None:
        reset = (
            await PasswordReset.filter(token_hash=digest, used_at=None, expires_at__gt=now)
            .select_related("user")
            .first()
        )
    if reset is None or not reset.user.active:
        raise DomainError("INVALID", INVALID_LINK, ["input", "token"])
    user = reset.user
    password_hash = await hash_password(ctx.settings, new_password)
    async with unit_of_work():
        if not await claim(PasswordReset, reset.id, now):
            raise DomainError("INVALID", INVALID_LINK, ["input", "token"])
        await PasswordReset.filter(user_id=user.id, used_at=None, expires_at__gt=now).update(expires_at=now)
        user.password_hash = password_hash
        await user.save(update_fields=["password_hash"])
        revoked = await _revoke_sessions(user.id)
        await record_revocation(
            Actor(user.workspace_id, user.id, user.role),
            user.workspace_id,
            "password_reset.used",
            N_("{user} set a new password through a reset link", user=user.name),
            Revocation(session_ids=frozenset(revoked)),
            data={"userId": user.id, "passwordResetId": reset.id, "sessionsRevoked": len(revoked)},
        )
    return user


async def _revoke_sessions(user_id: int, *, keep: int | None = None) -> list[int]:
    """Revoke the user's live sessions (but `keep`), in the caller's transaction."""
    query = Session.filter(user_id=user_id, revoked_at=None)
    if keep is not None:
        query = query.exclude(id=keep)
    ids = list(await query.values_list("id", flat=True))
    if ids:
        await Session.filter(id__in=ids).update(revoked_at=datetime.now(UTC))
    return ids
