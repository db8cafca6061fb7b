"""Issue 15, finding 3: `lrtui serve` takes WebSockets only from its own pages, answers only to its own names
when bound to loopback, caps its sessions, warns when exposed, and gives pages URLs that work remotely.

The server tests start the real command on 127.0.0.1 and speak HTTP and WebSocket to it with aiohttp (which
textual-serve brings; the `test` extra installs it). The Guard tests need neither.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from lrtui.cli import main
from lrtui.serve_command import DEFAULT_MAX_SESSIONS, Guard, exposure_warning

# -- the rules, without a server ---------------------------------------------------------------------


def test_loopback_server_accepts_only_its_own_origin_and_names():
    guard = Guard("127.0.0.1", 8000)
    assert guard.origin_allowed("http://127.0.0.1:8000", "127.0.0.1:8000")
    assert guard.origin_allowed("http://localhost:8000", "localhost:8000")
    assert guard.origin_allowed(None, "127.0.0.1:8000")  # a program, not a page: browsers always send one
    for origin in ("http://evil.example", "http://evil.example:8000", "http://127.0.0.1:8001", "http://127.0.0.1",
                   "null", "file://", "https://127.0.0.1:8000x", "javascript:alert(1)"):
        assert not guard.origin_allowed(origin, "127.0.0.1:8000"), origin
    # DNS rebinding: evil.example resolves to 127.0.0.1, so its page is same-origin with itself; the Host
    # header gives it away.
    assert not guard.host_allowed("evil.example:8000")
    assert not guard.origin_allowed("http://evil.example:8000", "evil.example:8000")
    assert guard.host_allowed("localhost:8000") and guard.host_allowed("[::1]:8000")
    assert not guard.host_allowed("127.0.0.1:9999") and not guard.host_allowed(None)
    assert not guard.host_allowed('x"><script>:8000')


def test_an_exposed_server_accepts_same_origin_by_any_name_and_the_public_url():
    guard = Guard("0.0.0.0", 8000)
    assert guard.host_allowed("192.0.2.7:8000") and guard.origin_allowed("http://192.0.2.7:8000", "192.0.2.7:8000")
    assert not guard.origin_allowed("http://evil.example:8000", "192.0.2.7:8000")
    assert exposure_warning(guard).startswith("warning: --host 0.0.0.0 serves the app to every machine")
    assert exposure_warning(Guard("127.0.0.1", 8000)) is None and exposure_warning(Guard("::1", 8000)) is None
    proxied = Guard("0.0.0.0", 8000, public_url="https://lr.example.org")
    assert proxied.host_allowed("lr.example.org") and proxied.host_allowed("127.0.0.1:8000")
    assert proxied.origin_allowed("https://lr.example.org", "lr.example.org")
    assert proxied.origin_allowed("https://lr.example.org", "127.0.0.1:8000")  # a proxy that rewrites Host
    assert not proxied.host_allowed("evil.example:8000")
    assert not proxied.origin_allowed("https://evil.example", "lr.example.org")


@pytest.mark.parametrize("args, message", [
    (["--max-sessions", "0"], "--max-sessions: must be from 1 to 1000"),
    (["--public-url", "lr.example.org"], "--public-url: must be http:// or https://"),
    (["--public-url", "https://lr.example.org/path"], "--public-url: must be http:// or https://"),
])
def test_bad_serve_options_are_one_line(capsys, args, message):
    with pytest.raises(SystemExit) as stopped:
        main(["serve", *args])
    assert stopped.value.code == 2 and message in capsys.readouterr().err


# -- a real server -------------------------------------------------------------------------------------

try:
    import aiohttp
    import textual_serve  # noqa: F401
except ImportError:
    aiohttp = None
needs_web = pytest.mark.skipif(aiohttp is None, reason="needs textual-serve: pip install 'lrtui[web]'")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    def __init__(self, *args: str):
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "lrtui", "serve", "too-low-slow", "--port",
                                      str(self.port), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                assert self.proc.poll() is None, self.proc.communicate()
                time.sleep(0.1)
        raise AssertionError("the server did not start")

    def stop(self) -> tuple[str, str]:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.communicate()


@pytest.fixture
def serve():
    servers = []

    def start(*args: str) -> Served:
        servers.append(Served(*args))
        return servers[-1]

    yield start
    for server in servers:
        if server.proc.poll() is None:
            server.stop()


async def handshake(port: int, origin: str | None, host: str | None = None):
    """The WebSocket's status (101 accepted, else the refusal's) and, when accepted, the app's first bytes."""
    headers = {k: v for k, v in (("Origin", origin), ("Host", host)) if v is not None}
    async with aiohttp.ClientSession() as session:
        try:
            ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24", headers=headers)
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status, None
        message = await asyncio.wait_for(ws.receive(), 30)
        await ws.close()
        return 101, message


