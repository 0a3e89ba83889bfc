"""A class on JupyterHub, for real: a hub on localhost (jupyterhub, configurable-http-proxy, the
local process spawner), three brand-new Unix users, each logged in through the hub's REST API,
each with their own single-user server and Faultline kernel — all three running a prelude cell
and a plot cell at the same time. The kernels must start warm from the shared cache that
deploy/install-class made (no prelude compile), add little disk per user, and find their
toolchain under a spawner's minimal PATH.

Needs root (it creates users). `scripts/test.d/60-class.sh` prepares FAULTLINE_CLASS_DIR: the
hub's venv, the proxy, and the class install.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import pwd
import re
import secrets
import socket
import subprocess
import time
import urllib.request
import uuid

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

CLASS = pathlib.Path(os.environ.get("FAULTLINE_CLASS_DIR", "/nonexistent"))
USERS = [f"faultline-learner{i}" for i in (1, 2, 3)]
MAX_DISK_PER_USER_MB = 50

PRELUDE_CELL = """\
let sim = Sim::new(Net::new().delay(Delay::exponential(5.0).plus(1.0)).loss(0.2))
    .node(|_| Server::new())
    .client(|_| RetryClient::new(100).attempts(3).timeout(ms(50)));
let run = sim.run(42);
run.ok_rate()"""

PLOT_CELL = """\
sweep("loss", [0.0, 0.2, 0.4]).trials(50)
    .simulate(
        |&loss| Sim::new(Net::new().loss(loss))
            .node(|_| Server::new())
            .client(|_| RetryClient::new(20).attempts(3).timeout(ms(50))),
        |run| [("answered", run.ok_rate())],
    )
    .plot("answered").title("Answered requests by loss rate")"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_user(name: str) -> None:
    remove_user(name)
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)


def remove_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["pkill", "-KILL", "-u", name], check=False)
    time.sleep(0.2)
    subprocess.run(["userdel", "--remove", name], check=False, stderr=subprocess.DEVNULL)


def hub_config(port: int, token: str) -> str:
    venv = CLASS / "venv"
    return f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = ["{CLASS}/proxy/node_modules/.bin/configurable-http-proxy"]
