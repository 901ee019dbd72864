"""`python -m desk migrate | users list|create|ensure | tokens list|create|revoke | purge |
forget-customer | orders import|demo | export-labels`: operating the desk database.

Passwords are read from an environment variable named with `--password-env` (or prompted for),
never from the command line, where other users of the machine could read them. A new token's secret
is printed once, as the last line of the output, for a script to take. `purge` and `forget-customer`
report progress on stderr and what they deleted on stdout, a `table<TAB>rows` line each. `orders
import FILE` loads orders and repairs from NDJSON (desk/orders/importing.py): a progress bar and each
refused line on stderr, `created|updated|refused<TAB>n` on stdout; exit status 0 when every line was
stored, 1 when some were refused (the rest are stored), 2 when the file or the database failed.
`orders demo` loads the demo orders and repairs (docs/demo-orders.md), dated to today, and prints
them with the last 4 digits of their phone numbers. `export-labels --out FILE [--format dev|nlu]` writes
the questions leads labelled in the console as the retriever's development set (for `python -m
knowledge calibrate --extra-dev FILE`) or as Rasa NLU examples (e.g. bot/nlu/learned.yml), leaving
out examples the other NLU files beside it already hold (desk/label_export.py).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import yaml

from desk.access import TokenError
from desk.database import upgrade_schema
from desk.erasure import ErasureRefused
from desk.label_export import dev_yaml, nlu_yaml
from desk.models import Role, Scope, TokenRole, utcnow
from desk.orders.demo import load_demo
from desk.orders.importing import run_import
from desk.personal_data import Elsewhere
from desk.question_labels import LabelView
from desk.rasa_tracker import RasaTrackerStore, TrackerStoreError
from desk.retention import Purged
from desk.services import DeskServices
from desk.settings import get_settings
from desk.users import UserError, UserView
from desk.working_days import beijing_date
from knowledge.nlu_examples import examples_in


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
    tokens = commands.add_parser("tokens", help="API tokens").add_subparsers(dest="action", required=True)
    tokens.add_parser("list", help="list API tokens")
    create = tokens.add_parser("create", help="make a token; its secret is the last line printed")
    create.add_argument("name", help="an integration token's name namespaces the conversation ids it chooses")
    create.add_argument("--role", choices=[r.value for r in TokenRole], required=True)
    create.add_argument(
        "--scope",
        action="append",
        choices=[s.value for s in Scope],
        default=[],
        help="an integration token's scope (repeatable; default: every scope)",
    )
    create.add_argument("--owner", help="the user who answers for the token (default: the only admin)")
    create.add_argument("--expires", type=int, metavar="DAYS", help="days until the token expires")
    revoke = tokens.add_parser("revoke", help="revoke a token")
    revoke.add_argument("id", type=int)
    purge = commands.add_parser(
        "purge", help="delete closed conversations idle, and orders unchanged, longer than DESK_RETENTION_DAYS"
    )
    forget = commands.add_parser("forget-customer", help="delete a customer's data, their linked identities' too (P18)")
    forget.add_argument("customer_id", help="as the desk stores it: wechat:<appid>:<openid>, int:<integration>:<id> …")
    forget.add_argument("--reference", help="your ticket number of the request, for the audit log (no personal data)")
    for sub in (purge, forget):
        sub.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
        sub.add_argument(
            "--rasa-tracker-db",
            metavar="PATH_OR_URL",
            help="Rasa's SQL tracker store (RASA_TRACKER_DB's file, or a database URL): delete the same conversations' events",
        )
    orders = commands.add_parser("orders", help="the built-in order store").add_subparsers(dest="action", required=True)
    load = orders.add_parser(
        "import", help="store orders and repairs from NDJSON, one API body a line; exit 1 when lines were refused"
    )
    load.add_argument("file", help="the NDJSON file (- for standard input)")
    demo = orders.add_parser("demo", help="load the demo orders and repairs, dated to today (docs/demo-orders.md)")
    demo.add_argument(
        "--today", type=date.fromisoformat, help="date them to this day, YYYY-MM-DD (default: Beijing's today)"
    )
    export = commands.add_parser("export-labels", help="write the console's question labels as training data")
    export.add_argument("--out", type=Path, required=True, help="the file to write")
    export.add_argument(
        "--format",
        choices=("dev", "nlu"),
        default="dev",
        help="dev: the retriever's development set (python -m knowledge calibrate --extra-dev FILE); "
        "nlu: Rasa NLU examples (e.g. bot/nlu/learned.yml), without those the other .yml files beside it hold",
    )
    args = parser.parse_args(argv)

    settings = get_settings()
    upgrade_schema(settings.database_url)
    if args.command == "migrate":
        print("database schema is up to date", file=sys.stderr)
        return 0
    services = DeskServices.for_settings(settings)
    if args.command == "tokens":
        return _tokens(args, services)
    if args.command in ("purge", "forget-customer"):
        return _delete(args, services)
    if args.command == "orders":
        return _orders(args, services)
    if args.command == "export-labels":
        return _export_labels(args.out, args.format, services)
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


def _tokens(args: argparse.Namespace, services: DeskServices) -> int:
    access = services.access
    if args.action == "list":
        for token in access.tokens():
            state = (
                "revoked"
                if token.revoked_at
                else f"expires {token.expires_at:%Y-%m-%d}"
                if token.expires_at
                else "live"
            )
            scopes = ",".join(token.scopes) or "-"
            print(f"{token.id}\t{token.name}\t{token.role}\t{scopes}\t{token.prefix}…\t{state}")
        return 0
    if args.action == "revoke":
        revoked = access.revoke_token(args.id)
        if revoked is None:
            print(f"error: no token {args.id}", file=sys.stderr)
            return 2
        services.audit.record("system:cli", "token.revoke", f"token:{revoked.name}")
        print(f"token {revoked.id} ({revoked.name}) revoked", file=sys.stderr)
        return 0
    owner = _owner(args.owner, services)
    if owner is None:
        return 2
    if args.expires is not None and args.expires < 1:
        print("error: --expires takes a number of days, at least 1", file=sys.stderr)
        return 2
    try:
        secret, token = access.create_token(
            args.name,
            TokenRole(args.role),
            owner.id,
            [Scope(s) for s in args.scope],
            timedelta(days=args.expires) if args.expires else None,
        )
    except TokenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    services.audit.record(
        "system:cli",
        "token.create",
        f"token:{token.name}",
        role=token.role,
        scopes=list(token.scopes),
        owner=owner.username,
    )
    scopes = f", scopes {', '.join(token.scopes)}" if token.scopes else ""
    print(f"token {token.id} ({token.name}, {token.role}{scopes}) for {owner.username}; shown once:", file=sys.stderr)
    print(secret)
    return 0


def _orders(args: argparse.Namespace, services: DeskServices) -> int:
    if args.action == "import":
        return run_import(args.file, services.order_book, services.audit)
    if args.action == "demo":
        return _demo_orders(args.today or beijing_date(utcnow()), services)
    raise AssertionError(args.action)


def _demo_orders(today: date, services: DeskServices) -> int:
    loaded = load_demo(services.order_book, today)
    demo = loaded.demo
    print(
        f"demo data: {len(demo.orders)} orders and {len(demo.repairs)} repairs dated to {today} (Beijing time): "
        f"{loaded.created} new, {loaded.updated} there already (re-dated)",
        file=sys.stderr,
    )
    if get_settings().order_system != "builtin":
        print("note: DESK_ORDER_SYSTEM is not builtin, so the assistant does not read these", file=sys.stderr)
    print(f"DEMO DATA, made up (docs/demo-orders.md), dated to {today}: the phone check takes the last 4 digits")
    print(f"{'order':<16}{'status':<11}{'phone':<7}shows")
    for entry in demo.orders:
        order = entry.order
        print(f"{order.number:<16}{order.status:<11}{order.customer.phone[-4:]:<7}{entry.shows}")
    print(f"{'repair':<16}{'stage':<15}{'order':<16}{'phone':<7}shows")
    for item in demo.repairs:
        repair = item.repair
        phone = demo.phone_of(repair.order_number)[-4:]
        print(f"{repair.rma_number:<16}{repair.stage:<15}{repair.order_number:<16}{phone:<7}{item.shows}")
    return 0


def _export_labels(out: Path, form: str, services: DeskServices) -> int:
    # Oldest first: a new export of a committed file adds lines at the end, a readable diff.
    labels = sorted(services.labels.labels(), key=lambda label: label.id)
    try:
        text, summary = _labels_text(out, form, labels)
        out.write_text(text, encoding="utf-8")
    except (OSError, yaml.YAMLError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{out}: {summary}", file=sys.stderr)
    return 0


def _labels_text(out: Path, form: str, labels: list[LabelView]) -> tuple[str, str]:
    """The file's text and a line saying what it holds."""
    if form == "dev":
        text = dev_yaml(labels)
        out_of_scope = sum(1 for label in labels if label.out_of_scope)
        summary = f"{len(labels)} questions ({len(labels) - out_of_scope} with an entry, {out_of_scope} out of scope)"
    else:
        beside = sorted(p for p in out.resolve().parent.glob("*.yml") if p != out.resolve())
        export = nlu_yaml(labels, examples_in(beside))
        text = export.text
        counts = ", ".join(f"{intent} {n}" for intent, n in export.examples.items())
        summary = f"examples: {counts}; {export.skipped} left out (already in {len(beside)} NLU files beside it, or not plain text)"
    return text, summary


