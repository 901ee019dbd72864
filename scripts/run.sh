#!/usr/bin/env bash
# Starts Rasa and the app, waits until both are healthy, prints the URLs, stops both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_CACHE_DIRECTORY="${RASA_CACHE_DIRECTORY:-$PWD/var/rasa-cache}"
model="$1"
set -a; . "$(scripts/secrets.sh)"; set +a
export APP_HOST="${APP_HOST:-127.0.0.1}" APP_PORT="${APP_PORT:-8000}"
export RASA_PORT="${RASA_PORT:-5005}"
export APP_RASA_URL="${APP_RASA_URL:-http://127.0.0.1:${RASA_PORT}}"
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://${APP_HOST}:${APP_PORT}/webhook}"
export RASA_TRACKER_DB="${RASA_TRACKER_DB:-$PWD/var/rasa-tracker.db}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
mkdir -p var/log
started=$(date +%s)

# The database schema, the first admin and the demo console accounts (passwords in var/secrets.env).
export APP_ADMIN_PASSWORD="${APP_ADMIN_PASSWORD:-$DEMO_ADMIN_PASSWORD}"
.venv/bin/python -m desk migrate
.venv/bin/python -m desk users ensure admin --role admin --name Administrator --password-env APP_ADMIN_PASSWORD
.venv/bin/python -m desk users ensure lead --role lead --name "Demo lead" --password-env DEMO_LEAD_PASSWORD
.venv/bin/python -m desk users ensure agent --role agent --name "Demo agent" --password-env DEMO_AGENT_PASSWORD

.venv-rasa/bin/rasa run --enable-api --auth-token "$APP_RASA_TOKEN" -i 127.0.0.1 -p "$RASA_PORT" \
  --model "$model" --endpoints endpoints.yml --credentials credentials.yml \
  --log-file var/log/rasa.log >var/log/rasa.out 2>&1 &
rasa_pid=$!
.venv/bin/python -m api >var/log/app.log 2>&1 &
app_pid=$!
trap 'kill $rasa_pid $app_pid 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

echo "waiting for Rasa (pid $rasa_pid) and the app (pid $app_pid) ..."
for _ in $(seq 1 180); do
  if ! kill -0 $rasa_pid 2>/dev/null; then echo "Rasa stopped; see var/log/rasa.out" >&2; tail -20 var/log/rasa.out >&2; exit 1; fi
  if ! kill -0 $app_pid 2>/dev/null; then echo "The app stopped; see var/log/app.log" >&2; tail -20 var/log/app.log >&2; exit 1; fi
  if curl -fsS "http://${APP_HOST}:${APP_PORT}/healthz" >/dev/null 2>&1; then
    echo "healthy after $(( $(date +%s) - started ))s"
    echo "  web chat demo     http://${APP_HOST}:${APP_PORT}/   (widget: <script src=\"http://${APP_HOST}:${APP_PORT}/chat/widget.js\" defer></script>)"
    echo "  conversation API  http://${APP_HOST}:${APP_PORT}/api/v1/conversations/{id}/messages"
    echo "  API docs          http://${APP_HOST}:${APP_PORT}/docs"
    echo "  support console   http://${APP_HOST}:${APP_PORT}/console"
    echo "    lead   lead / ${DEMO_LEAD_PASSWORD}"
    echo "    agent  agent / ${DEMO_AGENT_PASSWORD}"
    echo "    admin  admin / ${APP_ADMIN_PASSWORD}  (demo accounts; passwords in var/secrets.env)"
    echo "  health, metrics   http://${APP_HOST}:${APP_PORT}/healthz  http://${APP_HOST}:${APP_PORT}/metrics"
    echo "  Rasa              ${APP_RASA_URL} (REST channel and HTTP API, loopback only)"
    echo "logs in var/log/. Ctrl-C stops both."
    wait -n $rasa_pid $app_pid
    exit $?
  fi
  sleep 1
done
echo "not healthy after 180s; see var/log/" >&2
exit 1
