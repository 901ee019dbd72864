"""The fault suite on a cluster: replicas killed and Redis restarted under load, and what customers saw.

`python -m bench.faults.cluster [--customers N] [--port P]`

Starts its own cluster (`scripts/cluster.sh up`, two app and two Rasa replicas behind HAProxy, its own
CLUSTER_DIR `var/faults-cluster`, its own databases `lumio_faults` and `lumio_faults_rasa`, dropped
first) on a private `redis-server` the suite starts on a free port (never the machine's), and puts a
bounded load on it through the balancer: customers in Chinese and English on the conversation API
(cookies kept per customer) and on the web chat's WebSocket, each sending numbered messages (the
message id says the customer, conversation and number); some web-chat customers ask for a human and an
agent (a staff API token) claims the escalation and replies twice. Mid-load, with a quiet period
between, it kills app1 (`kill -9` of var/faults-cluster/app1.pid), then rasa1, then stops the private
Redis (`SHUTDOWN NOSAVE`) and starts it again 5 s later; supervisord brings the replicas back.

A client that gets a retryable answer (a 5xx or 409 with `Retry-After`, a dropped socket) sends the
message again with the same id, as a real client does. Afterwards it reads the desk database and
counts, per phase (baseline, then each fault until the next; a message belongs to the phase its
last send ended in): messages sent and accepted; lost
(accepted but not stored, or stored and neither answered nor held for the agent by the deadline);
duplicated (stored twice, answered twice, or one bot message delivered twice on a socket); out of
order (a message whose first answer comes before the answer of an earlier message of its
conversation); agent replies lost or sent twice; every non-2xx customers saw, by status, with or
without `Retry-After` (a 5xx without it fails the suite); and how long each recovery took (from the
kill to the replica answering /readyz, or Rasa `/`, on its own port; from Redis's stop to PING and to
every app replica logging `event_bus_redis_connected` again).

The table goes to stdout (Markdown) and bench/results/faults_cluster.json; progress to stderr. It is a
benchmark, not a test: it takes about eight minutes on two cores.

Modules: `records` (what clients sent and saw), `verdict` (pure scoring and the table), `private_redis`,
`deployment` (the cluster, its faults, its recoveries), `customers` (API and web-chat customers, the
agent), `desk_rows` (the database's side), `run` (the command line).
"""