def _owner(username: str | None, services: DeskServices) -> UserView | None:
    if username is not None:
        user = services.users.by_username(username)
        if user is None or not user.active:
            print(f"error: no active user {username!r}", file=sys.stderr)
        return user if user is not None and user.active else None
    admins = [u for u in services.users.list() if u.role == Role.ADMIN and u.active]
    if len(admins) != 1:
        found = "no active admin" if not admins else f"{len(admins)} admins"
        print(f"error: {found}; name the token's owner with --owner", file=sys.stderr)
        return None
    return admins[0]


def _delete(args: argparse.Namespace, services: DeskServices) -> int:
    """`purge` or `forget-customer`, with Rasa's tracker store when one is named."""
    tracker = None
    if args.rasa_tracker_db:
        try:
            tracker = RasaTrackerStore.at(args.rasa_tracker_db)
        except TrackerStoreError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    else:
        print("Rasa's tracker store is left as it is (--rasa-tracker-db names it)", file=sys.stderr)
    elsewhere: list[Elsewhere] = [tracker] if tracker else []
    doing = "would delete" if args.dry_run else "deleted"
    try:
        rows = (
            _purge(args, services, elsewhere, doing) if args.command == "purge" else _forget(args, services, elsewhere)
        )
    except ErasureRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    finally:
        if tracker is not None:
            tracker.close()
    print(f"{doing}:", file=sys.stderr)
    for table, count in sorted(rows.items()):
        print(f"{table}\t{count}")
    return 0


