"""Fault injection: what becomes of customers' messages when Rasa, the database or the app fails.

`python -m bench.faults [--messages N] [--quick] [--database postgres|sqlite]`

Starts the real stack (`bench.system.System`: Rasa and the app on free ports, the app retrying
failed turns every second or two), and for each fault opens N customers per channel, injects the
fault, has each customer send one message while it lasts, ends the fault and waits for the answers:

- rasa_down: Rasa stopped, then started again;
- database_down: the desk database unreachable: a private PostgreSQL server (bench.private_postgres)
  stopped and started, or with `--database sqlite` the database file locked by another process for
  longer than the app's busy timeout (as root, file permissions do not stop SQLite; an open
  connection does not notice a renamed file);
- app_killed: Rasa frozen (SIGSTOP), so every turn is in flight, then the app SIGKILLed, Rasa
  resumed and the app started again. A message the killed app held is taken over when its claim
  lapses (desk.conversations.STALE_PROCESSING).

Channels: the conversation API, the web chat's WebSocket, WeChat (signed plaintext callbacks, as
WeChat's servers send them), WeCom Customer Service (the message kept on WeCom's side, a signed and
encrypted `kf_msg_or_event` notice that has the app read it with sync_msg) and Slack (signed Events
API direct messages), the app's platform APIs pointed at the loopback fakes of bench.fakes.
For each message it counts whether the channel acknowledged it (`scoring`), whether it is stored in
the desk database, whether a bot answer is stored for it (`Message.reply_to`) after the fault ended,
and how many distinct answers (a turn's messages share their `created_at`; for the platforms also
the answer's copies delivered to the platform's fake). Lost: acknowledged but not stored, or stored
but not answered by the deadline; for a platform also a message never acknowledged (the platform
gives up after its retries). A message not acknowledged is sent again after the fault, with the same
id, standing for the client's or the platform's retry. Target: 0 lost, 0 answered twice.

The table goes to stdout (Markdown) and bench/results/faults.json; progress to stderr.

The same questions on a cluster (replicas killed, Redis restarted, under load): `python -m
bench.faults.cluster` (bench/faults/cluster/).

Modules: `plan` (channels, faults, timings), `scoring` (a message's fate, the table), `customers`
(one module per channel's customer), `stack` (the running system and its faults), `play` (sending
through a fault, reading the fates), `run` (a fault's rows, the command line).
"""
