"""Accounts from social-login providers: find, create and link (provider, subject) pairs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import OAuthAccount, User
from app.services.accounts import (
    clean_text,
    username_available,
    validate_display_name,
    validate_username,
)
from app.services.errors import Conflict, InvalidInput, NotFound, UsernameTaken


class AccountAlreadyLinked(Conflict):
    """This provider account already belongs to someone else."""

    default_message = _l("That account is already linked to another Encore profile.")


class ProviderAlreadyLinked(Conflict):
    """The user already linked another account from this provider."""

    default_message = _l("You have already linked an account from this provider.")


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: its name, their stable subject, and hints."""

    provider: str
    subject: str
    email: str | None = None
    name: str | None = None


def identity_from(provider: str, subject: object, email: object, name: object) -> Identity:
    """Build an Identity from provider claims, refusing one without a subject."""
    subject_text = str(subject or "").strip()
    if not subject_text or len(subject_text) > 255:
        raise InvalidInput(_l("The provider did not say who you are."))
    email_text = str(email).strip()[:255] if email else None
    name_text = clean_text(str(name))[:40] if name else None
    return Identity(provider, subject_text, email_text or None, name_text or None)


def find_user(provider: str, subject: str) -> User | None:
    """Return the user linked to (provider, subject), or None."""
    return db.session.scalar(
        select(User)
        .join(OAuthAccount, OAuthAccount.user_id == User.id)
        .where(OAuthAccount.provider == provider, OAuthAccount.subject == subject)
    )


def linked_providers(user_id: int) -> set[str]:
    """Return the names of the providers linked to the user."""
    return set(
        db.session.scalars(select(OAuthAccount.provider).where(OAuthAccount.user_id == user_id))
    )


def link(user_id: int, identity: Identity) -> OAuthAccount:
    """Link the provider account to an existing user; each pair belongs to one user."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    owner = find_user(identity.provider, identity.subject)
    if owner is not None:
        if owner.id == user_id:
            return db.session.scalar(
                select(OAuthAccount).where(
                    OAuthAccount.provider == identity.provider,
                    OAuthAccount.subject == identity.subject,
                )
            )
        raise AccountAlreadyLinked()
    if identity.provider in linked_providers(user_id):
        raise ProviderAlreadyLinked()
    account = OAuthAccount(
        user_id=user_id,
        provider=identity.provider,
        subject=identity.subject,
        email=identity.email,
    )
    db.session.add(account)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise AccountAlreadyLinked() from exc
    return account


def create_user_with(identity: Identity, username: str, display_name: str) -> User:
    """Create a password-less user who signs in with this provider account."""
    username = validate_username(username)
    display_name = validate_display_name(display_name)
    if find_user(identity.provider, identity.subject) is not None:
        raise AccountAlreadyLinked()
    if not username_available(username):
        raise UsernameTaken(field="username")
    user = User(username=username, username_key=username.lower(), display_name=display_name)
    db.session.add(user)
    try:
        db.session.flush()
        db.session.add(
            OAuthAccount(
                user_id=user.id,
                provider=identity.provider,
                subject=identity.subject,
                email=identity.email,
            )
        )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        if not username_available(username):
            raise UsernameTaken(field="username") from exc
        raise AccountAlreadyLinked() from exc
    return user


def suggest_username(identity: Identity) -> str:
    """Propose a free username from the email or name the provider gave, else empty."""
    seeds = []
    if identity.email:
        seeds.append(identity.email.split("@", 1)[0])
    if identity.name:
        seeds.append(identity.name)
    for seed in seeds:
        base = re.sub(r"[^A-Za-z0-9_]", "", seed)[:24].lower()
        if len(base) < 3:
            continue
        for suffix in ("", *[str(n) for n in range(2, 20)]):
            candidate = f"{base}{suffix}"
            try:
                validate_username(candidate)
            except InvalidInput:
                break
            if username_available(candidate):
                return candidate
    return ""
