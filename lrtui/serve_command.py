"""`lrtui serve`: the app in a web browser through textual-serve, with the guards a local web server needs.

textual-serve starts one app process per WebSocket and hands it the browser's keys. Without guards, any web
page the user visits while the server runs could open that WebSocket (browsers let a page connect to any
WebSocket; only the server can refuse) and drive the app: its `w` and `e` keys write files. So:

- **Origin.** A WebSocket is accepted only from a page served by this server: its Origin must name the same
  host and port as the request (or the --public-url). A refusal is logged with the origin.
- **Host.** Bound to loopback, the server answers only to loopback names (localhost, 127.0.0.1, [::1]), so a
  page whose own name resolves to 127.0.0.1 (DNS rebinding) cannot pass as same-origin.
- **Sessions.** Each session is an app process (about 60 MB); at most --max-sessions run at once.
- **Exposure.** Binding beyond loopback prints a warning: anyone who can reach the port can use the app.
- **The page's URLs** (its scripts and WebSocket) follow the address the browser used, or --public-url, so the
  app works from another machine; textual-serve alone points them at the bind address (http://0.0.0.0:8000).

textual-serve is optional (`pip install 'lrtui[web]'`): it is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import shlex
import socket
import sys
from urllib.parse import urlsplit

from lrtui.text import visible

DEFAULT_MAX_SESSIONS = 8
WEB_EXTRA_HINT = "lrtui serve needs the optional web extra: pip install 'lrtui[web]'"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
# A Host header is a name or an address and an optional port; anything else is refused before it is used.
_HOST_HEADER = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$")


def add_arguments(p: argparse.ArgumentParser, port_type) -> None:
    p.add_argument("scenarios", nargs="*", metavar="NAME_OR_FILE", help="built-in scenario names or .toml files")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=port_type, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--public-url", metavar="URL", type=_public_url,
                   help="the address browsers use to reach the server, when it differs from what they ask for "
                   "(behind a proxy, say: https://lr.example.org); default: the address each browser used")
    p.add_argument("--max-sessions", type=_sessions, default=DEFAULT_MAX_SESSIONS, metavar="N",
                   help=f"browser tabs served at once, each its own app process of about 60 MB "
                   f"(default {DEFAULT_MAX_SESSIONS})")
    p.add_argument("--fps", type=float, default=15.0, help="redraws per second while playing (default 15)")
    p.add_argument("--ascii", action="store_true", help="draw without braille or box glyphs")


def _public_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise argparse.ArgumentTypeError(f"must be http:// or https:// and a host, such as https://lr.example.org, "
                                         f"got {visible(text)!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _sessions(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 1000, got {visible(text)!r}") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"must be from 1 to 1000, got {value}")
    return value


def app_command(args) -> str:
    """The shell command textual-serve starts for each browser session: this Python running the app."""
    parts = [sys.executable, "-m", "lrtui", *args.scenarios, "--fps", f"{args.fps:g}"]
    if args.ascii:
        parts.append("--ascii")
    return " ".join(shlex.quote(part) for part in parts)


# -- the checks, as plain functions ---------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_port(netloc: str, scheme: str = "http") -> tuple[str, int] | None:
    """('example.org', 443) from 'example.org' with https; None for what is not a host and port."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname.lower(), port if port is not None else (443 if scheme in ("https", "wss") else 80)


class Guard:
    """What the server accepts: which Host headers, which WebSocket origins, how many sessions."""

    def __init__(self, host: str, port: int, public_url: str | None = None,
                 max_sessions: int = DEFAULT_MAX_SESSIONS):
        self.host, self.port, self.public_url = host, port, public_url
        self.max_sessions = max_sessions
        self.sessions = 0
        self.public = _host_port(urlsplit(public_url).netloc, urlsplit(public_url).scheme) if public_url else None

    @property
    def loopback_only(self) -> bool:
        return is_loopback(self.host)

    def host_allowed(self, host_header: str | None) -> bool:
        """Bound to loopback, only loopback names with our port (or the public URL): a page at evil.example
        that resolves to 127.0.0.1 is refused. Bound beyond loopback, any well-formed name: browsers on other
        machines reach us by names we cannot know (unless --public-url says which)."""
        if not host_header or not _HOST_HEADER.match(host_header):
            return False
        asked = _host_port(host_header)
        if asked is None:
            return False
        if self.public is not None and self._is_public(host_header):
            return True
        name, port = asked
        if self.loopback_only:
            return is_loopback(name) and port == self.port
        if self.public is not None:  # a public URL is given: that name, or this machine's own ways in
            return port == self.port and (is_loopback(name) or name == self.host.strip("[]").lower())
        return True

    def _is_public(self, host_header: str) -> bool:
        """The public URL's name, with its port or none (a TLS proxy forwards `Host: lr.example.org`)."""
        name, _ = _host_port(host_header)
        explicit = host_header.rsplit("]", 1)[-1].partition(":")[2]
        return name == self.public[0] and (not explicit or int(explicit) == self.public[1])

    def origin_allowed(self, origin: str | None, host_header: str | None) -> bool:
        """A page's WebSocket is accepted only from that same host and port (or the public URL's).

        No Origin at all comes from a program, not a browser page (browsers always send one): allowed, as a
        local program could drive the app anyway. "null" (a sandboxed frame, a file:// page) is refused."""
        if origin is None:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        came_from = _host_port(parts.netloc, parts.scheme)
        if came_from is None:
            return False
        if self.public is not None and came_from == self.public:
            return True
        return host_header is not None and came_from == _host_port(host_header) and self.host_allowed(host_header)

    def browser_url(self) -> str:
        """What to open, as printed at start."""
        if self.public_url:
            return self.public_url
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = socket.gethostname() or "THIS-MACHINE"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


