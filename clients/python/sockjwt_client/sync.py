"""The helper for python-socketio's threaded `socketio.Client`."""
import concurrent.futures
import queue
import threading
import time

from socketio.exceptions import BadNamespaceError

from . import _protocol as p
from ._base import REASON_GRACE_S, Outcome, SessionBase, TokenFailure, token_failure


class Session(SessionBase):
    """Keeps one `socketio.Client` authenticated with a sockjwt server (docs/protocol.md).

    A fresh token from `get_token()` for every connection; an in-place refresh before it
    expires; a reconnection with a new token when the server refuses or drops the socket for
    a reason a new token fixes; a stop, with the reason, when it cannot. The helper owns the
    client's `connect`, `connect_error`, `disconnect`, `authenticated` and `unauthorized`
    handlers on its namespace, and its reconnection: register your other events on the client
    as usual, and use `session.on(...)` for these.

        sio = socketio.Client()
        session = Session(sio, 'https://chat.example.com', get_token=fetch_token)
        session.start()
        session.wait()   # until it stops (session.stopped says why) or session.close()

    `get_token` is called on a worker thread, at most `token_timeout_s` is waited for it.
    """

    def __init__(self, client, url, get_token, **options):
        super().__init__(client, url, get_token, **options)
        self._events = queue.Queue()
        self._closed = threading.Event()
        self._done = threading.Event()
        self._thread = None
        self._lock = threading.Lock()
        self._acks = 0
        # A refused refresh's `unauthorized` may be handled after its acknowledgement (each packet
        # runs on its own thread): it must then not be taken for a drop.
        self._late_refusals = []
        self._saw_refusal = False
        self._install_handlers()

    # ------------------------------------------------------------------ public

    def start(self):
        """Connects in the background; returns at once."""
        if self._thread is not None:
            raise RuntimeError('sockjwt_client: start() was already called')
        self._thread = threading.Thread(target=self._run, name='sockjwt-session', daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout=None):
        """Blocks until the helper stops or is closed; returns `stopped` (None after close())."""
        self._done.wait(timeout)
        return self._stopped

    def refresh(self):
        """Refreshes the token in place now. Returns a Future of True (accepted) or False."""
        future = concurrent.futures.Future()
        if self._done.is_set():
            future.set_result(False)
        else:
            self._events.put(('refresh_now', future))
        return future

    def close(self):
        """Disconnects for good: no refresh, retry or reconnection follows."""
        self._closed.set()
        self._events.put(('close', None))
        self._teardown()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.token_timeout_s + self.ack_timeout_s)
        self._done.set()

    # ------------------------------------------------------------------ handlers (socketio's threads)

    def _install_handlers(self):
        ns = self.namespace
        put = self._events.put
        self.client.on('connect', lambda: put(('connect', None)), namespace=ns)
        self.client.on('connect_error', lambda *args: put(('connect_error', args[0] if args else None)), namespace=ns)
        self.client.on('disconnect', lambda: put(('disconnect', self._server_disconnected)), namespace=ns)
        self.client.on('authenticated', lambda *args: put(('authenticated', args[0] if args else None)), namespace=ns)

        def unauthorized(*args):
            put(('unauthorized', args[0] if args else None))
            return True  # the acknowledgement message mode asks for: the server may let go now

        self.client.on('unauthorized', unauthorized, namespace=ns)
        # python-socketio 5 reports a server's DISCONNECT and a lost transport alike; only the
        # former must not be retried (docs/protocol.md section 6). Mark it on the way in.
        handle = getattr(self.client, '_handle_disconnect', None)
        if handle is not None:
            def handle_disconnect(namespace, *rest):
                if (namespace or '/') == ns:
                    self._server_disconnected = True
                return handle(namespace, *rest)

            self.client._handle_disconnect = handle_disconnect

    # ------------------------------------------------------------------ the worker

    def _run(self):
        try:
            self._loop()
        except Exception as error:  # a bug here must not leave wait() hanging
            self._stop(p.SessionStopped('internal', f'sockjwt_client: {error!r}'))
        finally:
            self._teardown()
            self._done.set()

    def _loop(self):
        failures = lost = 0
        while not self._closed.is_set():
            outcome = self._connection()
            self._teardown()  # at once, not after the back-off: the server may be waiting for this end
            if outcome.kind == Outcome.CLOSED or self._closed.is_set():
                return
            decision = self._after(outcome, failures, lost)
            if decision[0] == 'stop':
                return self._stop(decision[1])
            _, delay, failures, lost = decision
            if self._closed.wait(delay):
                return

    def _connection(self):
        """One connection, from getting a token to its end."""
        self._teardown()
        self._drain()
        try:
            token = self._fetch_token()
        except TokenFailure as error:
            return Outcome(Outcome.TOKEN_FAILED, detail=str(error), retryable=error.retryable, reason=error.reason)
        self._server_disconnected = False
        self._life_capped = False
        self._late_refusals = []
        try:
            self.client.connect(self.url, auth=self._auth(token), namespaces=[self.namespace], wait=False, **self.connect_options)
        except Exception as error:  # socketio.exceptions.ConnectionError: no transport
            return self._outcome_of_connect_error(None, str(error))
        event, data, notice = self._until_connected()
        if event == 'connect_error':
            return self._outcome_of_connect_error(data, 'connect_error')
        if event != 'connect':
            return Outcome(Outcome.CLOSED) if event == 'close' else Outcome(Outcome.LOST, detail=f'no connect ({event})')
        answer = None
        if self.mode == 'message':
            answer = self._authenticate(token, live=False)
            if isinstance(answer, Outcome):
                return answer
            if not (isinstance(answer, dict) and answer.get('ok') is True):
                refusal = p.refusal_from(answer)
                if refusal is None:
                    refusal = p.no_answer(self.ack_timeout_s)
                elif not self._saw_refusal:
                    self._notify('unauthorized', refusal)
                return Outcome(Outcome.REFUSED, refusal)
        # Handshake mode: the server's `authenticated` (expiresInMs) may have come before `connect`.
        return self._live(token, answer if self.mode == 'message' else notice)

    def _until_connected(self):
        """(event, data, notice): the end of a connection attempt, and an `authenticated` that came before it.

        Each packet is handled on its own thread (or task): the server's `authenticated`, sent right
        after CONNECT, can reach the queue first; it is kept, not thrown away.
        """
        deadline = time.monotonic() + self.connect_timeout_s
        notice = None
        while True:
            event, data = self._next(max(deadline - time.monotonic(), 0), ('connect', 'connect_error', 'disconnect', 'authenticated'))
            if event == 'connect' and not self.client.connected:
                # python-socketio handles each packet on its own thread (task): a CONNECT answer
                # handled after its transport closed announces a namespace whose disconnect was
                # never announced (the client had no namespace yet when the transport closed).
                return 'disconnect', self._server_disconnected, notice
            if event != 'authenticated':
                return event, data, notice
            notice = data if isinstance(data, dict) else notice

    def _live(self, token, answer):
        """An accepted connection: refresh in place until it ends."""
        self._accept(answer, token, refreshed=False)
        refresh_failures = 0
        refresh_at = self._refresh_at()
        while True:
            timeout = None if refresh_at is None else max(refresh_at - time.monotonic(), 0)
            event, data = self._next(timeout, None)
            if event == 'timeout' or event == 'refresh_now':
                future = data if event == 'refresh_now' else None
                outcome, accepted, refusal = self._refresh()
                if future is not None:
                    future.set_result(accepted)
                if outcome is not None:
                    return outcome
                if accepted:
                    refresh_failures = 0
                    refresh_at = self._refresh_at()
                else:
                    refresh_failures += 1
                    delay = self._refresh_retry_in(refresh_failures, refusal)
                    refresh_at = None if delay is None else time.monotonic() + delay
            elif event == 'authenticated' and isinstance(data, dict):
                # Newer servers say how long this socket has (expiresInMs) right after connect.
                # Reschedule whether or not a refresh was due: a token without exp gets its first
                # deadline here when the server states one (maxAge, maxSessionMs).
                self._expiry = p.Expiry.from_answer(data, token)
                if refresh_failures == 0:
                    refresh_at = self._refresh_at()
            elif event == 'unauthorized':
                refusal = p.refusal_from(data)
                if refusal is not None and refusal.reason in self._late_refusals:
                    self._late_refusals.remove(refusal.reason)
                    continue
                return self._dropped(refusal)
            elif event == 'disconnect':
                return self._ended(data)
            elif event == 'close':
                return Outcome(Outcome.CLOSED)

    def _refresh(self):
        """(outcome if the connection ended, accepted, refusal)."""
        try:
            token = self._fetch_token()
        except TokenFailure as error:
            if not error.retryable:  # signed out: stop now, not at expiry
                return Outcome(Outcome.TOKEN_FAILED, detail=str(error), authenticated=True, retryable=False, reason=error.reason), False, None
            return None, False, None
        before = self._expiry
        answer = self._authenticate(token)
        if isinstance(answer, Outcome):
            return answer, False, None
        if isinstance(answer, dict) and answer.get('ok') is True:
            self._accept(answer, token, refreshed=True)
            self._life_capped = not self._expiry.extends(before)
            return None, True, None
        refusal = p.refusal_from(answer) or p.no_answer(self.ack_timeout_s)
        if answer is not None and not self._saw_refusal:
            self._late_refusals.append(refusal.reason)
            self._notify('unauthorized', refusal)
        if refusal.reason == 'rate_limited' and refusal.retry_after_s is None:
            refusal = None  # another authenticate was pending: simply try again later
        return None, False, refusal

    def _authenticate(self, token, live=True):
        """Sends `authenticate` and waits for its acknowledgement: the answer, None on timeout, or an Outcome."""
        with self._lock:
            self._acks += 1
            seq = self._acks
        try:
            self.client.emit('authenticate', {'token': token}, namespace=self.namespace,
                             callback=lambda *args: self._events.put(('ack', (seq, args[0] if args else None))))
        except BadNamespaceError:
            pass  # the namespace is going away: its 'disconnect' event ends this attempt below
        deadline = time.monotonic() + self.ack_timeout_s
        self._saw_refusal = False
        seen = None  # the `unauthorized` received while waiting: it explains a disconnect that follows
        while True:
            event, data = self._next(max(deadline - time.monotonic(), 0), None)
            if event == 'ack' and data[0] == seq:
                return data[1]
            if event == 'unauthorized':
                refusal = p.refusal_from(data)
                if refusal is not None:
                    self._saw_refusal = True
                    seen = refusal
                    self._notify('unauthorized', refusal)
            elif event == 'disconnect':
                # `unauthorized`, then a disconnect and no answer: a drop during a refresh, or a
                # message-mode timeout. The reason is already here: do not wait for another one.
                if seen is not None:
                    return Outcome(Outcome.REFUSED, seen, authenticated=live)
                return self._ended(data)
            elif event == 'close':
                return Outcome(Outcome.CLOSED)
            elif event == 'timeout':
                return None
            elif event == 'refresh_now':
                data.set_result(False)

    def _dropped(self, refusal):
        """An `unauthorized` outside a refresh: the server is about to disconnect."""
        if refusal is None:
            return Outcome(Outcome.SERVER_DISCONNECT, authenticated=True)
        self._notify('unauthorized', refusal)
        self._next(REASON_GRACE_S, ('disconnect', 'close'))
        return Outcome(Outcome.REFUSED, refusal, authenticated=True)

    def _ended(self, server_disconnect):
        """A disconnect: explained by an `unauthorized` that may still be on its way, or not."""
        if not server_disconnect:
            return Outcome(Outcome.LOST, authenticated=True)
        event, data = self._next(REASON_GRACE_S, ('unauthorized', 'close'))
        refusal = p.refusal_from(data) if event == 'unauthorized' else None
        if refusal is None:
            return Outcome(Outcome.CLOSED) if event == 'close' else Outcome(Outcome.SERVER_DISCONNECT, authenticated=True)
        self._notify('unauthorized', refusal)
        return Outcome(Outcome.REFUSED, refusal, authenticated=True)

    def _outcome_of_connect_error(self, data, detail):
        refusal = p.refusal_from(data)
        if refusal is not None:
            self._notify('unauthorized', refusal)
            return Outcome(Outcome.REFUSED, refusal)
        if data is None:
            return Outcome(Outcome.LOST, detail=detail)
        return Outcome(Outcome.NOT_SOCKJWT, detail=str(data.get('message', data)) if isinstance(data, dict) else str(data))

    # ------------------------------------------------------------------ helpers

    def _next(self, timeout, kinds):
        """The next event (of `kinds`, or any); ('timeout', None) when none comes in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0)
            try:
                event, data = self._events.get(timeout=remaining)
            except queue.Empty:
                return 'timeout', None
            if kinds is None or event in kinds or event == 'close':
                return event, data
            if event == 'refresh_now':
                data.set_result(False)

    def _drain(self):
        while True:
            try:
                event, data = self._events.get_nowait()
            except queue.Empty:
                return
            if event == 'refresh_now':
                data.set_result(False)
            elif event == 'close':
                self._events.put((event, data))
                return

    def _fetch_token(self):
        box = {}
        finished = threading.Event()

        def call():
            try:
                box['token'] = self._get_token()
            except BaseException as error:  # reported, not raised on a stray thread
                box['error'] = error
            finally:
                finished.set()

        threading.Thread(target=call, name='sockjwt-get-token', daemon=True).start()
        if not finished.wait(self.token_timeout_s):
            raise TokenFailure(f'get_token did not answer within {self.token_timeout_s} s', reason=p.TOKEN_TIMEOUT)
        if 'error' in box:
            raise token_failure(box['error'])
        return self._check_token(box.get('token'))

    def _accept(self, answer, token, refreshed):
        self._expiry = p.Expiry.from_answer(answer, token)
        self._notify('authenticated', {'exp': self._expiry.exp, 'expires_in_s': self._expiry.remaining_s(), 'refreshed': refreshed})

    def _refresh_at(self):
        if self._life_capped:  # a refresh did not extend the life: none until the drop (protocol.md 8.2)
            return None
        delay = self._expiry.refresh_in_s(self.refresh_lead_s)
        return None if delay is None else time.monotonic() + delay

    def _teardown(self):
        try:
            self.client.disconnect()
        except Exception:  # already gone
            pass
        self.client.connected = False
        # A server that closed the websocket (a graceful restart) leaves python-engineio (4.x)
        # disconnected with the TCP connection still open: its disconnect() does nothing then, and
        # the server waits 30 s (ws's close timeout) for this end. Close it here.
        transport = getattr(getattr(self.client, 'eio', None), 'ws', None)
        if transport is not None and getattr(transport, 'sock', None) is not None:
            try:
                transport.shutdown()
            except Exception:  # already closed
                pass

    def _stop(self, error):
        if self._stopped is None:
            self._stopped = error
            self._teardown()
            self._notify('stopped', error)

    def _notify(self, event, value):
        for callback in list(self._callbacks[event]):
            try:
                callback(value)
            except Exception:  # an app callback must not kill the session
                pass