c.JupyterHub.db_url = "sqlite:///{CLASS}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{CLASS}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.services = [{{"name": "class-test", "api_token": "{token}"}}]
c.JupyterHub.load_roles = [{{
    "name": "class-test",
    "scopes": ["admin:users", "admin:servers", "tokens"],
    "services": ["class-test"],
}}]
# Spawners start servers with a minimal PATH: the kernel must find Rust from its kernelspec.
c.Spawner.cmd = ["{venv}/bin/jupyterhub-singleuser"]
c.Spawner.environment = {{"PATH": "{venv}/bin:/usr/bin:/bin"}}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
"""


def hub_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Hub:
    def __init__(self, url: str, token: str, log: pathlib.Path) -> None:
        self.url, self.token, self.log = url, token, log
        self.http = AsyncHTTPClient()

    async def api(self, method: str, path: str, token: str | None = None, body=None) -> dict:
        request = HTTPRequest(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {token or self.token}"},
            body=None if body is None and method == "GET" else json.dumps(body or {}),
            request_timeout=120,
        )
        response = await self.http.fetch(request)
        return json.loads(response.body) if response.body else {}


@pytest.fixture(scope="module")
def hub():
    if os.geteuid() != 0:
        pytest.fail("the class test needs root: it creates Unix users and spawns servers as them")
    assert (CLASS / "faultline" / "cache").is_dir(), f"no class install in {CLASS}"
    for user in USERS:
        recreate_user(user)
    (CLASS / "hub.sqlite").unlink(missing_ok=True)  # a fresh hub: no users from an earlier run
    token, port = secrets.token_hex(16), free_port()
    (CLASS / "jupyterhub_config.py").write_text(hub_config(port, token))
    log_path = CLASS / "hub.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(CLASS / "venv" / "bin" / "jupyterhub"), "-f", str(CLASS / "jupyterhub_config.py")],
            cwd=CLASS, stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        # Ready when the proxy routes the hub's API (the proxy listens before the route exists).
        while not hub_answers(f"{url}/hub/api/"):
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the hub did not start:\n" + log_path.read_text()
            time.sleep(0.5)
        yield Hub(url, token, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        for user in USERS:
            remove_user(user)


async def execute(ws, session: str, code: str) -> tuple[dict, list[dict]]:
    """Runs a cell over the server's kernel websocket; returns the reply and iopub outputs."""
    msg_id = uuid.uuid4().hex
    await ws.write_message(json.dumps({
        "channel": "shell",
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                   "username": "", "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {},
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    reply, outputs, idle = None, [], False
    while reply is None or not idle:
        raw = await asyncio.wait_for(ws.read_message(), timeout=300)
        assert raw is not None, "the kernel's websocket closed"
        msg = json.loads(raw)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["channel"] == "shell":
            reply = msg
        elif msg["msg_type"] == "status":
            idle = msg["content"]["execution_state"] == "idle"
        else:
            outputs.append(msg)
    return reply, outputs


def memory_mib(uid: int) -> float:
    """Resident memory of every process the user owns (server, kernel, evcxr's child), MiB."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = pathlib.Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)) != uid:
            continue
        rss = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        total += int(rss.group(1)) if rss else 0
    return total / 1024


def disk_mib(home: str) -> float:
    out = subprocess.run(["du", "-sk", home], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0]) / 1024


async def learner(hub: Hub, name: str) -> dict:
    await hub.api("POST", f"/hub/api/users/{name}")
    token = (await hub.api("POST", f"/hub/api/users/{name}/tokens",
                           body={"note": "class test", "expires_in": 3600}))["token"]
    started = time.monotonic()
    await hub.api("POST", f"/hub/api/users/{name}/server", token=token)
    while not (await hub.api("GET", f"/hub/api/users/{name}", token=token)).get("servers", {}).get("", {}).get("ready"):
        assert time.monotonic() - started < 120, f"{name}'s server did not become ready"
        await asyncio.sleep(0.5)
    server_ready = time.monotonic() - started
    kernel = await hub.api("POST", f"/user/{name}/api/kernels", token=token, body={"name": "faultline"})
    ws = await websocket_connect(HTTPRequest(
        f"{hub.url.replace('http', 'ws')}/user/{name}/api/kernels/{kernel['id']}/channels",
        headers={"Authorization": f"token {token}"},
    ))
    session = uuid.uuid4().hex
    kernel_started = time.monotonic()
    reply, outputs = await execute(ws, session, PRELUDE_CELL)
    first_cell = time.monotonic() - kernel_started
    assert reply["content"]["status"] == "ok", (name, reply["content"])
    answered = [o for o in outputs if o["msg_type"] == "execute_result"][0]["content"]["data"]["text/plain"]
    assert 0.5 < float(answered) <= 1.0, (name, answered)
    reply, outputs = await execute(ws, session, PLOT_CELL)
    first_plot = time.monotonic() - started
    assert reply["content"]["status"] == "ok", (name, reply["content"])
    svg = [o for o in outputs if o["msg_type"] == "execute_result"][0]["content"]["data"]["image/svg+xml"]
    assert "Answered requests by loss rate" in svg
    user = pwd.getpwnam(name)
    figures = {"server_ready_s": server_ready, "first_cell_s": first_cell, "first_plot_s": first_plot,
               "memory_mib": memory_mib(user.pw_uid), "disk_mib": disk_mib(user.pw_dir)}
    ws.close()
    return figures


def test_three_learners_start_warm_on_a_hub(hub):
    async def all_learners():
        return await asyncio.gather(*(learner(hub, name) for name in USERS))

    results = dict(zip(USERS, asyncio.run(all_learners())))
    for name, figures in results.items():
        print(f"{name}: server ready {figures['server_ready_s']:.1f} s, kernel start to first "
              f"prelude cell {figures['first_cell_s']:.1f} s, first plot "
              f"{figures['first_plot_s']:.1f} s after login, server + kernel "
              f"{figures['memory_mib']:.0f} MiB, home {figures['disk_mib']:.1f} MiB")
    log = hub.log.read_text()
    # Warm: no learner's kernel compiled the prelude or any of its dependencies.
    compiled = set(re.findall(r"Compiling (\S+) v", log)) - {"ctx"}
    assert not compiled, f"kernels compiled {sorted(compiled)} instead of starting warm"
    for name, figures in results.items():
        assert figures["disk_mib"] <= MAX_DISK_PER_USER_MB, (name, figures)