def exposure_warning(guard: Guard) -> str | None:
    if guard.loopback_only:
        return None
    return (f"warning: --host {visible(guard.host)} serves the app to every machine that can reach port {guard.port}, "
            "with no password: anyone who connects can train, and save files in this folder. Use it only on a "
            "network you trust; --host 127.0.0.1 (the default) keeps it to this machine.")


def log(message: str) -> None:
    print(f"lrtui serve: {visible(message)}", file=sys.stderr, flush=True)


# -- the server -----------------------------------------------------------------------------------------

def make_server(command: str, guard: Guard):
    """A textual-serve Server with the guards above (textual-serve must be importable)."""
    from aiohttp import web
    from textual_serve.server import Server

    class GuardedServer(Server):
        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(check_host)
            return app

        async def handle_index(self, request: web.Request):
            # The page's scripts and WebSocket go where this browser found us. Set just before the page is
            # made, with no await between: requests do not interleave here.
            self.public_url = guard.public_url or f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        async def handle_websocket(self, request: web.Request):
            origin = request.headers.get("Origin")
            if not guard.origin_allowed(origin, request.host):
                log(f"refused a WebSocket from origin {origin} (only pages served from {request.host} may connect)")
                raise web.HTTPForbidden(text="lrtui serve: this page may not connect (its origin is not this "
                                        "server)\n")
            if guard.sessions >= guard.max_sessions:
                log(f"refused a session: {guard.sessions} open, the most allowed (--max-sessions "
                    f"{guard.max_sessions}); close a tab, or start the server with a higher --max-sessions")
                raise web.HTTPServiceUnavailable(text=f"lrtui serve: {guard.max_sessions} sessions are open, "
                                                 "the most allowed; close another tab first\n")
            guard.sessions += 1
            try:
                return await super().handle_websocket(request)
            finally:
                guard.sessions -= 1

        async def on_startup(self, app: web.Application) -> None:
            tabs = f"{guard.max_sessions} tab{'s' * (guard.max_sessions != 1)}"
            print(f"lrtui serve: open {guard.browser_url()} in a browser (at most {tabs} at once); Ctrl+C stops it",
                  flush=True)

    @web.middleware
    async def check_host(request: web.Request, handler):
        if not guard.host_allowed(request.headers.get("Host")):
            log(f"refused a request for host {request.headers.get('Host')} (this server answers to "
                f"{guard.browser_url()})")
            raise web.HTTPMisdirectedRequest(text="lrtui serve: not this server's name\n")
        return await handler(request)

    return GuardedServer(command, host=guard.host, port=guard.port, title="lrtui", public_url=guard.public_url)


def run(args) -> int:
    from lrtui.scenario.errors import ScenarioError
    from lrtui.scenario.library import resolve

    try:
        # Check the scenarios here: an error inside a browser session would only show as a closed page.
        for name in args.scenarios:
            resolve(name)
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        import textual_serve.server  # noqa: F401
    except ImportError:
        print(WEB_EXTRA_HINT, file=sys.stderr)
        return 2
    guard = Guard(args.host, args.port, args.public_url, args.max_sessions)
    warning = exposure_warning(guard)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    try:
        make_server(app_command(args), guard).serve()
    except OSError as exc:  # the port is taken, or the address is not this machine's
        print(f"lrtui serve: cannot listen on {visible(args.host)}:{args.port} ({exc.strerror or exc}); "
              "choose another --port or --host", file=sys.stderr)
        return 2
    return 0
