#!/usr/bin/env bash
# scripts/cluster-process.sh PIDFILE COMMAND [ARG…]: how supervisord starts each process of `make cluster`.
# Writes this shell's pid to PIDFILE, then becomes COMMAND (exec keeps the pid): the file names the
# server itself, and every restart by supervisord rewrites it.
set -euo pipefail
pidfile="$1"
shift
echo "$$" >"$pidfile.tmp"
mv -f "$pidfile.tmp" "$pidfile"
exec "$@"
