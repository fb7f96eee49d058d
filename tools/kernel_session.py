"""A kernel manager for nbclient whose messages cannot hide a reply from the client (issue 15).

    from tools.kernel_session import WakeupKernelManager
    NotebookClient(nb, kernel_manager_class=WakeupKernelManager, ...)

The stall it removes: jupyter_client's ``Session.send`` (every release from 7.4.3 to 8.10.0 at
least) sends on a ``zmq.asyncio`` socket through a plain ``zmq.Socket.shadow`` of it, so pyzmq's
asyncio layer never sees the send. libzmq processes the socket's pending commands on every send,
and one of them can be the "message arrived" command of a reply that is already in the socket:
the send consumes the socket's edge-triggered ``ZMQ_FD`` wake-up, and a coroutine that awaits
``socket.poll()`` on that socket sleeps until its timeout, then finds the reply and carries on.
nbclient hits this while it waits for a cell's ``execute_reply``: its Output-widget emulation
sends ``comm_msg`` updates on the shell channel as the cell's captured outputs arrive.

pyzmq guards its own sends against exactly this (after a send that completes at once it re-reads
``EVENTS`` and schedules the waiting receivers); :class:`WakeupSession` does the same after the
shadow send, through the public ``socket.get(zmq.EVENTS)`` of the asyncio socket.
"""

from __future__ import annotations

from typing import Any

import zmq
import zmq.asyncio
from jupyter_client import AsyncKernelManager
from jupyter_client.session import Session


class WakeupSession(Session):
    """A :class:`~jupyter_client.session.Session` whose ``send`` on an asyncio socket wakes the
    socket's waiting receivers when the send found a message for them."""

    def send(self, stream: Any, *args: Any, **kwargs: Any) -> Any:
        msg = super().send(stream, *args, **kwargs)
        if isinstance(stream, zmq.asyncio.Socket) and not stream.closed:
            # The asyncio socket's get(EVENTS) schedules pyzmq's event handler when a message
            # is waiting and a recv or poll is pending, as pyzmq's own send does.
            stream.get(zmq.EVENTS)
        return msg


class WakeupKernelManager(AsyncKernelManager):
    """nbclient's default kernel manager, with a :class:`WakeupSession` for it and its clients."""

    def _session_default(self) -> Session:  # the name jupyter_client's default uses
        return WakeupSession(parent=self)
