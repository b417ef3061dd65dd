"""The client under test for `npm run conformance`: the Python helper in clients/python.

    SOCKJWT_URL=... SOCKJWT_TOKEN_URL=... SOCKJWT_MODE=handshake python3 python_client.py [sync|async]

docs/protocol.md section 9: prints {"event": "stopped", "reason": ...} when the helper gives up.
"""
import asyncio
import json
import os
import pathlib
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / 'clients' / 'python'))

import socketio  # noqa: E402

from sockjwt_client import AsyncSession, Session  # noqa: E402

URL, TOKEN_URL, MODE = os.environ['SOCKJWT_URL'], os.environ['SOCKJWT_TOKEN_URL'], os.environ['SOCKJWT_MODE']
# python-socketio takes the namespace apart from the server's address: http://host:port/ns/path.
_parts = urllib.parse.urlsplit(URL)
SERVER = f'{_parts.scheme}://{_parts.netloc}'
NAMESPACE = _parts.path or '/'


def get_token():
    # urlopen raises on a non-200 answer: the helper counts it as a failed get_token.
    with urllib.request.urlopen(TOKEN_URL, timeout=5) as response:
        return json.load(response)['token']


def report(stopped):
    print(json.dumps({'event': 'stopped', 'reason': stopped.reason, 'message': stopped.message}), flush=True)


def run_sync():
    session = Session(socketio.Client(), SERVER, get_token, mode=MODE, namespace=NAMESPACE,
                      connect_options={'transports': ['websocket']})
    session.start()
    stopped = session.wait()
    if stopped is not None:
        report(stopped)


async def run_async():
    session = AsyncSession(socketio.AsyncClient(), SERVER, get_token, mode=MODE, namespace=NAMESPACE,
                           connect_options={'transports': ['websocket']})
    await session.start()
    stopped = await session.wait()
    if stopped is not None:
        report(stopped)


if __name__ == '__main__':
    if (sys.argv[1:] or ['sync'])[0] == 'async':
        asyncio.run(run_async())
    else:
        run_sync()
