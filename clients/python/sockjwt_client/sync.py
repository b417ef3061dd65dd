"""The helper for python-socketio's threaded `socketio.Client`: a thread that drives the core."""
import concurrent.futures
import queue
import threading
import time

from socketio.exceptions import BadNamespaceError

from . import _core as c
from ._base import DriverBase

# Bounds the wait for python-engineio's loops after a teardown; they end within milliseconds once
# the transport is shut (a websocket close waits up to 3 s for the server's close frame).
ENGINE_TASK_JOIN_S = 5.0


class Session(DriverBase):
    """Keeps one `socketio.Client` authenticated with a sockjwt server (docs/protocol.md).

    A fresh token from `get_token()` for every connection; an in-place refresh before it
    expires; a reconnection with a new token when the server refuses or drops the socket for
    a reason a new token fixes; a stop, with the reason, when it cannot. The helper owns the
    client's `connect`, `connect_error`, `disconnect`, `authenticated` and `unauthorized`
    handlers on its namespace, and its reconnection: register your other events on the client
    as usual, and use `session.on(...)` for these.

        sio = socketio.Client()
        session = Session(sio, 'https://chat.example.com', get_token=fetch_token)
        session.on('stopped', lambda error: print('gave up:', error.reason))
        session.start()

    `get_token` is called on a worker thread, at most `token_timeout_s` is waited for it.
    """

    def __init__(self, client, url, get_token, **options):
        self._events = queue.Queue()
        super().__init__(client, url, get_token, **options)
        self._done = threading.Event()
        self._thread = None
        self._heard_disconnect = False  # the connection's end was reported by python-socketio

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
        return self.stopped

    def refresh(self):
        """Refreshes the token in place now. Returns a Future of True (accepted) or False."""
        future = concurrent.futures.Future()
        if self._done.is_set() or self._thread is None:
            future.set_result(False)
        else:
            self._post('refresh_requested', future)
        return future

    def close(self):
        """Disconnects for good: no refresh, retry or reconnection follows."""
        self._post('close')
        self._teardown()  # unblocks a worker waiting on the client
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.settings.token_timeout_s + self.settings.ack_timeout_s)
        self._done.set()

    # ------------------------------------------------------------------ the worker

    def _post(self, event, *args):
        self._events.put((event, args))

    def _dispatch(self, event, args):
        if event == 'disconnected' or (event == 'connected' and not self.client.connected):
            self._heard_disconnect = True
        return super()._dispatch(event, args)

    def _run(self):
        try:
            self._perform(self._core.start())
            while not self._done.is_set():
                deadline = self._core.deadline
                try:
                    event, args = self._events.get(timeout=None if deadline is None else max(deadline - time.monotonic(), 0))
                except queue.Empty:
                    self._perform(self._core.timer_fired())
                    continue
                self._perform(self._dispatch(event, args))
        except Exception as error:  # a bug here must not leave wait() hanging
            self._core.stopped = self._core.stopped or c.p.SessionStopped('internal', f'sockjwt_client: {error!r}')
        finally:
            self._teardown()
            self._done.set()
            self._refuse_pending_refreshes()

    def _refuse_pending_refreshes(self):
        """refresh() calls that reached the queue after the session ended resolve False."""
        while True:
            try:
                event, args = self._events.get_nowait()
            except queue.Empty:
                return
            if event == 'refresh_requested' and not args[0].done():
                args[0].set_result(False)

    def _perform(self, actions):
        for action in actions:
            if isinstance(action, c.FetchToken):
                self._fetch_token(action.ticket)
            elif isinstance(action, c.Connect):
                self._connect(action.auth)
            elif isinstance(action, c.SendAuthenticate):
                self._send_authenticate(action)
            elif isinstance(action, c.Teardown):
                self._teardown()
            elif isinstance(action, c.Notify):
                self._notify(action.event, action.value)
            elif isinstance(action, c.Resolve):
                if not action.waiter.done():  # the application may have cancelled its future
                    action.waiter.set_result(action.value)
            elif isinstance(action, c.Finished):
                self._done.set()

    def _fetch_token(self, ticket):
        def call():
            try:
                token = self._get_token()
            except BaseException as error:  # reported, not raised on a stray thread
                self._post('token_failed', ticket, c.token_failure(error))
            else:
                self._post('token_ready', ticket, token)

        threading.Thread(target=call, name='sockjwt-get-token', daemon=True).start()

    def _connect(self, auth):
        self._server_disconnected = False
        try:
            self.client.connect(self.url, wait=False, **self._connect_kwargs(auth))
        except Exception as error:  # socketio.exceptions.ConnectionError: no transport
            self._post('connect_error', None, str(error))

    def _send_authenticate(self, action):
        try:
            self.client.emit('authenticate', {'token': action.token}, namespace=self.namespace,
                             callback=lambda *args: self._post('acked', action.seq, args[0] if args else None))
        except BadNamespaceError:
            pass  # the namespace is going away: its 'disconnect' event ends this attempt

    def _teardown(self):
        # After a disconnect python-socketio reported, its engine is ending the connection on its
        # own threads: a disconnect() from here would race them. Shut the transport and wait for them.
        heard, self._heard_disconnect = self._heard_disconnect, False
        if not heard:
            self._disconnect_client()
        self._close_transport()
        self._join_engine_tasks()
        if heard:
            self._disconnect_client()  # the engine is down: this only resets the client's state
        self.client.connected = False

    def _disconnect_client(self):
        try:
            self.client.disconnect()
        except Exception:  # already gone
            pass

    def _join_engine_tasks(self):
        """Waits for python-engineio's read and write loops of the connection just torn down.

        A loop still running when the next connect() replaces the engine's packet queue takes its
        None from the old queue and calls task_done() on the new one ("task_done() called too many
        times", a crash of the new connection's writer). The transport is shut, so they end at once.
        """
        eio = getattr(self.client, 'eio', None)
        for task in (getattr(eio, 'read_loop_task', None), getattr(eio, 'write_loop_task', None)):
            if isinstance(task, threading.Thread) and task is not threading.current_thread():
                task.join(ENGINE_TASK_JOIN_S)

    def _notify(self, event, value):
        for callback in list(self._callbacks[event]):
            try:
                callback(value)
            except Exception:  # an app callback must not kill the session
                pass
