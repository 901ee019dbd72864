"""The running system of a fault run (Rasa, the app, the database, the platforms' fakes) and how each
fault is injected into it and ended."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.fakes.slack import FakeSlack, running_fake_slack
from bench.fakes.wechat import FakeWeChat
from bench.fakes.wecom import CORP, SECRET, FakeWeCom
from bench.fakes.wecom import serving as serving_wecom
from bench.faults.customers import slack as slack_customer
from bench.faults.customers import wechat as wechat_customer
from bench.faults.customers import wecom as wecom_customer
from bench.faults.plan import RETRY_ENV, SQLITE_LOCK_S, FaultName, progress


def signal_tree(pid: int, signum: signal.Signals) -> None:
    """A process and its children (Rasa's launcher may run Rasa in a child)."""
    import psutil

    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signum)


class SqliteLock:
    """Another process's exclusive transaction on the app's SQLite file: the app's writes wait for
    its busy timeout and then fail, as with a database that does not answer."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    def take(self) -> None:
        self._connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        self._connection.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        if self._connection is not None:
            self._connection.execute("ROLLBACK")
            self._connection.close()
            self._connection = None


@dataclass
class Stack:
    """The running system and the handle of its database outage."""

    system: Any  # bench.system.System (imported late: it starts nothing at import, but keeps this light)
    postgres: Any | None  # bench.private_postgres.PrivatePostgres
    sqlite_lock: SqliteLock | None
    # The platform fakes the app is configured with; None: the app has no such channel.
    wechat: FakeWeChat | None = None
    slack: FakeSlack | None = None
    wecom: FakeWeCom | None = None

    def outage_s(self, fault: FaultName, quick: bool) -> float:
        if fault == "database_down" and self.sqlite_lock is not None:
            return SQLITE_LOCK_S
        return 2.0 if quick else 4.0

    def inject(self, fault: FaultName) -> None:
        if fault == "rasa_down":
            self.system.rasa.stop()
        elif fault == "database_down":
            if self.postgres is not None:
                self.postgres.stop()
            elif self.sqlite_lock is not None:
                self.sqlite_lock.take()
        else:  # app_killed: freeze Rasa, so the turns are in flight when the app dies
            signal_tree(self.system.rasa.popen.pid, signal.SIGSTOP)

    def strike(self, fault: FaultName) -> None:
        """The moment of the fault itself, while the messages are in flight."""
        if fault == "app_killed":
            self.system.app.popen.kill()
            self.system.app.popen.wait()

    def recover(self, fault: FaultName) -> None:
        if fault == "rasa_down":
            self.system.rasa.start()
        elif fault == "database_down":
            if self.postgres is not None:
                self.postgres.start()
            elif self.sqlite_lock is not None:
                self.sqlite_lock.release()
        else:
            signal_tree(self.system.rasa.popen.pid, signal.SIGCONT)
            self.system.app.stop()  # closes the dead process's log handle
            self.system.app.start()
        self.system.wait_healthy()


@contextlib.contextmanager
def running_stack(database: str, workdir: Path | None) -> Iterator[Stack]:
    """Rasa and the app on free ports, the desk database (a private PostgreSQL, or SQLite), and the
    fakes of WeChat, WeCom and Slack the app's channels talk to."""
    from bench import private_postgres
    from bench.system import System, rasa_model

    model = rasa_model()
    postgres = None
    if database == "postgres":
        reason = private_postgres.missing()
        if reason:
            raise SystemExit(f"--database postgres: {reason} (try --database sqlite)")
        postgres = private_postgres.PrivatePostgres()
    with tempfile.TemporaryDirectory(prefix="bench-faults-", dir=workdir) as directory, contextlib.ExitStack() as fakes:
        wechat = FakeWeChat(wechat_customer.WECHAT_APP_ID, wechat_customer.WECHAT_APP_SECRET).start()
        fakes.callback(wechat.stop)
        slack = fakes.enter_context(running_fake_slack(slack_customer.SLACK_BOT_TOKEN))
        # A page as large as WeCom's (the tests' fake pages by two, to exercise the cursor).
        wecom = FakeWeCom(CORP, SECRET, page_size=1000)
        fakes.enter_context(serving_wecom(wecom))
        try:
            url = ""
            if postgres is not None:
                postgres.init()
                postgres.start()
                url = postgres.url
            env = {
                **RETRY_ENV,
                **wechat_customer.app_env(wechat.base_url),
                **slack_customer.app_env(slack.base_url),
                **wecom_customer.app_env(wecom.base_url),
            }
            system = System(workdir=Path(directory), model=model, database_url=url, extra_env=env)
            progress(f"starting Rasa ({model.name}) and the app on {database}; logs in {directory}")
            system.start()
            lock = SqliteLock(Path(directory) / "desk.db") if postgres is None else None
            try:
                yield Stack(system, postgres, lock, wechat, slack, wecom)
            finally:
                system.stop()
        finally:
            if postgres is not None:
                postgres.remove()
