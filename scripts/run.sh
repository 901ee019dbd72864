#!/usr/bin/env bash
# Starts Rasa and the app, waits until both are healthy, prints the URLs, stops both on Ctrl-C.
#
# Settings in the environment win over the instance's secrets file. Instances run side by side on
# other ports (APP_PORT, RASA_PORT): the first (APP_PORT 8000) keeps its state in var/, any other in
# var/instance-<APP_PORT>/ (or INSTANCE_DIR): secrets, database, Rasa's tracker, knowledge index (unless
# DATABASE_URL or KNOWLEDGE_INDEX_DIR say otherwise) and logs, which are appended to, never truncated.
# A port or an instance directory already in use is refused before anything starts.
set -euo pipefail
cd "$(dirname "$0")/.."
# What this writes (database, logs, secrets) holds customers' data: its owner only.
umask 077
export RASA_CACHE_DIRECTORY="${RASA_CACHE_DIRECTORY:-$PWD/var/rasa-cache}"
model="$1"
export APP_HOST="${APP_HOST:-127.0.0.1}" APP_PORT="${APP_PORT:-8000}"
export RASA_PORT="${RASA_PORT:-5005}"
if [ "$APP_PORT" = 8000 ]; then instance="${INSTANCE_DIR:-var}"; else instance="${INSTANCE_DIR:-var/instance-$APP_PORT}"; fi
in_use() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
for address in "$APP_HOST:$APP_PORT" "127.0.0.1:$RASA_PORT"; do
  if in_use "${address%:*}" "${address##*:}"; then
    echo "$address is in use (another instance?); set APP_PORT and RASA_PORT to free ports" >&2
    exit 1
  fi
done
logs="$instance/log"
mkdir -p "$logs"
# One run per instance directory: the lock is held as long as this script or a server it started runs.
if command -v flock >/dev/null; then
  exec 9>>"$instance/run.lock"
  flock -n 9 || { echo "an instance is already running from $instance/; set another APP_PORT or INSTANCE_DIR" >&2; exit 1; }
fi

# The instance's secrets, each only where the environment does not set it already.
admin_password_given="${APP_ADMIN_PASSWORD:+yes}"
secrets_file="$(scripts/secrets.sh "$instance")"
while IFS='=' read -r name value; do
  if [[ $name =~ ^[A-Z][A-Z0-9_]*$ ]] && [ -z "${!name+set}" ]; then export "$name=$value"; fi
done <"$secrets_file"
export APP_RASA_URL="${APP_RASA_URL:-http://127.0.0.1:${RASA_PORT}}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://${APP_HOST}:${APP_PORT}/webhook}"
export RASA_TRACKER_DB="${RASA_TRACKER_DB:-$PWD/$instance/rasa-tracker.db}"
if [ -z "${DATABASE_URL:-}${DESK_DATABASE_URL:-}" ]; then
  export DATABASE_URL="sqlite:///$instance/desk.db"
  # The index is built from this database's knowledge base (publishing rebuilds it): the instance's own
  # too, first copied from the one `make index` built.
  if [ "$instance" != var ] && [ -z "${KNOWLEDGE_INDEX_DIR:-}" ]; then
    export KNOWLEDGE_INDEX_DIR="$instance/index"
    [ -f "$KNOWLEDGE_INDEX_DIR/manifest.json" ] || { rm -rf "$KNOWLEDGE_INDEX_DIR" && cp -R var/index "$KNOWLEDGE_INDEX_DIR"; }
  fi
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
started=$(date +%s)

# The database schema, the first admin and the demo console accounts (passwords in the secrets file).
export APP_ADMIN_PASSWORD="${APP_ADMIN_PASSWORD:-$DEMO_ADMIN_PASSWORD}"
.venv/bin/python -m desk migrate
.venv/bin/python -m desk users ensure admin --role admin --name Administrator --password-env APP_ADMIN_PASSWORD
.venv/bin/python -m desk users ensure lead --role lead --name "Demo lead" --password-env DEMO_LEAD_PASSWORD
.venv/bin/python -m desk users ensure agent --role agent --name "Demo agent" --password-env DEMO_AGENT_PASSWORD
# DEMO DATA: made-up orders and repairs (LM99…, RMA99…) in the built-in order store, re-dated to today,
# so every order and repair lookup can be tried (docs/demo-orders.md). Only on a development instance
# that reads the built-in store; their numbers and phone digits go to a file in the instance directory.
demo_orders=""
if [ "${APP_ENVIRONMENT:-development}" = development ] && [ "${DESK_ORDER_SYSTEM:-builtin}" = builtin ]; then
  .venv/bin/python -m desk orders demo >"$instance/demo-orders.txt"
  demo_orders="$instance/demo-orders.txt"
