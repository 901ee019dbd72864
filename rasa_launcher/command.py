"""The `rasa run` command line, built inside the process: the token never reaches `argv` of any
process (what `ps` and /proc/<pid>/cmdline show), only this process's memory. The endpoints' tracker
store is checked first (`check_tracker_store`)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml

TOKEN_VARIABLE = "APP_RASA_TOKEN"
TOKEN_OPTION = "--auth-token"
DEFAULT_ENDPOINTS = "endpoints.yml"
# The types Rasa 3.6 builds itself (`_create_from_endpoint_config`); any other is a module path.
RASA_TRACKER_STORES = frozenset({"in_memory", "redis", "mongod", "sql", "dynamo"})


class LaunchRefused(ValueError):
    """A launch that would leave Rasa's HTTP API open, show its token to the machine, or keep the
    conversations in memory by mistake."""


def names_the_token(option: str) -> bool:
    """`-t`, `-tTOKEN`, `--auth-token[=TOKEN]` and what argparse takes as its abbreviation (`--auth`)."""
    name = option.split("=", 1)[0]
    if name.startswith("--"):
        return len(name) > 2 and TOKEN_OPTION.startswith(name)
    return name.startswith("-t")


def rasa_argv(options: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """`rasa run` with its HTTP API on, authenticated by the token in `environ`; `options` are the
    caller's other `rasa run` options (address, model, endpoints, …)."""
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        # Rasa would start anyway, with an HTTP API that accepts anyone (tracker edits, model swaps).
        raise LaunchRefused(f"{TOKEN_VARIABLE} is not set; Rasa's HTTP API needs a token")
    refused = [option for option in options if names_the_token(option)]
    if refused:
        raise LaunchRefused(f"the token comes from {TOKEN_VARIABLE}, not the command line ({refused[0]})")
    # One argument `--auth-token=TOKEN`: a token that starts with "-" (token_urlsafe makes one in 64)
    # would be taken for an option if it came as the next argument.
    return ["rasa", "run", "--enable-api", f"{TOKEN_OPTION}={token}", *options]


def endpoints_file(options: Sequence[str]) -> Path:
    """The endpoints file `rasa run` reads: `--endpoints PATH`, or `endpoints.yml` in its directory."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--endpoints", default=DEFAULT_ENDPOINTS)
    return Path(parser.parse_known_args(list(options))[0].endpoints)


def check_tracker_store(endpoints: Path) -> None:
    """Rasa answers a tracker store type it cannot import with a warning, and keeps every conversation
    in memory instead: lost at the next restart, unseen by the other replicas. Refuse to start."""
    try:
        config = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return  # Rasa starts without endpoints, in memory, as documented
    kind = str((config.get("tracker_store") or {}).get("type") or "")
    if not kind or kind.lower() in RASA_TRACKER_STORES:
        return
    module, _, name = kind.rpartition(".")
    try:
        getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise LaunchRefused(f"the tracker store {kind!r} of {endpoints} does not import ({error})") from error


def main(options: Sequence[str] | None = None) -> int:
    options = sys.argv[1:] if options is None else options
    try:
        argv = rasa_argv(options, os.environ)
        check_tracker_store(endpoints_file(options))
    except LaunchRefused as error:
        print(f"rasa_launcher: {error}", file=sys.stderr)
        return 2
    # Rasa's entry point reads sys.argv, which Python never writes back to the process's cmdline.
    sys.argv = argv
    # Imported only now: Rasa loads TensorFlow on import (seconds), not worth it for a refusal.
    from rasa_launcher.schema_checks import install

    install()
    from rasa.__main__ import main as rasa_main

    rasa_main()
    return 0
