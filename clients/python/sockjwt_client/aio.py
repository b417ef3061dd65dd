"""The helper for python-socketio's `socketio.AsyncClient` (asyncio; the client needs aiohttp).

The same decisions as the threaded Session (sync.py), awaited instead of waited for.
"""
import asyncio
import inspect
import time

from socketio.exceptions import BadNamespaceError

from . import _protocol as p
from ._base import REASON_GRACE_S, Outcome, SessionBase, TokenFailure, token_failure


class AsyncSession(SessionBase):
    """Keeps one `socketio.AsyncClient` authenticated with a sockjwt server (docs/protocol.md).

        sio = socketio.AsyncClient()
        session = AsyncSession(sio, 'https://chat.example.com', get_token=fetch_token)
        await session.start()
        await session.wait()   # until it stops (session.stopped says why) or await session.close()

    `get_token` may be a coroutine function or a plain function (run in a thread); at most
    `token_timeout_s` is waited for it. Callbacks given to `on()` may be coroutine functions.
    """

    def __init__(self, client, url, get_token, **options):
        super().__init__(client, url, get_token, **options)
        self._events = None  # an asyncio.Queue, made in start() on the running loop
        self._closed = None
        self._task = None
        self._acks = 0
        self._late_refusals = []
        self._saw_refusal = False
        self._install_handlers()

    # ------------------------------------------------------------------ public

    async def start(self):
        """Starts connecting in a task; returns at once."""
        if self._task is not None:
            raise RuntimeError('sockjwt_client: start() was already called')
        self._events = asyncio.Queue()
        self._closed = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def wait(self, timeout=None):
        """Waits until the helper stops or is closed; returns `stopped` (None after close())."""
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except asyncio.TimeoutError:
            pass
        return self._stopped

    async def refresh(self):
        """Refreshes the token in place now; True if the server accepted the new token."""
        if self._task is None or self._task.done():
            return False
        future = asyncio.get_running_loop().create_future()
        self._events.put_nowait(('refresh_now', future))
        return await future

    async def close(self):
        """Disconnects for good: no refresh, retry or reconnection follows."""
        if self._closed is not None:
            self._closed.set()
            self._events.put_nowait(('close', None))
        await self._teardown()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), self.token_timeout_s + self.ack_timeout_s)
            except asyncio.TimeoutError:
                self._task.cancel()

    # ------------------------------------------------------------------ handlers

    def _install_handlers(self):
        ns = self.namespace

        def put(event, data=None):
            if self._events is not None:
                self._events.put_nowait((event, data))

        async def connect():
            put('connect')

        async def connect_error(*args):
            put('connect_error', args[0] if args else None)

        async def disconnect():
            put('disconnect', self._server_disconnected)

        async def authenticated(*args):
            put('authenticated', args[0] if args else None)

        async def unauthorized(*args):
            put('unauthorized', args[0] if args else None)
            return True  # the acknowledgement message mode asks for

        for event, handler in (('connect', connect), ('connect_error', connect_error), ('disconnect', disconnect),
                               ('authenticated', authenticated), ('unauthorized', unauthorized)):
            self.client.on(event, handler, namespace=ns)
        self._put = put
        # A server's DISCONNECT must not be retried, a lost transport must (docs/protocol.md section 6).
        handle = getattr(self.client, '_handle_disconnect', None)
        if handle is not None:
            async def handle_disconnect(namespace, *rest):
                if (namespace or '/') == ns:
                    self._server_disconnected = True
                return await handle(namespace, *rest)

            self.client._handle_disconnect = handle_disconnect

    # ------------------------------------------------------------------ the task

    async def _run(self):
        try:
            await self._loop()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await self._stop(p.SessionStopped('internal', f'sockjwt_client: {error!r}'))
        finally:
            await self._teardown()

    async def _loop(self):
        failures = lost = 0
        while not self._closed.is_set():
            outcome = await self._connection()
            if outcome.kind == Outcome.CLOSED or self._closed.is_set():
                return
            decision = self._after(outcome, failures, lost)
            if decision[0] == 'stop':
                return await self._stop(decision[1])
            _, delay, failures, lost = decision
            try:
                await asyncio.wait_for(self._closed.wait(), delay)
                return
            except asyncio.TimeoutError:
                pass

    async def _connection(self):
        await self._teardown()
        self._drain()
        try:
            token = await self._fetch_token()
        except TokenFailure as error:
            return Outcome(Outcome.TOKEN_FAILED, detail=str(error), retryable=error.retryable, reason=error.reason)
        self._server_disconnected = False
        self._life_capped = False
        self._late_refusals = []
        try:
            await self.client.connect(self.url, auth=self._auth(token), namespaces=[self.namespace], wait=False, **self.connect_options)
        except Exception as error:
            return await self._outcome_of_connect_error(None, str(error))
        event, data, notice = await self._until_connected()
        if event == 'connect_error':
            return await self._outcome_of_connect_error(data, 'connect_error')
        if event != 'connect':
            return Outcome(Outcome.CLOSED) if event == 'close' else Outcome(Outcome.LOST, detail=f'no connect ({event})')
        answer = None
        if self.mode == 'message':
            answer = await self._authenticate(token, live=False)
            if isinstance(answer, Outcome):
                return answer
            if not (isinstance(answer, dict) and answer.get('ok') is True):
                refusal = p.refusal_from(answer)
                if refusal is None:
                    refusal = p.no_answer(self.ack_timeout_s)
                elif not self._saw_refusal:
                    await self._notify('unauthorized', refusal)
                return Outcome(Outcome.REFUSED, refusal)
        # Handshake mode: the server's `authenticated` (expiresInMs) may have come before `connect`.
        return await self._live(token, answer if self.mode == 'message' else notice)

    async def _until_connected(self):
        """(event, data, notice): the end of a connection attempt, and an `authenticated` that came before it.

        Each packet is handled on its own thread (or task): the server's `authenticated`, sent right
        after CONNECT, can reach the queue first; it is kept, not thrown away.
        """
        deadline = time.monotonic() + self.connect_timeout_s
        notice = None
        while True:
            event, data = await self._next(max(deadline - time.monotonic(), 0), ('connect', 'connect_error', 'disconnect', 'authenticated'))
            if event == 'connect' and not self.client.connected:
                # python-socketio handles each packet on its own thread (task): a CONNECT answer
                # handled after its transport closed announces a namespace whose disconnect was
                # never announced (the client had no namespace yet when the transport closed).
                return 'disconnect', self._server_disconnected, notice
            if event != 'authenticated':
                return event, data, notice
            notice = data if isinstance(data, dict) else notice

    async def _live(self, token, answer):
        await self._accept(answer, token, refreshed=False)
        refresh_failures = 0
        refresh_at = self._refresh_at()
        while True:
            timeout = None if refresh_at is None else max(refresh_at - time.monotonic(), 0)
            event, data = await self._next(timeout, None)
            if event == 'timeout' or event == 'refresh_now':
                future = data if event == 'refresh_now' else None
                outcome, accepted, refusal = await self._refresh()
                if future is not None and not future.done():
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
                return await self._dropped(refusal)
            elif event == 'disconnect':
                return await self._ended(data)
            elif event == 'close':
                return Outcome(Outcome.CLOSED)

    async def _refresh(self):
        try:
            token = await self._fetch_token()
        except TokenFailure as error:
            if not error.retryable:  # signed out: stop now, not at expiry
                return Outcome(Outcome.TOKEN_FAILED, detail=str(error), authenticated=True, retryable=False, reason=error.reason), False, None
            return None, False, None
        before = self._expiry
        answer = await self._authenticate(token)
        if isinstance(answer, Outcome):
            return answer, False, None
        if isinstance(answer, dict) and answer.get('ok') is True:
            await self._accept(answer, token, refreshed=True)
            self._life_capped = not self._expiry.extends(before)
            return None, True, None
        refusal = p.refusal_from(answer) or p.no_answer(self.ack_timeout_s)
        if answer is not None and not self._saw_refusal:
            self._late_refusals.append(refusal.reason)
            await self._notify('unauthorized', refusal)
        if refusal.reason == 'rate_limited' and refusal.retry_after_s is None:
            refusal = None
        return None, False, refusal

    async def _authenticate(self, token, live=True):
        self._acks += 1
        seq = self._acks
        try:
            await self.client.emit('authenticate', {'token': token}, namespace=self.namespace,
                                   callback=lambda *args: self._put('ack', (seq, args[0] if args else None)))
        except BadNamespaceError:
            pass  # the namespace is going away: its 'disconnect' event ends this attempt below
        deadline = time.monotonic() + self.ack_timeout_s
        self._saw_refusal = False
        seen = None  # the `unauthorized` received while waiting: it explains a disconnect that follows
        while True:
            event, data = await self._next(max(deadline - time.monotonic(), 0), None)
            if event == 'ack' and data[0] == seq:
                return data[1]
            if event == 'unauthorized':
                refusal = p.refusal_from(data)
                if refusal is not None:
                    self._saw_refusal = True
                    seen = refusal
                    await self._notify('unauthorized', refusal)
            elif event == 'disconnect':
                # `unauthorized`, then a disconnect and no answer: a drop during a refresh, or a
                # message-mode timeout. The reason is already here: do not wait for another one.
                if seen is not None:
                    return Outcome(Outcome.REFUSED, seen, authenticated=live)
                return await self._ended(data)
            elif event == 'close':
                return Outcome(Outcome.CLOSED)
            elif event == 'timeout':
                return None
            elif event == 'refresh_now' and not data.done():
                data.set_result(False)

    async def _dropped(self, refusal):
        if refusal is None:
            return Outcome(Outcome.SERVER_DISCONNECT, authenticated=True)
        await self._notify('unauthorized', refusal)
        await self._next(REASON_GRACE_S, ('disconnect', 'close'))
        return Outcome(Outcome.REFUSED, refusal, authenticated=True)

    async def _ended(self, server_disconnect):
        if not server_disconnect:
            return Outcome(Outcome.LOST, authenticated=True)
        event, data = await self._next(REASON_GRACE_S, ('unauthorized', 'close'))
        refusal = p.refusal_from(data) if event == 'unauthorized' else None
        if refusal is None:
            return Outcome(Outcome.CLOSED) if event == 'close' else Outcome(Outcome.SERVER_DISCONNECT, authenticated=True)
        await self._notify('unauthorized', refusal)
        return Outcome(Outcome.REFUSED, refusal, authenticated=True)

    async def _outcome_of_connect_error(self, data, detail):
        refusal = p.refusal_from(data)
        if refusal is not None:
            await self._notify('unauthorized', refusal)
            return Outcome(Outcome.REFUSED, refusal)
        if data is None:
            return Outcome(Outcome.LOST, detail=detail)
        return Outcome(Outcome.NOT_SOCKJWT, detail=str(data.get('message', data)) if isinstance(data, dict) else str(data))

    # ------------------------------------------------------------------ helpers

    async def _next(self, timeout, kinds):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0)
            try:
                event, data = await asyncio.wait_for(self._events.get(), remaining)
            except asyncio.TimeoutError:
                return 'timeout', None
            if kinds is None or event in kinds or event == 'close':
                return event, data
            if event == 'refresh_now' and not data.done():
                data.set_result(False)

    def _drain(self):
        while not self._events.empty():
            event, data = self._events.get_nowait()
            if event == 'refresh_now' and not data.done():
                data.set_result(False)
            elif event == 'close':
                self._events.put_nowait((event, data))
                return

    async def _fetch_token(self):
        try:
            if inspect.iscoroutinefunction(self._get_token):
                token = await asyncio.wait_for(self._get_token(), self.token_timeout_s)
            else:
                token = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, self._get_token), self.token_timeout_s)
        except asyncio.TimeoutError:
            raise TokenFailure(f'get_token did not answer within {self.token_timeout_s} s', reason=p.TOKEN_TIMEOUT) from None
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise token_failure(error) from None
        return self._check_token(token)

    async def _accept(self, answer, token, refreshed):
        self._expiry = p.Expiry.from_answer(answer, token)
        await self._notify('authenticated', {'exp': self._expiry.exp, 'expires_in_s': self._expiry.remaining_s(), 'refreshed': refreshed})

    def _refresh_at(self):
        if self._life_capped:  # a refresh did not extend the life: none until the drop (protocol.md 8.2)
            return None
        delay = self._expiry.refresh_in_s(self.refresh_lead_s)
        return None if delay is None else time.monotonic() + delay

    async def _teardown(self):
        try:
            await self.client.disconnect()
        except Exception:
            pass
        self.client.connected = False

    async def _stop(self, error):
        if self._stopped is None:
            self._stopped = error
            await self._teardown()
            await self._notify('stopped', error)

    async def _notify(self, event, value):
        for callback in list(self._callbacks[event]):
            try:
                result = callback(value)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                pass
