#!/usr/bin/env bash
# Several replicas on one machine (`make cluster`, `make cluster-down`; docs/cluster.md):
#
#   scripts/cluster.sh up MODEL    check what it needs, write the configs, migrate once, start, wait until healthy
#   scripts/cluster.sh down        stop everything (safe to run twice)
#   scripts/cluster.sh status      what supervisord and the balancer say
#   scripts/cluster.sh config MODEL  only write the configs (tests check them)
#   scripts/cluster.sh rollout MODEL another Rasa model to every Rasa replica, one at a time (drained first)
#
# CLUSTER_APPS app replicas and CLUSTER_RASAS Rasa replicas, supervised by supervisord (restarted when
# they stop, a log each), behind HAProxy on 127.0.0.1:CLUSTER_PORT, against the PostgreSQL of
# CLUSTER_DATABASE_URL (desk database, and Rasa's tracker store in <database>_rasa) and the Redis of
# CLUSTER_REDIS_URL (live events, socket.io, knowledge publications and rate limits, on channels named
# after the database; Rasa's lock store in the next database index).
# Everything it writes is in CLUSTER_DIR (var/cluster): configs, `env` (the deployment's settings, for
# the project's CLIs: `set -a; . var/cluster/env`), `<name>.pid` of every process, `log/`.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
# The env file, the logs and the databases' passwords are the owner's only.
umask 077

usage() {
  echo "usage: scripts/cluster.sh up MODEL | down | status | config MODEL | rollout MODEL" >&2
  exit 2
}
action="${1:-}"
[ -n "$action" ] || usage
shift

