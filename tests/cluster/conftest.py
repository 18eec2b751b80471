"""A Ray cluster of three nodes on this machine, shared experiment storage on S3, the real
backend, and agents joined by address — started once for the module that uses them.

The nodes are what README's "Run on a Ray cluster" section starts: ``ray start --head``
and two ``ray start --address`` workers, 1 CPU each, every worker with a custom resource of
its own (``node_w1``, ``node_w2``) so a test can force placement. Every node has its own
SYNAPSE_NB_HOME, as another machine would; the S3 server is moto's, in server mode, on
loopback; every node and agent gets the usual AWS variables for it.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_nb.schemas import Project
from tests.agent.e2e_helpers import REPO, AgentProcess, Backend, stop_groups, tail, wait_for, worker_env

BUCKET = "experiments"
WORKER_RESOURCES = ("node_w1", "node_w2")


class S3Server:
    """moto's S3 in server mode on 127.0.0.1, with one bucket."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        _, port = self.server.get_host_and_port()
        self.env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "test-key",
                    "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_DEFAULT_REGION": "us-east-1",
                    "AWS_EC2_METADATA_DISABLED": "true"}
        self.client().create_bucket(Bucket=BUCKET)

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key under ``prefix``."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def stop(self) -> None:
        self.server.stop()


class RayCluster:
    """``ray start --head`` and two ``ray start --address`` worker nodes, each in a session of
    its own (stopped by its own id), each node with its own SYNAPSE_NB_HOME."""

    def __init__(self, root: Path, extra_env: dict[str, str], timeout: float = 180.0) -> None:
        self.root = root
        self.user_home = root / "user-home"
        (self.user_home / ".ray").mkdir(parents=True, exist_ok=True)
        token = self.user_home / ".ray" / "auth_token"
        token.write_text(secrets.token_hex(16))
        token.chmod(0o600)
        self.temp_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"snb-rc-{secrets.token_hex(3)}"
        self.homes = {name: root / f"home-{name}" for name in ("head", *WORKER_RESOURCES)}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.address = ""
        self._started_before: dict[Path, int] = {}
        self._extra_env = extra_env
        ray_cli = str(Path(sys.executable).with_name("ray"))
        common = ["--block", "--num-cpus=1", "--disable-usage-stats", "--node-ip-address", "127.0.0.1"]
        try:
            self._start_node("head", [ray_cli, "start", "--head", "--port", "0", "--include-dashboard=false",
                                      "--temp-dir", str(self.temp_dir), *common], timeout)
            port = wait_for(lambda: self._port(self.root / "ray-head.log"), 30, "the head's address")
            self.address = f"127.0.0.1:{port}"
            # One at a time: on a busy 2-core machine, nodes starting together time out.
            for name in WORKER_RESOURCES:
                self._start_node(name, [ray_cli, "start", "--address", self.address,
                                        f"--resources={{\"{name}\": 1}}", *common], timeout)
        except BaseException:
            self.stop()
            raise

    def _start_node(self, name: str, argv: list[str], timeout: float, attempts: int = 5) -> None:
        """Start a node; again when it gave up (Ray allows a node 30 s to register, which a
        loaded machine can miss)."""
        for _ in range(attempts):
            log = self._start(name, argv)
            if wait_for(lambda: self._joined(log), timeout, f"node {name} to start (log: {log})") == "ok":
                return
            stop_groups(self.procs[-1:], grace=5.0)  # what the failed start left behind
        raise AssertionError(f"node {name} did not start in {attempts} attempts:\n{tail(log)}")

    def _joined(self, log: Path) -> str | None:
        text = log.read_text(errors="replace")
        if text.count("Ray runtime started") > self._started_before.get(log, 0):
            return "ok"
        if self.procs[-1].poll() is not None:
            return "failed"
        return None

    def env(self, node: str = "head") -> dict[str, str]:
        """The environment of a process of ``node`` (or of an agent with the home ``node``)."""
        env = worker_env(self.homes.get(node, self.root / f"home-{node}"), **self._extra_env)
        # Ray's token from this "user's" ~/.ray, sent by everything that joins by address.
        env.update({"HOME": str(self.user_home), "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0",
                    # A raylet gives its agents this long to register (a loaded machine needs more).
                    "RAY_agent_register_timeout_ms": "180000"})
        return env

    def _start(self, name: str, argv: list[str]) -> Path:
        log = self.root / f"ray-{name}.log"
        self._started_before[log] = log.read_text(errors="replace").count("Ray runtime started") if log.exists() else 0
        with open(log, "ab") as out:
            self.procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                               env=self.env(name), start_new_session=True, cwd=str(REPO)))
        return log

    @staticmethod
    def _port(log: Path) -> str | None:
        found = re.findall(r"--address='[^':]+:(\d+)'", log.read_text(errors="replace"))
        return str(found[-1]) if found else None

    def stop(self) -> None:
        # Workers first, then the head, each by its own process group.
        stop_groups(self.procs[1:], grace=20.0)
        stop_groups(self.procs[:1], grace=20.0)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cluster")


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def backend(cluster_root: Path) -> Iterator[Backend]:
    server = Backend(cluster_root / "backend")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def project(backend: Backend) -> Project:
    return backend.api.project.import_samples(num_images=8, image_size=64, name="cluster-shapes", progress=False)


@pytest.fixture(scope="module")
def cluster(cluster_root: Path, s3: S3Server) -> Iterator[RayCluster]:
    ray_cluster = RayCluster(cluster_root, s3.env)
    yield ray_cluster
    ray_cluster.stop()


@pytest.fixture(scope="module")
def start_agent(backend: Backend, cluster: RayCluster, cluster_root: Path) -> Iterator[Callable[..., AgentProcess]]:
    """``start_agent(name, *args)``: an agent with a home of its own joined to the cluster
    (the running one of that name when there is one); all stop at the end of the module."""
    started: dict[str, AgentProcess] = {}

    def start(name: str, *args: str, wait: bool = True) -> AgentProcess:
        running = started.get(name)
        if running is not None and running.alive:
            return running
        agent = AgentProcess(backend, name, cluster_root, cluster.env(f"agent-{name}"),
                             "--ray-address", cluster.address, *args)
        started[name] = agent
        if wait:
            agent.wait_online()
        return agent

    yield start
    stop_groups([agent.proc for agent in started.values()])
