"""The launcher, run by the Rasa environment's Python (scripts/rasa-tests.sh):
`.venv-rasa/bin/python -m unittest discover -s rasa_launcher/tests -t .`"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

from rasa_launcher.command import LaunchRefused, check_tracker_store, endpoints_file, rasa_argv

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "launcher-test-token-Zq81"
OPTIONS = ["-i", "127.0.0.1", "-p", "5999", "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


class CommandLineTest(unittest.TestCase):
    def test_rasa_reads_the_token_from_the_environment(self) -> None:
        from rasa.__main__ import create_argument_parser

        argv = rasa_argv(OPTIONS, {"APP_RASA_TOKEN": TOKEN})
        parsed = create_argument_parser().parse_args(argv[1:])
        self.assertEqual(parsed.auth_token, TOKEN)
        self.assertTrue(parsed.enable_api)
        self.assertEqual((parsed.interface, parsed.port), ("127.0.0.1", 5999))

    def test_a_token_that_looks_like_an_option_is_still_the_token(self) -> None:
        from rasa.__main__ import create_argument_parser

        argv = rasa_argv(OPTIONS, {"APP_RASA_TOKEN": "-dash-first"})
        self.assertEqual(create_argument_parser().parse_args(argv[1:]).auth_token, "-dash-first")

    def test_no_token_no_rasa(self) -> None:
        for environ in ({}, {"APP_RASA_TOKEN": ""}, {"APP_RASA_TOKEN": "  "}):
            with self.subTest(environ=environ), self.assertRaisesRegex(LaunchRefused, "APP_RASA_TOKEN"):
                rasa_argv(OPTIONS, environ)

    def test_a_token_on_the_command_line_is_refused(self) -> None:
        for given in (["-t", "x"], ["-tx"], ["--auth-token", "x"], ["--auth-token=x"], ["--auth", "x"]):
            with self.subTest(given=given), self.assertRaisesRegex(LaunchRefused, "not the command line"):
                rasa_argv([*OPTIONS, *given], {"APP_RASA_TOKEN": TOKEN})


class TrackerStoreCheckTest(unittest.TestCase):
    """Rasa itself would warn and keep every conversation in memory."""

    def endpoints(self, text: str) -> Path:
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        path = Path(directory.name) / "endpoints.yml"
        path.write_text(text, encoding="utf-8")
        return path

    def test_a_tracker_store_that_does_not_import_is_refused(self) -> None:
        for kind in ("rasa_launcher.no_such_module.Store", "rasa_launcher.tracker_store.NoSuchStore", "SQLL"):
            path = self.endpoints(f"tracker_store:\n  type: {kind}\n  dialect: sqlite\n")
            with self.subTest(kind=kind), self.assertRaisesRegex(LaunchRefused, "does not import"):
                check_tracker_store(path)

    def test_rasas_own_stores_and_the_projects_start(self) -> None:
        for kind in ("SQL", "sql", "redis", "in_memory", "rasa_launcher.tracker_store.KnownRowsSQLTrackerStore"):
            with self.subTest(kind=kind):
                check_tracker_store(self.endpoints(f"tracker_store:\n  type: {kind}\n"))
        check_tracker_store(self.endpoints("action_endpoint:\n  url: http://127.0.0.1:9/webhook\n"))
        check_tracker_store(ROOT / "endpoints.yml")
        check_tracker_store(Path("no-such-endpoints.yml"))  # Rasa runs without one, in memory by design

    def test_the_endpoints_file_is_the_one_rasa_reads(self) -> None:
        self.assertEqual(endpoints_file(OPTIONS), Path("endpoints.yml"))
        self.assertEqual(endpoints_file(["-p", "1", "--endpoints", "/x/e.yml"]), Path("/x/e.yml"))
        self.assertEqual(endpoints_file(["--endpoints=/x/e.yml"]), Path("/x/e.yml"))
        self.assertEqual(endpoints_file([]), Path("endpoints.yml"))

    def test_the_launcher_stops_before_rasa_starts(self) -> None:
        path = self.endpoints("tracker_store:\n  type: rasa_launcher.no_such_module.Store\n")
        command = [sys.executable, "-m", "rasa_launcher", "-p", "5999", "--endpoints", str(path)]
        environ = {**os.environ, "APP_RASA_TOKEN": TOKEN}
        done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 2)
        self.assertIn("rasa_launcher.no_such_module.Store", done.stderr)


class ServerTest(unittest.TestCase):
    """The real server: its API wants the token, and no process's command line shows it."""

    def test_the_api_is_protected_and_the_token_is_not_in_the_process_list(self) -> None:
        port = free_port()
        with tempfile.TemporaryDirectory() as workdir:
            environ = {
                **os.environ,
                "APP_RASA_TOKEN": TOKEN,
                "APP_ACTION_TOKEN": "unused",
                "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook",
                "RASA_TRACKER_DB": str(Path(workdir) / "tracker.db"),
                "RASA_TELEMETRY_ENABLED": "false",
            }
            # No model (an empty folder): the server still starts, which is all this test needs.
            command = [sys.executable, "-m", "rasa_launcher", "-i", "127.0.0.1", "-p", str(port), "--model", workdir]
            command += ["--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]
            with (Path(workdir) / "rasa.log").open("wb") as log:
                server = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT)
                try:
                    self._check(server, port, Path(workdir) / "rasa.log")
                finally:
                    server.terminate()
                    server.wait(timeout=30)

    def _check(self, server: subprocess.Popen[bytes], port: int, log: Path) -> None:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while status_of_or_none(f"{base}/version") != 200:
            self.assertIsNone(server.poll(), log.read_text(errors="replace")[-3000:])
            self.assertLess(time.monotonic(), deadline, "Rasa did not start in 120 s")
            time.sleep(0.5)
        self.assertEqual(status_of(f"{base}/status"), 401)
        self.assertEqual(status_of(f"{base}/status?token=wrong"), 401)
        # 409: authenticated, and no model loaded.
        self.assertEqual(status_of(f"{base}/status?token={TOKEN}"), 409)
        listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
        self.assertNotIn(TOKEN, listing)
        self.assertIn("rasa_launcher", listing)
        self.assertNotIn(TOKEN.encode(), Path(f"/proc/{server.pid}/cmdline").read_bytes())


def status_of_or_none(url: str) -> int | None:
    try:
        return status_of(url)
    except OSError:
        return None


if __name__ == "__main__":
    unittest.main()
