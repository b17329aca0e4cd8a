"""Connection-level guards for the back office's uvicorn server (h11).

uvicorn times out idle keep-alive connections, but not a connection that has not finished its
first request head: a client that connects and sends nothing, or half a header, holds a
connection and a file descriptor for ever. 1,100 of those exhausted the process's 1,024
descriptors; every failed accept() then logged a traceback and the service stopped answering.
So, per connection:

* a head deadline (`header_timeout`): a request head not complete this long after the
  connection opened, or after the first byte of a later request on a kept-alive connection, and
  the connection is closed (one log line);
* a cap on open connections, below the descriptor limit with room left for the database, log
  files and the thread pool; when a new connection would go over it, the oldest connection that
  is waiting for a request head (idle or half-open) is closed to make room, so a flood of idle
  connections cannot lock out a client with something to say; when every connection is busy
  with a request, the new one is closed instead (one log line either way);
* uvicorn's own limits, set explicitly: keep-alive timeout, the largest request head
  (`h11_max_incomplete_event_size`), no WebSocket, no Server header; `limit_concurrency` only as
  a backstop above the cap (uvicorn counts connections there, so a lower value would answer 503
  to everyone during a flood of idle connections; request concurrency is capped per request in
  backoffice/limits.py instead).

Bodies (size, rate, total) are bounded in backoffice/limits.py, which sees the routes. All of
this runs on the server's event loop thread; nothing blocks.

This subclasses uvicorn's H11Protocol (pinned uvicorn==0.54.0): it relies on its `conn`
(h11.Connection), `transport`, `connections` and `cycle` attributes. tests/e2e/
test_backoffice_http_limits.py fails if an upgrade changes them.
"""
from __future__ import annotations

import asyncio
import logging
import resource
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("backoffice.http")


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = 10.0          # seconds for a request head to arrive complete
    keep_alive: float = 5.0               # seconds an idle kept-alive connection stays open
    max_connections: int = 1000           # open connections (fewer if the descriptor limit is low)
    max_header_bytes: int = 16 * 1024     # the whole request head; kiosks send about 500 bytes
    backlog: int = 1024                   # connections the kernel queues before accept()


def connection_cap(max_connections: int) -> int:
    """`max_connections`, lowered to leave a quarter of the descriptor limit (32 to 256) for
    everything else. Read each time: an operator may change the limit of a running process."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return max_connections
    reserve = max(32, min(256, soft // 4))
    return max(1, min(max_connections, soft - reserve))


def raise_descriptor_limit(want: int = 65536) -> None:
    """Raise the soft descriptor limit towards the hard one (the default soft limit is often 1,024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


def _peer(p: H11Protocol) -> str:
    return f"{p.client[0]}:{p.client[1]}" if p.client else "?"


def protocol_class(limits: ConnectionLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the head deadline and the connection cap of `limits`."""

    class GuardedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None
        _opened: float = 0.0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._opened = self.loop.time()
            self._watch_head()
            self._make_room()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch_head()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_head_timer()
            super().connection_lost(exc)

        def _waiting_for_head(self) -> bool:
            busy = self.cycle is not None and not self.cycle.response_complete
            return self.conn.their_state is h11.IDLE and not busy and not self.transport.is_closing()

        def _watch_head(self) -> None:
            """Arm the head deadline while a request head is awaited, but not on an idle kept-alive
            connection that has received nothing yet (uvicorn's keep-alive timer covers that)."""
            if not self._waiting_for_head():
                self._cancel_head_timer()
            elif self._head_timer is None and self.timeout_keep_alive_task is None:
                self._head_timer = self.loop.call_later(limits.header_timeout, self._head_timed_out)

        def _cancel_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self._waiting_for_head():
                log.warning("closed connection from %s: no complete request head within %gs", _peer(self),
                            limits.header_timeout)
                self._close()

        def _close(self) -> None:
            self._cancel_head_timer()
            if not self.transport.is_closing():
                if self.conn.our_state is h11.IDLE:
                    self.conn.send(h11.ConnectionClosed())
                self.transport.close()

        def _make_room(self) -> None:
            cap = connection_cap(limits.max_connections)
            if len(self.connections) <= cap:
                return
            waiting = [p for p in self.connections
                       if p is not self and isinstance(p, GuardedH11Protocol) and p._waiting_for_head()]
            if waiting:
                victim = min(waiting, key=lambda p: p._opened)
                log.warning("closed idle connection from %s: %d connections open (cap %d)", _peer(victim),
                            len(self.connections), cap)
                victim._close()
            else:
                log.warning("refused connection from %s: %d connections open, all busy (cap %d)", _peer(self),
                            len(self.connections), cap)
                self._close()

    return GuardedH11Protocol


def apply_limits(config: uvicorn.Config, limits: ConnectionLimits) -> None:
    """Set `limits` on a uvicorn Config before the server starts."""
    config.http = protocol_class(limits)
    config.ws = "none"
    config.timeout_keep_alive = limits.keep_alive  # type: ignore[assignment]  # call_later takes a float
    config.h11_max_incomplete_event_size = limits.max_header_bytes
    config.limit_concurrency = limits.max_connections + 1
    config.backlog = limits.backlog
    config.server_header = False


class _QuietLoopErrors:
    """asyncio's exception handler: accept() running out of descriptors is logged as one line,
    no traceback, at most once a second with a count. (asyncio retries each pending connection
    in a loop of up to `backlog` tries and logs each failure with a traceback: megabytes of log
    for one burst of connections.) Anything else goes to asyncio's default handler."""

    def __init__(self) -> None:
        self._last = -1.0
        self._quiet = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != "socket.accept() out of system resource":
            loop.default_exception_handler(context)
            return
        now = loop.time()
        if now - self._last < 1.0:
            self._quiet += 1
            return
        log.error("accept() failed: %s; %d more since the last report (lower --max-connections or raise "
                  "ulimit -n)", context.get("exception"), self._quiet)
        self._last, self._quiet = now, 0


def run(server: uvicorn.Server, sockets: list[Any]) -> None:
    """`server.run(sockets=...)` with the quiet handler above installed on its loop."""
    async def serve() -> None:
        asyncio.get_running_loop().set_exception_handler(_QuietLoopErrors())
        await server.serve(sockets=sockets)

    asyncio.run(serve())
