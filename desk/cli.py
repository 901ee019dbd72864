"""`python -m desk migrate | users list | users create | users ensure`: operating the desk database.

Passwords are read from an environment variable named with `--password-env` (or prompted for),
never from the command line, where other users of the machine could read them.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from desk.database import upgrade_schema
from desk.models import Role
from desk.services import DeskServices
from desk.settings import get_settings
from desk.users import UserError


def _password(args: argparse.Namespace) -> str:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise SystemExit(f"the environment variable {args.password_env} is not set")
        return value
    return getpass.getpass(f"password for {args.username}: ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database schema up to date")
    users = commands.add_parser("users", help="staff accounts").add_subparsers(dest="action", required=True)
    users.add_parser("list", help="list staff accounts")
    for action in ("create", "ensure"):
        sub = users.add_parser(action, help=f"{action} a staff account" + (" if missing" if action == "ensure" else ""))
        sub.add_argument("username")
        sub.add_argument("--role", choices=[r.value for r in Role], required=True)
        sub.add_argument("--name", default="", help="display name")
        sub.add_argument("--password-env", help="environment variable holding the password")
    args = parser.parse_args(argv)

    settings = get_settings()
    upgrade_schema(settings.database_url)
    if args.command == "migrate":
        print("database schema is up to date", file=sys.stderr)
        return 0
    services = DeskServices.for_settings(settings)
    if args.action == "list":
        for user in services.users.list():
            state = "active" if user.active else "inactive"
            print(f"{user.username}\t{user.role}\t{state}\t{user.display_name}")
        return 0
    role = Role(args.role)
    try:
        if args.action == "create":
            user, created = services.users.create(args.username, _password(args), role, args.name), True
        else:
            user, created = services.users.ensure(args.username, _password(args), role, args.name)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if created:
        services.audit.record("system:cli", "user.create", f"user:{user.username}", role=role)
    print(f"{user.username} ({user.role}) {'created' if created else 'already exists'}", file=sys.stderr)
    return 0
