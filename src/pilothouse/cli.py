"""The command line: serve, migrate, user and token management.

pilothouse serve [--host 127.0.0.1] [--port 8000] [--app NAME] [--workers N]
pilothouse migrate
pilothouse user create --email E --password P [--org NAME]
pilothouse token create --email E --name N [--write] [--expires YYYY-MM-DD] [--org NAME]
pilothouse token list --email E
pilothouse token revoke ID
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.apps import APP_MODULES
from pilothouse.core.accounts import service
from pilothouse.core.accounts.models import Organization, Role, User
from pilothouse.core.db import make_engine, make_sessionmaker, session_scope
from pilothouse.core.errors import ApiError
from pilothouse.core.migrate import upgrade_head
from pilothouse.core.secrets import SecretBox
from pilothouse.core.webhooks import service as webhooks
from pilothouse.settings import Settings, get_settings

__all__ = ["main"]


class CommandError(Exception):
    """A user's mistake on the command line: printed, exit status 1."""


def _session_run(settings: Settings, work: Callable[[Session], int]) -> int:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            return work(session)
    finally:
        engine.dispose()


def _migrate(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_head(settings.sqlalchemy_url)


def _parse_expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--expires must be a date as YYYY-MM-DD, not {text!r}") from None
    if day <= datetime.now(UTC).date():
        raise CommandError(f"--expires must be a future date, not {text}")
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    _migrate(settings)
    print(f"database is up to date ({_describe_db(settings)})")
    return 0


def _describe_db(settings: Settings) -> str:
    return (
        settings.database_url.split("@")[-1] if settings.database_url else settings.sqlalchemy_url
    )


def cmd_user_create(args: argparse.Namespace, settings: Settings) -> int:
    def work(session: Session) -> int:
        is_new = (
            session.scalar(select(Organization.id).where(Organization.name == args.org)) is None
        )
        organization = service.get_or_create_organization(session, args.org)
        role = Role(args.role) if args.role else (Role.owner if is_new else Role.member)
        user = service.create_user(
            session, email=args.email, password=args.password, organization=organization, role=role
        )
        print(f"created user {user.email} (id {user.id}), {role.value} of {organization.name}")
        return 0

    return _session_run(settings, work)


def _user(session: Session, email: str) -> User:
    user = service.find_user(session, email)
    if user is None:
        raise CommandError(f"no user with the email {email}")
    return user


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> int:
    expires_at = _parse_expiry(args.expires)

    def work(session: Session) -> int:
        user = _user(session, args.email)
        membership = service.membership_of(session, user, args.org)
        created = service.create_token(
            session,
            user=user,
            organization_id=membership.organization_id,
            name=args.name,
            write=args.write,
            expires_at=expires_at,
        )
        print(created.secret)
        scope = "read+write" if args.write else "read"
        print(f"token {created.token.id} ({scope}) for {args.email}: shown once", file=sys.stderr)
        return 0

    return _session_run(settings, work)


def cmd_token_list(args: argparse.Namespace, settings: Settings) -> int:
    def work(session: Session) -> int:
        tokens = service.list_tokens(session, user=_user(session, args.email))
        print(
            f"{'ID':>5}  {'NAME':<24} {'SCOPES':<11} {'PREFIX':<13} {'EXPIRES':<11} "
            f"{'LAST USED':<20} STATE"
        )
        for t in tokens:
            expired = t.expires_at is not None and t.expires_at <= datetime.now(UTC)
            state = "revoked" if t.revoked else "expired" if expired else "active"
            print(
                f"{t.id:>5}  {t.name[:24]:<24} {t.scopes.replace(' ', '+'):<11} {t.prefix:<13} "
                f"{t.expires_at.date().isoformat() if t.expires_at else '-':<11} "
                f"{t.last_used_at.strftime('%Y-%m-%d %H:%M') if t.last_used_at else '-':<20} "
                f"{state}"
            )
        print(f"{len(tokens)} token(s)", file=sys.stderr)
        return 0

    return _session_run(settings, work)


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> int:
    def work(session: Session) -> int:
        token = service.revoke_token(session, args.id)
        print(f"revoked token {token.id} ({token.name})")
        return 0

    return _session_run(settings, work)


def _membership(session: Session, args: argparse.Namespace) -> int:
    return service.membership_of(session, _user(session, args.email), args.org).organization_id


def cmd_webhook_add(args: argparse.Namespace, settings: Settings) -> int:
    events = [e.strip() for e in (args.events or "*").split(",") if e.strip()]

    def work(session: Session) -> int:
        created = webhooks.subscribe(
            session,
            organization_id=_membership(session, args),
            app=args.app,
            url=args.url,
            events=events,
            box=SecretBox(settings.server_secret()),
        )
        print(created.secret)
        print(
            f"webhook {created.endpoint.id}: {args.app} {created.endpoint.events} -> "
            f"{created.endpoint.url} (signing secret above, shown once)",
            file=sys.stderr,
        )
        return 0

    return _session_run(settings, work)


def cmd_webhook_list(args: argparse.Namespace, settings: Settings) -> int:
    def work(session: Session) -> int:
        endpoints = webhooks.list_endpoints(session, organization_id=_membership(session, args))
        for e in endpoints:
            print(f"{e.id:>5}  {e.app:<12} {e.events:<30} {e.url}")
        print(f"{len(endpoints)} webhook(s)", file=sys.stderr)
        return 0

    return _session_run(settings, work)


def cmd_webhook_remove(args: argparse.Namespace, settings: Settings) -> int:
    def work(session: Session) -> int:
        webhooks.remove_endpoint(session, args.id, organization_id=_membership(session, args))
        print(f"removed webhook {args.id}")
        return 0

    return _session_run(settings, work)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    _migrate(settings)
    base = f"http://{args.host}:{args.port}"
    first_call = {None: "/onepilot/api/v1/ping", "onepilot": "/api/v1/ping"}.get(args.app)
    _session_run(settings, lambda session: _bootstrap(session, base + (first_call or "/healthz")))
    if args.app:
        os.environ["PILOTHOUSE_SINGLE_APP"] = args.app
        get_settings.cache_clear()
    print(f"Pilothouse on {base}  (data: {_describe_db(settings)})", flush=True)
    uvicorn.run(
        "pilothouse.server:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        timeout_graceful_shutdown=10,
        log_level="warning",
    )
    return 0


def _bootstrap(session: Session, try_url: str) -> int:
    boot = service.bootstrap_owner(session)
    if boot is not None:
        print(
            "\nFirst start: an owner account was created. This is shown once; keep it safe.\n"
            f"  email:    {boot.email}\n"
            f"  password: {boot.password}\n"
            f"  token:    {boot.token}   (read + write)\n"
            f"  try:      curl -H 'Authorization: Bearer {boot.token}' "
            f"{try_url}\n",
            flush=True,
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pilothouse", description="Pilothouse API server")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations and start the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--app", choices=list(APP_MODULES), help="serve this one app alone, at its own path"
    )
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(run=cmd_migrate)

    user = commands.add_parser("user", help="manage users").add_subparsers(
        dest="action", required=True
    )
    user_create = user.add_parser("create", help="create a user")
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--password", required=True)
    user_create.add_argument("--org", default=service.DEFAULT_ORGANIZATION)
    user_create.add_argument("--role", choices=[r.value for r in Role])
    user_create.set_defaults(run=cmd_user_create)

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="action", required=True
    )
    token_create = token.add_parser("create", help="create a token; prints it once")
    token_create.add_argument("--email", required=True)
    token_create.add_argument("--name", required=True)
    token_create.add_argument("--write", action="store_true", help="allow writes")
    token_create.add_argument("--expires", help="YYYY-MM-DD: the token stops working that day")
    token_create.add_argument("--org")
    token_create.set_defaults(run=cmd_token_create)
    token_list = token.add_parser("list", help="list a user's tokens")
    token_list.add_argument("--email", required=True)
    token_list.set_defaults(run=cmd_token_list)
    token_revoke = token.add_parser("revoke", help="revoke a token")
    token_revoke.add_argument("id", type=int)
    token_revoke.set_defaults(run=cmd_token_revoke)

    webhook = commands.add_parser("webhook", help="manage webhook subscriptions").add_subparsers(
        dest="action", required=True
    )
    webhook_add = webhook.add_parser("add", help="subscribe a URL; prints its signing secret")
    webhook_add.add_argument("--email", required=True)
    webhook_add.add_argument("--app", required=True, choices=list(APP_MODULES))
    webhook_add.add_argument("--url", required=True)
    webhook_add.add_argument("--events", help="comma-separated event names (default: all)")
    webhook_add.add_argument("--org")
    webhook_add.set_defaults(run=cmd_webhook_add)
    webhook_list = webhook.add_parser("list", help="list the organization's webhooks")
    webhook_list.add_argument("--email", required=True)
    webhook_list.add_argument("--org")
    webhook_list.set_defaults(run=cmd_webhook_list)
    webhook_remove = webhook.add_parser("remove", help="remove a webhook")
    webhook_remove.add_argument("id", type=int)
    webhook_remove.add_argument("--email", required=True)
    webhook_remove.add_argument("--org")
    webhook_remove.set_defaults(run=cmd_webhook_remove)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = get_settings()
    needs_schema = args.command in ("user", "token", "webhook")
    try:
        if needs_schema:
            _migrate(settings)
        return int(args.run(args, settings))
    except (CommandError, ApiError) as error:
        message = error.message if isinstance(error, ApiError) else str(error)
        if isinstance(error, ApiError) and isinstance(error.details, dict):
            message = "; ".join(m for msgs in error.details.values() for m in msgs) or message
        print(f"error: {message}", file=sys.stderr)
        return 1