def _forget(args: argparse.Namespace, services: DeskServices, elsewhere: list[Elsewhere]) -> Counter[str]:
    forgotten = services.erasure.forget_customer(
        args.customer_id, actor="system:cli", reference=args.reference, dry_run=args.dry_run, elsewhere=elsewhere
    )
    print(f"the customer: {forgotten.identities} identities, {forgotten.conversations} conversations", file=sys.stderr)
    return forgotten.rows


def _purge(args: argparse.Namespace, services: DeskServices, elsewhere: list[Elsewhere], doing: str) -> Counter[str]:
    retention = services.retention
    cutoff = retention.cutoff()
    if cutoff is None:
        print("DESK_RETENTION_DAYS is 0: conversations and orders are kept for ever; nothing to purge", file=sys.stderr)
        return Counter()
    print(
        f"closed conversations idle, and orders unchanged, since before {cutoff:%Y-%m-%d %H:%M} UTC "
        f"({retention.days} days):",
        file=sys.stderr,
    )

    def progress(purged: Purged) -> None:
        print(
            f"  {doing} {purged.done} of {purged.found} conversations, {purged.orders_done} of {purged.orders_found} orders",
            file=sys.stderr,
        )

    purged = retention.purge(dry_run=args.dry_run, elsewhere=elsewhere, progress=progress)
    if not purged.found and not purged.orders_found:
        print("  none", file=sys.stderr)
    return purged.rows
