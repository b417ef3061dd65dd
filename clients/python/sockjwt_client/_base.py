"""What the threaded and the asyncio driver share: the public surface, python-socketio's handlers,
and how an event of the client reaches the core. The decisions are the core's (_core.py).
"""
from . import _core as c

EVENTS = ('authenticated', 'unauthorized', 'stopped')


class DriverBase:
    """Settings, callbacks and handlers; subclasses add the waiting (threads or asyncio)."""

    def __init__(self, client, url, get_token, *, mode='handshake', namespace='/', refresh_lead_s=30.0,
                 token_timeout_s=10.0, ack_timeout_s=10.0, connect_timeout_s=10.0, max_retries=5,
                 retry_delay_s=1.0, connect_options=None):
        if not callable(get_token):
            raise TypeError('sockjwt_client: get_token must be callable')
        settings = c.Settings(mode=mode, refresh_lead_s=refresh_lead_s, token_timeout_s=token_timeout_s,
                              ack_timeout_s=ack_timeout_s, connect_timeout_s=connect_timeout_s,
                              max_retries=max_retries, retry_delay_s=retry_delay_s)
        self.client = client
        self.url = url
        self.namespace = namespace
        self.settings = settings
        self.connect_options = dict(connect_options or {})
        self._get_token = get_token
        self._callbacks = {event: [] for event in EVENTS}
        self._core = c.Core(settings)
        self._server_disconnected = False
        # The helper reconnects itself, with a new token each time; python-socketio's own
        # reconnection would resend the old one.
        client.reconnection = False
        self._install_handlers()

    def on(self, event, callback):
        """Registers `callback` for 'authenticated' (info dict), 'unauthorized' (Refusal) or 'stopped' (SessionStopped)."""
        if event not in self._callbacks:
            raise ValueError(f'sockjwt_client: unknown event {event!r}; one of {EVENTS}')
        self._callbacks[event].append(callback)
        return callback

    @property
    def stopped(self):
        """The SessionStopped the helper gave up with, or None while it keeps going."""
        return self._core.stopped

    @property
    def exp(self):
        """The current token's `exp` (seconds since the epoch), or None."""
        return self._core.expiry.exp

    # ------------------------------------------------------------------ handlers (socketio's threads or tasks)

    def _post(self, event, *args):
        """Hands an event of the client to the driver's loop (thread-safe / loop-safe in the subclass)."""
        raise NotImplementedError

    def _install_handlers(self):
        ns = self.namespace
        client = self.client
        reasons = getattr(client, 'reason', None)  # python-socketio >= 5.12 passes the disconnect reason

        def disconnect(*args):
            if reasons is not None and args:
                self._post('disconnected', args[0] == reasons.SERVER_DISCONNECT)
            else:
                self._post('disconnected', self._server_disconnected)

        def unauthorized(*args):
            self._post('unauthorized', args[0] if args else None)
            return True  # the acknowledgement message mode asks for: the server may let go now

        client.on('connect', lambda: self._post('connected'), namespace=ns)
        client.on('connect_error', lambda *args: self._post('connect_error', args[0] if args else None), namespace=ns)
        client.on('disconnect', disconnect, namespace=ns)
        client.on('authenticated', lambda *args: self._post('authenticated', args[0] if args else None), namespace=ns)
        client.on('unauthorized', unauthorized, namespace=ns)
        if reasons is None:
            self._mark_server_disconnects()

    def _mark_server_disconnects(self):
        """python-socketio before 5.12 reports a server's DISCONNECT and a lost transport alike, and
        has no public way to tell them apart; only the former must not be retried (docs/protocol.md
        section 6). Its packet handler is wrapped to mark the former on the way in.
        """
        handle = getattr(self.client, '_handle_disconnect', None)
        if handle is None:
            return
        ns = self.namespace

        def handle_disconnect(namespace, *rest):
            if (namespace or '/') == ns:
                self._server_disconnected = True
            return handle(namespace, *rest)

        self.client._handle_disconnect = handle_disconnect
        # The threaded client handles each socket.io packet on a thread of its own, but the
        # transport's close on the read loop: the close can report the disconnect before the
        # DISCONNECT packet is handled. So it is also marked as engine.io receives it, in order.
        eio = getattr(self.client, 'eio', None)
        receive = getattr(eio, '_receive_packet', None)
        if receive is None:
            return

        def receive_packet(pkt):
            if getattr(pkt, 'packet_type', None) == 4 and _disconnects(pkt.data, ns):  # 4: engine.io MESSAGE
                self._server_disconnected = True
            return receive(pkt)

        eio._receive_packet = receive_packet

    def _dispatch(self, event, args):
        """The core's answer to an event of the client."""
        if event == 'connected':
            return self._core.connected(alive=self.client.connected)
        return getattr(self._core, event)(*args)

    def _connect_kwargs(self, auth):
        return dict(auth=auth, namespaces=[self.namespace], **self.connect_options)

    def _close_transport(self):
        """A server that closed the websocket (a graceful restart) leaves python-engineio 4.x
        disconnected with its TCP connection open: `disconnect()` does nothing then, and the server
        waits 30 s (ws's close timeout) for this end. Shut it here.
        """
        transport = getattr(getattr(self.client, 'eio', None), 'ws', None)
        if transport is not None and getattr(transport, 'sock', None) is not None and hasattr(transport, 'shutdown'):
            try:
                transport.shutdown()
            except Exception:  # already closed
                pass


def _disconnects(data, namespace):
    """Whether an engine.io message is socket.io's DISCONNECT packet (type 1) for `namespace`."""
    if not isinstance(data, str) or not data.startswith('1'):
        return False
    rest = data[1:]
    packet_namespace = rest.split(',', 1)[0] if rest.startswith('/') else '/'
    return packet_namespace == namespace
