"""The Python helper against a real sockjwt server, for test/python-client.test.ts.

    python3 lifetime_client.py <url> <sync|async> <handshake|message> <secret> <until> [authenticated-first]

get_token mints tokens with PyJWT: `{sub, iat}` and no `exp` (the server's `maxAge` or nothing
decides their life) unless SOCKJWT_TEST_EXP_S sets one. Prints one JSON line per helper event
({"event": "authenticated", "exp", "expires_in_s", "refreshed"}, {"event": "unauthorized",
"reason"}, {"event": "stopped", "reason"}) and exits, closing the session, on the first of:
`until` ('refreshed': an accepted in-place refresh; 'authenticated': the first acceptance;
'reconnected': the acceptance of a second connection), an `unauthorized`, or a stop. Each token
carries `n`, the count of get_token calls, so the server can tell a fresh token from a reused one.

signed-out-after-first: get_token raises SignedOut from its second call (the first refresh) on.

connect-after-drop (threaded client only): python-socketio's handling of the first CONNECT answer
is held until that connection's transport has dropped (the server cuts it as it admits the socket),
so the helper hears `connect` for a connection that is already gone, and no `disconnect` for it.
python-socketio runs each packet on its own thread, so under load this happens by itself.

authenticated-first (threaded client only): the helper's `connect` handler is held until its
`authenticated` handler has run, so the server's `authenticated` reaches the helper before
`connect` does. python-socketio runs each packet on its own thread, so this order happens by
itself now and then; here it happens every time.
"""
import asyncio
import json
import os
import pathlib
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / 'clients' / 'python'))

import jwt  # noqa: E402
import socketio  # noqa: E402

from sockjwt_client import AsyncSession, Session, SignedOut  # noqa: E402

URL, FLAVOUR, MODE, SECRET, UNTIL = sys.argv[1:6]
AUTHENTICATED_FIRST = 'authenticated-first' in sys.argv[6:]
SIGNED_OUT_AFTER_FIRST = 'signed-out-after-first' in sys.argv[6:]
CONNECT_AFTER_DROP = 'connect-after-drop' in sys.argv[6:]
issued = []
EXP_S = os.environ.get('SOCKJWT_TEST_EXP_S')
_parts = urllib.parse.urlsplit(URL)
SERVER, NAMESPACE = f'{_parts.scheme}://{_parts.netloc}', _parts.path or '/'


def get_token():
    if SIGNED_OUT_AFTER_FIRST and issued:
        raise SignedOut('the user signed out')
    issued.append(1)
    claims = {'sub': 'python', 'iat': int(time.time()), 'n': len(issued)}
    if EXP_S:
        claims['exp'] = int(time.time()) + int(EXP_S)
    return jwt.encode(claims, SECRET, algorithm='HS256')


def say(event, **fields):
    print(json.dumps({'event': event, **fields}), flush=True)


def watch(session, finished):
    """Prints the helper's events; calls finished() on the one that ends the run."""
    connections = []

    def authenticated(info):
        say('authenticated', exp=info['exp'], expires_in_s=info['expires_in_s'], refreshed=info['refreshed'])
        if not info['refreshed']:
            connections.append(1)
        if UNTIL == 'authenticated' or info['refreshed'] or (UNTIL == 'reconnected' and len(connections) == 2):
            finished()

    def unauthorized(refusal):
        say('unauthorized', reason=refusal.reason)
        finished()

    def stopped(error):
        say('stopped', reason=error.reason)
        finished()

    session.on('authenticated', authenticated)
    session.on('unauthorized', unauthorized)
    session.on('stopped', stopped)


def hold_connect_until_authenticated(sio):
    """Reorders the helper's two handlers: `connect` waits for `authenticated` (a test-controlled gate)."""
    handlers = sio.handlers[NAMESPACE]
    on_connect, on_authenticated = handlers['connect'], handlers['authenticated']
    seen = threading.Event()

    def authenticated(*args):
        on_authenticated(*args)
        seen.set()

    def connect(*args):
        seen.wait(10)
        on_connect(*args)

    handlers['connect'], handlers['authenticated'] = connect, authenticated


def hold_first_connect_until_dropped(sio):
    """python-socketio's first CONNECT answer is handled only once engine.io reported the transport gone."""
    dropped = threading.Event()
    on_eio_disconnect = sio.eio.handlers['disconnect']
    handle_connect = sio._handle_connect
    first = []

    def eio_disconnect(*args):
        try:
            return on_eio_disconnect(*args)
        finally:
            dropped.set()

    def connect_answer(*args):
        if not first:
            first.append(1)
            dropped.wait(10)
        return handle_connect(*args)

    sio.eio.handlers['disconnect'] = eio_disconnect
    sio._handle_connect = connect_answer


def run_sync():
    sio = socketio.Client()
    done = threading.Event()
    session = Session(sio, SERVER, get_token, mode=MODE, namespace=NAMESPACE, connect_options={'transports': ['websocket']})
    watch(session, done.set)
    if AUTHENTICATED_FIRST:
        hold_connect_until_authenticated(sio)
    if CONNECT_AFTER_DROP:
        hold_first_connect_until_dropped(sio)
    session.start()
    done.wait(30)
    session.close()


async def run_async():
    sio = socketio.AsyncClient()
    done = asyncio.Event()
    session = AsyncSession(sio, SERVER, get_token, mode=MODE, namespace=NAMESPACE, connect_options={'transports': ['websocket']})
    watch(session, done.set)
    await session.start()
    await asyncio.wait_for(done.wait(), 30)
    await session.close()


if __name__ == '__main__':
    if FLAVOUR == 'async':
        asyncio.run(run_async())
    else:
        run_sync()
