"""``litdesk-server``: run the reference server, or create an account.

    litdesk-server [--db URL] [--host H] [--port P] [--demo]
    litdesk-server create-user --email E --name N --role R [--brand NAME] [--handle H]
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence

import uvicorn
from sqlalchemy import select

from litdesk.domain.orders import Role
from litdesk.server.accounts import AccountError, create_brand, create_user
from litdesk.server.asgi import DATABASE_URL_ENV
from litdesk.server.config import Settings, default_db_url
from litdesk.server.db import Database
from litdesk.server.models import Brand
from litdesk.server.runner import prepare
from litdesk.server.schema import upgrade

PERSON_ROLES = [r.value for r in Role if r is not Role.PAYMENT_SYSTEM]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="litdesk-server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: a SQLite file in the user data "
                        "folder; postgresql://user@host/db for PostgreSQL). "
                        "Also read from LITDESK_DATABASE_URL.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--demo", action="store_true",
                        help="use a demo database and fill it with demo data if it is empty")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (one per core suits PostgreSQL)")
    parser.add_argument("--log-level", default="info",
                        choices=["critical", "error", "warning", "info", "debug"])
    sub = parser.add_subparsers(dest="command")
    user = sub.add_parser("create-user", help="create an account")
    user.add_argument("--db")
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=PERSON_ROLES)
    user.add_argument("--brand", help="brand name (brand staff); created if new")
    user.add_argument("--handle", help="social handle (creators)")
    user.add_argument("--password-stdin", action="store_true",
                      help="read the password from standard input instead of prompting")
    return parser


def _db_url(args: argparse.Namespace) -> str:
    url: str | None = args.db or os.environ.get(DATABASE_URL_ENV)
    return url or default_db_url(demo=getattr(args, "demo", False))


def _create_user(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            print("The passwords differ.", file=sys.stderr)
            return 2
    if not password:
        print("The password may not be empty.", file=sys.stderr)
        return 2
    db = Database(_db_url(args))
    try:
        upgrade(db.engine)
        with db.write() as session:
            brand_id = None
            if args.brand:
                brand = session.execute(
                    select(Brand).where(Brand.name == args.brand)).scalar_one_or_none()
                brand_id = (brand or create_brand(session, args.brand)).id
            user = create_user(session, email=args.email, name=args.name, role=args.role,
                               password=password, brand_id=brand_id, handle=args.handle)
            session.commit()
            print(f"Created {user.role} account {user.email} (id {user.id}).")
    except AccountError as exc:
        print(f"Cannot create the account: {exc}.", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "create-user":
        return _create_user(args)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings(db_url=_db_url(args))
    app, db = prepare(settings)
    if args.demo:
        from litdesk.server.demo import fill_if_empty, is_empty

        if is_empty(db):
            print("Creating demo data (a few seconds) ...", flush=True)
            fill_if_empty(db)
        print("Demo accounts: influencer@, advertiser@, logistics@, creator@, mediator@demo.test;"
              " password 'demo'.")
    print(f"LitDesk server on http://{args.host}:{args.port} "
          f"(database: {db.engine.url.render_as_string(hide_password=True)})", flush=True)
    if args.workers > 1:
        db.dispose()
        os.environ[DATABASE_URL_ENV] = settings.db_url
        uvicorn.run("litdesk.server.asgi:create_from_env", factory=True, workers=args.workers,
                    host=args.host, port=args.port, log_level=args.log_level, lifespan="off")
        return 0
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                lifespan="off")
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