fi

for log in rasa.out app.log; do echo "--- scripts/run.sh started $(date -u +%FT%TZ) ---" >>"$logs/$log"; done
# The launcher takes Rasa's token from APP_RASA_TOKEN: on the command line, `ps` would show it to all.
.venv-rasa/bin/python -m rasa_launcher -i 127.0.0.1 -p "$RASA_PORT" \
  --model "$model" --endpoints endpoints.yml --credentials credentials.yml \
  --log-file "$logs/rasa.log" >>"$logs/rasa.out" 2>&1 &
rasa_pid=$!
.venv/bin/python -m api >>"$logs/app.log" 2>&1 &
app_pid=$!

# TERM to both, then KILL whatever still runs once the app's grace period (APP_SHUTDOWN_SECONDS) and a
# margin are over: Ctrl-C never hangs on a server that will not stop.
stop() {
  trap - INT TERM EXIT
  kill -TERM "$rasa_pid" "$app_pid" 2>/dev/null || true
  for _ in $(seq 1 $(( (${APP_SHUTDOWN_SECONDS:-10} + 5) * 10 ))); do
    kill -0 "$rasa_pid" 2>/dev/null || kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$rasa_pid" "$app_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

loopback() { case "$1" in 127.* | localhost | ::1) return 0 ;; *) return 1 ;; esac; }
accounts() {
  # Passwords on the screen only on a developer's own machine: elsewhere a terminal is often logged.
  if [ "${APP_ENVIRONMENT:-development}" = development ] && loopback "$APP_HOST"; then
    echo "    lead   lead / ${DEMO_LEAD_PASSWORD}"
    echo "    agent  agent / ${DEMO_AGENT_PASSWORD}"
    if [ -n "$admin_password_given" ]; then
      echo "    admin  admin / (your APP_ADMIN_PASSWORD)"
    else
      echo "    admin  admin / ${APP_ADMIN_PASSWORD}  (demo accounts; passwords in $secrets_file)"
    fi
  else
    echo "    accounts admin, lead and agent: passwords in $secrets_file (readable by $(id -un) only)"
  fi
}

echo "waiting for Rasa (pid $rasa_pid) and the app (pid $app_pid) ..."
for _ in $(seq 1 180); do
  if ! kill -0 $rasa_pid 2>/dev/null; then echo "Rasa stopped; see $logs/rasa.out" >&2; tail -20 "$logs/rasa.out" >&2; exit 1; fi
  if ! kill -0 $app_pid 2>/dev/null; then echo "The app stopped; see $logs/app.log" >&2; tail -20 "$logs/app.log" >&2; exit 1; fi
  if curl -fsS "http://${APP_HOST}:${APP_PORT}/healthz" >/dev/null 2>&1; then
    echo "healthy after $(( $(date +%s) - started ))s"
    echo "  web chat demo     http://${APP_HOST}:${APP_PORT}/   (widget: <script src=\"http://${APP_HOST}:${APP_PORT}/chat/widget.js\" defer></script>)"
    echo "  conversation API  http://${APP_HOST}:${APP_PORT}/api/v1/conversations/{id}/messages"
    echo "  API docs          http://${APP_HOST}:${APP_PORT}/docs"
    echo "  support console   http://${APP_HOST}:${APP_PORT}/console"
    accounts
    if [ -n "$demo_orders" ]; then
      echo "  demo orders       $demo_orders (DEMO DATA: order and RMA numbers, phone digits; docs/demo-orders.md)"
    fi
    echo "  health, metrics   http://${APP_HOST}:${APP_PORT}/healthz  http://${APP_HOST}:${APP_PORT}/metrics"
    echo "  Rasa              ${APP_RASA_URL} (REST channel and HTTP API, loopback only)"
    echo "logs in $logs/. Ctrl-C stops both."
    wait -n $rasa_pid $app_pid
    exit $?
  fi
  sleep 1
done
echo "not healthy after 180s; see $logs/" >&2
exit 1
