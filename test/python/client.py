"""A python-socketio client for test/python.test.ts. Prints one JSON object per line.

    python3 client.py <url> <handshake|message> <token>

handshake: the token goes in the CONNECT packet (auth={'token': ...}).
message:   connect first, then emit 'authenticate' {'token': ...} (socketio-jwt's flow).
Lines: {"event": "connect"}, {"event": "authenticated"}, {"event": "whoami", "claims": ...},
{"event": "connect_error", "error": ...}, {"event": "unauthorized", "error": ...}, {"event": "done"}.
"""
import json
import queue
import sys

import socketio

url, mode, token = sys.argv[1:4]
events = queue.Queue()
sio = socketio.Client(reconnection=False)


def say(event, **fields):
    print(json.dumps({'event': event, **fields}), flush=True)


@sio.event
def connect():
    events.put(('connect', None))


@sio.event
def connect_error(error):
    events.put(('connect_error', error))


@sio.on('authenticated')
def authenticated(*_):
    events.put(('authenticated', None))


@sio.on('unauthorized')
def unauthorized(error):
    events.put(('unauthorized', error))
    return True  # the acknowledgement: the server may disconnect now


def next_event():
    return events.get(timeout=5)


def whoami():
    say('whoami', claims=sio.call('whoami', timeout=5))


def main():
    # wait=False: the queue below waits for connect or connect_error (python-socketio's own wait
    # would sit out its whole wait_timeout after a connect_error).
    sio.connect(url, auth={'token': token} if mode == 'handshake' else None, transports=['websocket'], wait=False)
    event, data = next_event()
    if event == 'connect_error':
        say('connect_error', error=data)
        return
    say('connect')
    if mode == 'message':
        sio.emit('authenticate', {'token': token})
        event, data = next_event()
        if event == 'unauthorized':
            say('unauthorized', error=data)
            return
        say(event)
    whoami()


try:
    main()
finally:
    sio.disconnect()
    say('done')