async def page(port: int, host: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/", headers={"Host": host}) as response:
            return response.status, await response.text()


@needs_web
def test_a_foreign_origin_is_refused_and_logged_and_the_own_page_is_served(serve):
    server = serve()
    port = server.port
    assert asyncio.run(handshake(port, "http://evil.example")) == (403, None)
    assert asyncio.run(handshake(port, f"http://evil.example:{port}", host=f"evil.example:{port}"))[0] == 421
    status, message = asyncio.run(handshake(port, f"http://127.0.0.1:{port}"))
    assert status == 101 and message.type == aiohttp.WSMsgType.BINARY  # the app's screen starts coming
    status, html = asyncio.run(page(port, f"localhost:{port}"))
    assert status == 200 and f'ws://localhost:{port}/ws' in html
    assert asyncio.run(page(port, f"rebound.example:{port}"))[0] == 421
    out, err = server.stop()
    assert f"open http://127.0.0.1:{port} in a browser (at most {DEFAULT_MAX_SESSIONS} tabs at once)" in out
    assert ("lrtui serve: refused a WebSocket from origin http://evil.example (only pages served from "
            f"127.0.0.1:{port} may connect)") in err
    assert f"lrtui serve: refused a request for host rebound.example:{port}" in err
    assert "warning" not in err


@needs_web
def test_sessions_are_capped(serve):
    server = serve("--max-sessions", "1")
    origin = f"http://127.0.0.1:{server.port}"

    async def two_at_once():
        async with aiohttp.ClientSession() as session:
            first = await session.ws_connect(f"http://127.0.0.1:{server.port}/ws", headers={"Origin": origin})
            await asyncio.wait_for(first.receive(), 30)
            try:
                await session.ws_connect(f"http://127.0.0.1:{server.port}/ws", headers={"Origin": origin})
                second = 101
            except aiohttp.WSServerHandshakeError as refused:
                second = refused.status
            await first.close()
            return second

    assert asyncio.run(two_at_once()) == 503
    _, err = server.stop()
    assert "lrtui serve: refused a session: 1 open, the most allowed (--max-sessions 1)" in err


@needs_web
def test_an_exposed_server_warns_and_points_pages_at_the_name_the_browser_used(serve):
    server = serve("--host", "0.0.0.0")
    port = server.port
    status, html = asyncio.run(page(port, f"192.0.2.7:{port}"))
    assert status == 200 and f"ws://192.0.2.7:{port}/ws" in html and "0.0.0.0" not in html
    assert asyncio.run(handshake(port, "http://evil.example", host=f"192.0.2.7:{port}")) == (403, None)
    _, err = server.stop()
    assert err.startswith(f"warning: --host 0.0.0.0 serves the app to every machine that can reach port {port}")


@needs_web
def test_a_public_url_sets_the_pages_urls(serve):
    server = serve("--public-url", "https://lr.example.org")
    status, html = asyncio.run(page(server.port, "lr.example.org"))
    assert status == 200 and "wss://lr.example.org/ws" in html
    assert re.search(r"https://lr\.example\.org/static/", html)
    server.stop()