apps="${CLUSTER_APPS:-2}"
rasas="${CLUSTER_RASAS:-2}"
port="${CLUSTER_PORT:-8080}"
database_url="${CLUSTER_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/lumio_cluster}"
redis_url="${CLUSTER_REDIS_URL:-redis://127.0.0.1:6379/0}"
wait_seconds="${CLUSTER_WAIT_SECONDS:-420}"
dir="${CLUSTER_DIR:-var/cluster}"
case "$dir" in /*) ;; *) dir="$root/$dir" ;; esac
for setting in "CLUSTER_APPS=$apps" "CLUSTER_RASAS=$rasas" "CLUSTER_PORT=$port" "CLUSTER_WAIT_SECONDS=$wait_seconds"; do
  [[ ${setting#*=} =~ ^[1-9][0-9]*$ ]] || { echo "${setting%%=*} must be a positive whole number, not '${setting#*=}'" >&2; exit 2; }
done
if [ "$apps" -gt 20 ] || [ "$rasas" -gt 20 ]; then echo "CLUSTER_APPS and CLUSTER_RASAS go up to 20" >&2; exit 2; fi
[ "$port" -le 65000 ] || { echo "CLUSTER_PORT must leave room for the replicas' ports (at most 65000)" >&2; exit 2; }

# The ports: the balancer's public one, its loopback ones for Rasa and for its statistics, and one per
# replica (loopback only; only the balancer talks to them).
rasa_balancer_port=$((port + 1))
stats_port=$((port + 2))
app_port() { echo $((port + 100 + $1)); }
rasa_port() { echo $((port + 200 + $1)); }

supervisor_conf="$dir/supervisord.conf"
supervisor_pid="$dir/supervisord.pid"
ctl() { "$root/.venv/bin/supervisorctl" -c "$supervisor_conf" "$@"; }
# A process that runs (a zombie whose parent does not reap it does not).
alive() {
  if [ -d /proc/self ]; then
    [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]
  else
    kill -0 "$1" 2>/dev/null
  fi
}
supervisor_running() { [ -s "$supervisor_pid" ] && alive "$(cat "$supervisor_pid")"; }

# Connection pools (docs/cluster.md has the arithmetic against PostgreSQL's max_connections): per app
# replica DESK_DATABASE_POOL_SIZE + DESK_DATABASE_MAX_OVERFLOW, per Rasa replica SQL_POOL_SIZE +
# SQL_MAX_OVERFLOW for its turns (Rasa's own default, 50 + 100 per process, is far more than one
# process can use) and one for the rest (a conversation's whole history, read now and then).
app_pool="${DESK_DATABASE_POOL_SIZE:-5}"
app_overflow="${DESK_DATABASE_MAX_OVERFLOW:-10}"
rasa_pool="${SQL_POOL_SIZE:-2}"
rasa_overflow="${SQL_MAX_OVERFLOW:-3}"
connections=$((apps * (app_pool + app_overflow) + rasas * (rasa_pool + rasa_overflow + 1)))

# What write_configs reads from the two URLs (global: `up` prints some).
pg_host="" pg_port="" pg_user="" pg_password_yaml="" pg_database="" desk_url="" desk_url_shown="" tracker_url=""
redis_host="" redis_port="" redis_db="" redis_password_yaml="" redis_url_shown="" tracker_database="" lock_db=""

# The parts of the two URLs that Rasa's endpoints need, and the databases' names, read by the app's
# own libraries (SQLAlchemy's URL parser: quoting and defaults as the app will see them).
describe_urls() {
  "$root/.venv/bin/python" - "$database_url" "$redis_url" <<'EOF'
import json, sys
from urllib.parse import unquote, urlsplit
from sqlalchemy.engine import make_url

from desk.database import normalise_url

database = make_url(normalise_url(sys.argv[1]))
if not database.drivername.startswith("postgresql"):
    sys.exit(f"CLUSTER_DATABASE_URL must be a PostgreSQL URL (postgresql+psycopg://user@host:5432/name), not {database.drivername}")
if not database.database:
    sys.exit("CLUSTER_DATABASE_URL must name a database (…/lumio_cluster)")
redis = urlsplit(sys.argv[2])
if redis.scheme not in ("redis", "rediss"):
    sys.exit("CLUSTER_REDIS_URL must be a redis:// URL")
redis_db = int(redis.path.strip("/") or 0)
values = {
    "pg_host": database.host or "127.0.0.1",
    "pg_port": database.port or 5432,
    "pg_user": database.username or "postgres",
    # YAML (double-quoted: JSON is YAML) for Rasa's endpoints, where a password is written as it is.
    "pg_password_yaml": json.dumps(database.password) if database.password else "",
    "pg_database": database.database,
    "desk_url": database.render_as_string(hide_password=False),
    "desk_url_shown": database.render_as_string(hide_password=True),
    "tracker_url": database.set(drivername="postgresql", database=f"{database.database}_rasa").render_as_string(
        hide_password=False
    ),
    "redis_host": redis.hostname or "127.0.0.1",
    "redis_port": redis.port or 6379,
    "redis_db": redis_db,
    "redis_password_yaml": json.dumps(unquote(redis.password)) if redis.password else "",
    "redis_url_shown": redis._replace(netloc=redis.netloc.rpartition("@")[2]).geturl(),
}
for name, value in values.items():
    print(f"{name}={value}")
EOF
}

write_configs() {
  local model="$1" name value i described
  case "$model" in /*) ;; *) model="$root/$model" ;; esac
  # Globals: print_picture shows the URLs (without their passwords).
  described="$(describe_urls)" || exit 2
  while IFS='=' read -r name value; do
    case "$name" in
      pg_host | pg_port | pg_user | pg_password_yaml | pg_database | desk_url | desk_url_shown | tracker_url | \
        redis_host | redis_port | redis_db | redis_password_yaml | redis_url_shown)
        printf -v "$name" '%s' "$value" ;;
    esac
  done <<<"$described"
  tracker_database="${pg_database}_rasa"
  # The replicas' channels on Redis (live events, socket.io) are the deployment's, named after its
  # database: two deployments on one Redis never hear each other (pub/sub ignores database indexes).
  local redis_prefix="${pg_database//[^A-Za-z0-9_.:-]/-}"
  lock_db="${CLUSTER_RASA_LOCK_DB:-$(((redis_db + 1) % 16))}"
  mkdir -p "$dir/log"
  # The Rasa replicas load the model this link names when they start: `rollout` points it at another.
  ln -sfn "$model" "$dir/model.tar.gz"

  # The secrets: the environment's first, else the deployment's own file (made once, kept).
  local secrets_file
  secrets_file="$(scripts/secrets.sh "$dir")"
  while IFS='=' read -r name value; do
    if [[ $name =~ ^[A-Z][A-Z0-9_]*$ ]] && [ -z "${!name+set}" ]; then printf -v "$name" '%s' "$value"; fi
  done <"$secrets_file"

  # What every process and the project's CLIs read (`set -a; . var/cluster/env`): shell-quoted.
  {
    echo "# Written by scripts/cluster.sh; settings of the deployment in $dir (docs/cluster.md)."
    printf '%s=%q\n' \
      DATABASE_URL "$desk_url" \
      DESK_DATABASE_POOL_SIZE "$app_pool" \
      DESK_DATABASE_MAX_OVERFLOW "$app_overflow" \
      APP_ENVIRONMENT "${APP_ENVIRONMENT:-development}" \
      APP_HOST 127.0.0.1 \
      APP_RASA_URL "http://127.0.0.1:$rasa_balancer_port" \
      APP_RASA_TOKEN "$APP_RASA_TOKEN" \
      APP_ACTION_TOKEN "$APP_ACTION_TOKEN" \
      APP_SECRET_KEY "$APP_SECRET_KEY" \
      APP_ADMIN_PASSWORD "${APP_ADMIN_PASSWORD:-$DEMO_ADMIN_PASSWORD}" \
      DEMO_ADMIN_PASSWORD "$DEMO_ADMIN_PASSWORD" \
      DEMO_LEAD_PASSWORD "$DEMO_LEAD_PASSWORD" \
      DEMO_AGENT_PASSWORD "$DEMO_AGENT_PASSWORD" \
      APP_MIGRATE_ON_START false \
      APP_TRUSTED_PROXIES 127.0.0.1/32 \
      APP_REDIS_URL "$redis_url" \
      APP_REDIS_PREFIX "${APP_REDIS_PREFIX:-$redis_prefix}" \
      KNOWLEDGE_INDEX_DIR "$dir/index" \
      ACTION_ENDPOINT_URL "http://127.0.0.1:$port/webhook" \
      RASA_TRACKER_DB "$tracker_url" \
      SQL_POOL_SIZE "$rasa_pool" \
      SQL_MAX_OVERFLOW "$rasa_overflow" \
      RASA_CACHE_DIRECTORY "$root/var/rasa-cache" \
      HF_HUB_OFFLINE 1 \
      TRANSFORMERS_OFFLINE 1 \
      CLUSTER_APPS "$apps" \
      CLUSTER_RASAS "$rasas" \
      CLUSTER_PORT "$port" \
      CLUSTER_URL "http://127.0.0.1:$port"
  } >"$dir/env.tmp"
  chmod 600 "$dir/env.tmp"
  mv -f "$dir/env.tmp" "$dir/env"

  # Rasa's endpoints: the shared tracker store and lock store, actions through the balancer.
  # `${APP_ACTION_TOKEN}` unquoted: Rasa substitutes it from the environment (see endpoints.yml).
  {
    echo "# Written by scripts/cluster.sh for the Rasa replicas of $dir (docs/cluster.md)."
    echo "action_endpoint:"
    echo "  url: http://127.0.0.1:$port/webhook"
    echo "  token: \${APP_ACTION_TOKEN}"
    echo "# Every replica reads and writes every conversation here (pool: SQL_POOL_SIZE + SQL_MAX_OVERFLOW)."
    echo "tracker_store:"
    echo "  type: rasa_launcher.tracker_store.AsyncPostgresTrackerStore"
    echo "  dialect: postgresql"
    echo "  url: $pg_host"
    echo "  port: $pg_port"
    echo "  db: $tracker_database"
    echo "  username: $pg_user"
    [ -z "$pg_password_yaml" ] || echo "  password: $pg_password_yaml"
    echo "# A conversation's turns one at a time, whichever replica takes them."
    echo "lock_store:"
    echo "  type: redis"
    echo "  url: $redis_host"
    echo "  port: $redis_port"
    echo "  db: $lock_db"
    [ -z "$redis_password_yaml" ] || echo "  password: $redis_password_yaml"
    echo "  key_prefix: lumio"
  } >"$dir/endpoints.yml"

  # The balancer. Customers, browsers, integrations and Rasa's action calls come in on CLUSTER_PORT
  # and go round the app replicas; a cookie keeps a browser on its replica (socket.io's long polling
  # needs every request of a session on one process). The Rasa replicas have a listener of their own
  # on loopback: Rasa's HTTP API (it reads and rewrites any tracker) never shares the public port.
  {
    cat <<EOF
# Written by scripts/cluster.sh (docs/cluster.md).
global
    log stdout format raw local0 info
    maxconn 4096
    # The runtime API, the owner's only: the rollout drains a Rasa replica before restarting it.
    stats socket $dir/haproxy.sock mode 600 level admin

defaults
    mode http
    log global
    option dontlognull
    # HAProxy's httplog with the path only: query strings (Rasa's action token, event-stream tickets)
    # never reach the log.
    log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %{+Q}HM %{+Q}HP"
    # A request whose replica is down (or stopped while the request waited) goes to another one.
    option redispatch
    retries 2
    timeout connect 5s
    timeout http-request 15s
    timeout queue 30s
    # Longer than a turn may wait for Rasa (engine.turns.TURN_DEADLINE, 45 s).
    timeout client 90s
    timeout server 90s
    # WebSockets (the web chat, socket.io) and event streams stay open for an hour of silence.
    timeout tunnel 1h
    timeout client-fin 10s
    default-server inter 2s fall 3 rise 2

frontend public
    bind 127.0.0.1:$port
    # The replicas believe it from the balancer only (APP_TRUSTED_PROXIES=127.0.0.1/32).
    option forwardfor
    # The balancer's own 502 (a replica died with the request inside), 503 (no replica up) and 504 say
    # when to send again, as the app's retryable errors do; the app's own Retry-After is kept.
    http-after-response set-header Retry-After 2 if { status 502:504 } !{ res.hdr(retry-after) -m found }
    default_backend app

backend app
    balance roundrobin
    cookie SERVERID insert indirect nocache httponly
    # /readyz: the replica's database and index. Not Rasa: without it a message is stored and answered
    # once Rasa is back, so a Rasa outage must not take every replica out (customers would get the
    # balancer's 503 and nothing stored). No answer at all takes a replica out.
    option httpchk GET /readyz
    http-check expect status 200
    http-response set-header X-Served-By %[srv_name]
EOF
    for i in $(seq 1 "$apps"); do
      echo "    server app$i 127.0.0.1:$(app_port "$i") check cookie app$i"
    done
    cat <<EOF

frontend rasa_loopback
    bind 127.0.0.1:$rasa_balancer_port
    default_backend rasa

backend rasa
    # Any replica takes any conversation (shared tracker store, Redis locks): the least busy one.
    balance leastconn
    # Rasa answers / only once its model is loaded (it loads before it listens).
    option httpchk GET /
    http-check expect status 200
EOF
    for i in $(seq 1 "$rasas"); do
      echo "    server rasa$i 127.0.0.1:$(rasa_port "$i") check"
    done
    cat <<EOF

listen stats
    bind 127.0.0.1:$stats_port
    stats enable
    stats uri /
    stats refresh 5s
EOF
  } >"$dir/haproxy.cfg"

  # The supervisor: one program per process, each restarted when it stops, each with its log.
  local shutdown=$((${APP_SHUTDOWN_SECONDS:-10} + 5))
  program() { # name autostart stopwaitsecs command…
    local name="$1" autostart="$2" stopwait="$3"
    shift 3
    cat <<EOF

[program:$name]
command=$root/scripts/cluster-process.sh $dir/$name.pid $*
directory=$root
autostart=$autostart
autorestart=true
startsecs=3
startretries=10
stopsignal=TERM
stopwaitsecs=$stopwait
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$dir/log/$name.log
stdout_logfile_maxbytes=50MB
stdout_logfile_backups=3
EOF
  }
  {
    cat <<EOF
; Written by scripts/cluster.sh (docs/cluster.md). supervisord runs with the settings of $dir/env.
[unix_http_server]
file=$dir/supervisor.sock
chmod=0700

[supervisord]
pidfile=$supervisor_pid
logfile=$dir/log/supervisord.log
childlogdir=$dir/log
directory=$root
umask=077
identifier=lumio-cluster

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$dir/supervisor.sock
EOF
    program balancer true 10 "$(command -v haproxy || echo /usr/sbin/haproxy)" -W -db -f "$dir/haproxy.cfg"
    for i in $(seq 1 "$rasas"); do
      program "rasa$i" true 20 "$root/.venv-rasa/bin/python" -m rasa_launcher -i 127.0.0.1 -p "$(rasa_port "$i")" \
        --model "$dir/model.tar.gz" --endpoints "$dir/endpoints.yml" --credentials "$root/credentials.yml"
    done
    # The first app replica alone at first: it seeds an empty knowledge base; `up` starts the others
    # once it answers.
    for i in $(seq 1 "$apps"); do
      program "app$i" "$([ "$i" = 1 ] && echo true || echo false)" "$shutdown" "$root/.venv/bin/python" -m api
      echo "environment=APP_PORT=\"$(app_port "$i")\""
    done
  } >"$dir/supervisord.conf"
}

# What `up` needs, each missing thing said at once.
check_prerequisites() {
  local model="$1" missing=()
  if ! command -v haproxy >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "[cluster] installing Debian's haproxy"
      mkdir -p var/log
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy >var/log/haproxy-install.log 2>&1 \
        || { apt-get update >>var/log/haproxy-install.log 2>&1 \
          && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy >>var/log/haproxy-install.log 2>&1; } \
        || true
    fi
    command -v haproxy >/dev/null 2>&1 \
      || missing+=("HAProxy: install it with 'sudo apt-get install -y haproxy' (Debian, Ubuntu)")
  fi
  [ -x .venv/bin/supervisord ] || missing+=("supervisord in .venv: run 'make install' (requirements-dev.txt pins supervisor)")
  [ -f "$model" ] || missing+=("the Rasa model $model: run 'make model'")
  [ -f var/index/manifest.json ] || missing+=("the knowledge index var/index: run 'make index'")
  local answer
  if ! answer="$(database_check)"; then missing+=("$answer"); fi
  if ! answer="$(redis_check)"; then missing+=("$answer"); fi
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "make cluster needs:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
  fi
}

# PostgreSQL answers, with max_connections room for the pools; the two databases exist (made when missing).
database_check() {
  "$root/.venv/bin/python" - "$database_url" "$connections" <<'EOF'
import sys
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from desk.database import normalise_url

url = make_url(normalise_url(sys.argv[1]))
pools = int(sys.argv[2])
where = f"{url.host or '127.0.0.1'}:{url.port or 5432}"
try:
    connection = psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
        password=url.password, dbname="postgres", autocommit=True, connect_timeout=3,
    )
except psycopg.OperationalError as error:
    reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
    print(f"PostgreSQL answering at {where} (CLUSTER_DATABASE_URL): {reason}")
    sys.exit(1)
with connection:
    most = int(connection.execute("SHOW max_connections").fetchone()[0])
    reserved = int(connection.execute("SHOW superuser_reserved_connections").fetchone()[0])
    if pools > most - reserved - 10:
        print(
            f"room for the replicas' pools at PostgreSQL {where}: it allows {most} connections ({reserved} "
            f"reserved, 10 kept for the CLIs), the pools may open {pools}: fewer replicas, smaller pools "
            "(docs/cluster.md) or a larger max_connections"
        )
        sys.exit(1)
    for name in (url.database, f"{url.database}_rasa"):
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"[cluster] created the database {name} at {where}", file=sys.stderr)
EOF
}

redis_check() {
  "$root/.venv/bin/python" - "$redis_url" <<'EOF'
import sys
import redis

url = sys.argv[1]
client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
try:
    client.ping()
except redis.RedisError as error:
    where = f"{client.connection_pool.connection_kwargs.get('host')}:{client.connection_pool.connection_kwargs.get('port')}"
    print(f"Redis answering at {where} (CLUSTER_REDIS_URL): {error}")
    sys.exit(1)
EOF
}

in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

all_ports() {
  echo "$port" "$rasa_balancer_port" "$stats_port"
  for i in $(seq 1 "$apps"); do app_port "$i"; done
  for i in $(seq 1 "$rasas"); do rasa_port "$i"; done
}

# Every server of both backends UP in the balancer's statistics (CSV: pxname, svname, …, status 18th).
balancer_all_up() {
  local table
  table="$(curl -fsS --max-time 2 "http://127.0.0.1:$stats_port/;csv" 2>/dev/null)" || return 1
  local down
  down="$(awk -F, '($1 == "app" || $1 == "rasa") && $2 != "BACKEND" && $2 != "FRONTEND" && $18 != "UP" {print $2}' <<<"$table")"
  [ -z "$down" ] && grep -q '^app,app1,' <<<"$table"
}

# /healthz answered 200 by replica `app$1` through the balancer (its cookie picks it).
healthy_through_balancer() {
  local served
  served="$(curl -fsS --max-time 5 -o /dev/null -D - -b "SERVERID=app$1" "http://127.0.0.1:$port/healthz" 2>/dev/null \
    | tr -d '\r' | awk -F': ' 'tolower($1) == "x-served-by" {print $2}')" || return 1
  [ "$served" = "app$1" ]
}

print_picture() {
  local app_ports rasa_ports
  app_ports="$(for i in $(seq 1 "$apps"); do printf 'app%s :%s  ' "$i" "$(app_port "$i")"; done)"
  rasa_ports="$(for i in $(seq 1 "$rasas"); do printf 'rasa%s :%s  ' "$i" "$(rasa_port "$i")"; done)"
  cat <<EOF
  customers, browsers, integrations ──► HAProxy 127.0.0.1:$port ──(cookie SERVERID)──► $app_ports
  app replicas ──► HAProxy 127.0.0.1:$rasa_balancer_port (loopback) ──► $rasa_ports
  Rasa replicas ──(actions)──► HAProxy 127.0.0.1:$port/webhook ──► app replicas
  PostgreSQL $desk_url_shown (Rasa's tracker store: ${tracker_database})   Redis $redis_url_shown (Rasa's locks: db $lock_db)
EOF
}

up() {
  local model="${1:-}"
  [ -n "$model" ] || usage
  case "$model" in /*) ;; *) model="$root/$model" ;; esac
  if supervisor_running; then
    echo "the cluster of $dir is already running (scripts/cluster.sh status; make cluster-down stops it)" >&2
    exit 1
  fi
  local started
  started=$(date +%s)
  check_prerequisites "$model"
  local taken=()
  for p in $(all_ports); do in_use "$p" && taken+=("$p"); done
  if [ "${#taken[@]}" -gt 0 ]; then
    echo "127.0.0.1 ports in use: ${taken[*]}; set CLUSTER_PORT (the balancer takes it and the next two," \
      "app replicas +101…, Rasa replicas +201…)" >&2
    exit 1
  fi
  write_configs "$model"
  haproxy -c -q -f "$dir/haproxy.cfg"
  # The replicas share one knowledge index, the deployment's own (publishing rebuilds it for all).
  [ -f "$dir/index/manifest.json" ] || { rm -rf "$dir/index" && cp -R var/index "$dir/index"; }
  rm -f "$dir"/*.pid

  set -a
  # shellcheck disable=SC1091
  . "$dir/env"
  set +a
  # Once, before any replica: the schema, the first admin, the demo accounts and demo orders.
  .venv/bin/python -m desk migrate
  .venv/bin/python -m desk users ensure admin --role admin --name Administrator --password-env APP_ADMIN_PASSWORD
  .venv/bin/python -m desk users ensure lead --role lead --name "Demo lead" --password-env DEMO_LEAD_PASSWORD
  .venv/bin/python -m desk users ensure agent --role agent --name "Demo agent" --password-env DEMO_AGENT_PASSWORD
  local demo_orders=""
  if [ "$APP_ENVIRONMENT" = development ] && [ "${DESK_ORDER_SYSTEM:-builtin}" = builtin ]; then
    .venv/bin/python -m desk orders demo >"$dir/demo-orders.txt"
    demo_orders="$dir/demo-orders.txt"
  fi

  .venv/bin/supervisord -c "$supervisor_conf"
  for _ in $(seq 1 50); do [ -s "$supervisor_pid" ] && break; sleep 0.1; done
  echo "started supervisord (pid $(cat "$supervisor_pid" 2>/dev/null || echo '?')): $apps app and $rasas Rasa replicas behind HAProxy; waiting ..."
  local deadline=$((started + wait_seconds)) others=()
  for i in $(seq 2 "$apps"); do others+=("app$i"); done
  if [ "${#others[@]}" -gt 0 ]; then
    until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$(app_port 1)/healthz"; do
      [ "$(date +%s)" -lt "$deadline" ] || not_healthy "app1 did not answer"
      sleep 1
    done
    ctl start "${others[@]}" || not_healthy "could not start ${others[*]}"
  fi
  until balancer_all_up && all_apps_healthy; do
    [ "$(date +%s)" -lt "$deadline" ] || not_healthy "not every replica is healthy"
    sleep 2
  done
  echo "healthy after $(($(date +%s) - started))s: every app replica answers /healthz through the balancer, every Rasa replica is up"
  echo "  web chat demo     http://127.0.0.1:$port/"
  echo "  conversation API  http://127.0.0.1:$port/api/v1/conversations/{id}/messages"
  echo "  support console   http://127.0.0.1:$port/console   (lead / agent / admin: passwords in $dir/secrets.env)"
  [ -z "$demo_orders" ] || echo "  demo orders       $demo_orders (DEMO DATA; docs/demo-orders.md)"
  echo "  balancer stats    http://127.0.0.1:$stats_port/   (loopback)"
  echo "  settings          $dir/env   (set -a; . $dir/env   then the project's CLIs reach the same database)"
  echo "  processes         scripts/cluster.sh status; pids in $dir/<name>.pid; logs in $dir/log/"
  print_picture
  echo "make cluster-down stops it."
}

# A command to the balancer's runtime API (its unix socket), its answer on stdout.
balancer_command() {
  "$root/.venv/bin/python" -c '
import socket, sys
with socket.socket(socket.AF_UNIX) as connection:
    connection.settimeout(5)
    connection.connect(sys.argv[1])
    connection.sendall(sys.argv[2].encode() + b"\n")
    answer = b""
    while chunk := connection.recv(65536):
        answer += chunk
print(answer.decode(), end="")
' "$dir/haproxy.sock" "$1"
}

# The balancer's view of one Rasa replica: its state (UP, DOWN, DRAIN, MAINT …) and its open requests.
rasa_server_state() { balancer_command "show stat" | awk -F, -v name="$1" '$1 == "rasa" && $2 == name {print $18, $5}'; }

# Another model for every Rasa replica, one at a time, so the others answer meanwhile: the balancer
# stops sending it new turns (drain) and waits for those it has (up to a turn's deadline), the
# supervisor restarts it on the new model, and it takes turns again once it answers. Conversations
# live in the shared tracker store, so whichever replica takes a conversation's next turn has it; a
# turn the balancer could not place is stored by the app and retried (a 503 with Retry-After).
rollout() {
  local model="${1:-}"
  [ -n "$model" ] || usage
  case "$model" in /*) ;; *) model="$root/$model" ;; esac
  supervisor_running || { echo "the cluster of $dir is not running (make cluster starts it)" >&2; exit 1; }
  [ -f "$model" ] || { echo "no model at $model" >&2; exit 2; }
  ln -sfn "$model" "$dir/model.tar.gz.new" && mv -Tf "$dir/model.tar.gz.new" "$dir/model.tar.gz"
  local i name state open deadline started
  for i in $(seq 1 "$rasas"); do
    name="rasa$i"
    started=$(date +%s)
    balancer_command "set server rasa/$name state drain" >/dev/null
    deadline=$((started + 45))
    while read -r state open < <(rasa_server_state "$name") && [ "${open:-0}" != 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do
      sleep 0.5
    done
    ctl restart "$name" >/dev/null
    deadline=$((started + wait_seconds))
    until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$(rasa_port "$i")/"; do
      [ "$(date +%s)" -lt "$deadline" ] || { echo "$name did not come back on $model; see $dir/log/$name.log" >&2; exit 1; }
      sleep 1
    done
    balancer_command "set server rasa/$name state ready" >/dev/null
    until read -r state open < <(rasa_server_state "$name") && [ "$state" = UP ]; do
      [ "$(date +%s)" -lt "$deadline" ] || { echo "the balancer does not see $name up" >&2; exit 1; }
      sleep 0.5
    done
    echo "$name on $(basename "$model") (pid $(cat "$dir/$name.pid"), $(($(date +%s) - started))s)"
  done
}

all_apps_healthy() {
  for i in $(seq 1 "$apps"); do healthy_through_balancer "$i" || return 1; done
}

not_healthy() {
  echo "$1 after ${wait_seconds}s (CLUSTER_WAIT_SECONDS); still running, see below and $dir/log/; make cluster-down stops it" >&2
  ctl status >&2 || true
  for log in "$dir"/log/app1.log "$dir"/log/rasa1.log; do
    [ -f "$log" ] && { echo "--- $log" >&2; tail -15 "$log" >&2; }
  done
  exit 1
}

down() {
  if supervisor_running; then
    local pid
    pid="$(cat "$supervisor_pid")"
    ctl shutdown >/dev/null || kill -TERM "$pid" 2>/dev/null || true
    # supervisord stops every process (TERM, then KILL after its stopwaitsecs) before it exits.
    for _ in $(seq 1 600); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      echo "supervisord (pid $pid) is still stopping its processes; see $dir/log/supervisord.log" >&2
      exit 1
    fi
    echo "stopped the cluster of $dir"
  else
    echo "the cluster of $dir is not running"
  fi
  rm -f "$dir"/*.pid "$dir/supervisor.sock"
}

status() {
  if ! supervisor_running; then
    echo "the cluster of $dir is not running"
    exit 3
  fi
  ctl status || true
  local table
  if table="$(curl -fsS --max-time 2 "http://127.0.0.1:$stats_port/;csv" 2>/dev/null)"; then
    echo "balancer (http://127.0.0.1:$stats_port/):"
    awk -F, '($1 == "app" || $1 == "rasa") && $2 != "BACKEND" && $2 != "FRONTEND" {printf "  %-8s %s\n", $2, $18}' <<<"$table"
  fi
}

case "$action" in
  up) up "$@" ;;
  down) down ;;
  status) status ;;
  rollout) rollout "$@" ;;
  config)
    model="${1:-}"
    [ -n "$model" ] || usage
    write_configs "$model"
    echo "$dir"
    ;;
  *) usage ;;
esac
