"""The services a fault test breaks on purpose: its own redis-server, never the machine's."""

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.multiserver.stack import HOST, free_port


class RedisServer:
    """A redis-server on a free port that keeps its data across a kill (append-only file),
    like a production Redis that restarts: pages and generations cached before it come back."""

    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="newsroom-faults-redis-"))
        self.popen = None

    @property
    def url(self):
        return f"redis://{HOST}:{self.port}/0"

    def start(self, timeout=10):
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed")
        self.popen = subprocess.Popen(  # noqa: S603
            [
                executable,
                "--port", str(self.port), "--bind", HOST, "--dir", str(self.dir),
                "--save", "", "--appendonly", "yes", "--appendfsync", "always",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        client = redis.Redis(host=HOST, port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self):
        """Kill it the hard way (SIGKILL), as a crash or an OOM kill would."""
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)
