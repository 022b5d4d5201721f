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


class TcpProxy:
    """A TCP proxy on a free port in front of PostgreSQL that a test can cut and restore.

    Cutting closes every open connection (as a failover or a network blip would) and refuses
    new ones until restored.
    """

    def __init__(self, target_host, target_port):
        import socket
        import threading

        self.target = (target_host, int(target_port))
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.is_up = True
        self.cuts = 0
        self._sockets = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def _accept(self):
        import socket
        import threading

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.is_up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update({client, upstream})
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        import socket

        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        import socket

        self.is_up = False
        self.cuts += 1
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass

    def restore(self):
        self.is_up = True

    def stop(self):
        self.cut()
        self.listener.close()
