"""The helper for python-socketio's `socketio.AsyncClient` (asyncio; the client needs aiohttp): a task
that drives the core, as the threaded Session (sync.py) does with a thread.
"""
import asyncio
import inspect
import time

from socketio.exceptions import BadNamespaceError

from . import _core as c
from ._base import DriverBase


class AsyncSession(DriverBase):
    """Keeps one `socketio.AsyncClient` authenticated with a sockjwt server (docs/protocol.md).

        sio = socketio.AsyncClient()
        session = AsyncSession(sio, 'https://chat.example.com', get_token=fetch_token)
        await session.start()
        stopped = await session.wait()

    `get_token` may be a coroutine function or a plain function (run in a thread); at most
    `token_timeout_s` is waited for it. Callbacks given to `on()` may be coroutine functions.
    """

    def __init__(self, client, url, get_token, **options):
        self._events = None  # an asyncio.Queue, made in start() on the running loop
        super().__init__(client, url, get_token, **options)
        self._task = None
        self._finished = False

    # ------------------------------------------------------------------ public

    async def start(self):
        """Starts connecting in a task; returns at once."""
        if self._task is not None:
            raise RuntimeError('sockjwt_client: start() was already called')
        self._events = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def wait(self, timeout=None):
        """Waits until the helper stops or is closed; returns `stopped` (None after close())."""
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except asyncio.TimeoutError:
            pass
        return self.stopped

    async def refresh(self):
        """Refreshes the token in place now; True if the server accepted the new token."""
        if self._task is None or self._task.done():
            return False
        future = asyncio.get_running_loop().create_future()
        self._post('refresh_requested', future)
        return await future

    async def close(self):
        """Disconnects for good: no refresh, retry or reconnection follows."""
        self._post('close')
        await self._teardown()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), self.settings.token_timeout_s + self.settings.ack_timeout_s)
            except asyncio.TimeoutError:
                self._task.cancel()

    # ------------------------------------------------------------------ the task

    def _post(self, event, *args):
        if self._events is not None:
            self._events.put_nowait((event, args))

    async def _run(self):
        try:
            await self._perform(self._core.start())
            while not self._finished:
                deadline = self._core.deadline
                try:
                    event, args = await asyncio.wait_for(self._events.get(), None if deadline is None else max(deadline - time.monotonic(), 0))
                except asyncio.TimeoutError:
                    await self._perform(self._core.timer_fired())
                    continue
                await self._perform(self._dispatch(event, args))
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug here must not leave wait() hanging
            self._core.stopped = self._core.stopped or c.p.SessionStopped('internal', f'sockjwt_client: {error!r}')
        finally:
            await self._teardown()
            self._refuse_pending_refreshes()

    def _refuse_pending_refreshes(self):
        """refresh() calls that reached the queue after the session ended resolve False."""
        while not self._events.empty():
            event, args = self._events.get_nowait()
            if event == 'refresh_requested' and not args[0].done():
                args[0].set_result(False)

    async def _perform(self, actions):
        for action in actions:
            if isinstance(action, c.FetchToken):
                asyncio.get_running_loop().create_task(self._fetch_token(action.ticket))
            elif isinstance(action, c.Connect):
                await self._connect(action.auth)
            elif isinstance(action, c.SendAuthenticate):
                await self._send_authenticate(action)
            elif isinstance(action, c.Teardown):
                await self._teardown()
            elif isinstance(action, c.Notify):
                await self._notify(action.event, action.value)
            elif isinstance(action, c.Resolve):
                if not action.waiter.done():  # the application may have cancelled its await
                    action.waiter.set_result(action.value)
            elif isinstance(action, c.Finished):
                self._finished = True

    async def _fetch_token(self, ticket):
        try:
            if inspect.iscoroutinefunction(self._get_token):
                token = await self._get_token()
            else:
                token = await asyncio.get_running_loop().run_in_executor(None, self._get_token)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._post('token_failed', ticket, c.token_failure(error))
        else:
            self._post('token_ready', ticket, token)

    async def _connect(self, auth):
        self._server_disconnected = False
        try:
            await self.client.connect(self.url, wait=False, **self._connect_kwargs(auth))
        except Exception as error:  # socketio.exceptions.ConnectionError: no transport
            self._post('connect_error', None, str(error))

    async def _send_authenticate(self, action):
        try:
            await self.client.emit('authenticate', {'token': action.token}, namespace=self.namespace,
                                   callback=lambda *args: self._post('acked', action.seq, args[0] if args else None))
        except BadNamespaceError:
            pass  # the namespace is going away: its 'disconnect' event ends this attempt

    async def _teardown(self):
        try:
            await self.client.disconnect()
        except Exception:  # already gone
            pass
        self.client.connected = False

    async def _notify(self, event, value):
        for callback in list(self._callbacks[event]):
            try:
                result = callback(value)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # an app callback must not kill the session
                pass
