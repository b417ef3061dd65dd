"""Logs in to the Python service, then connects to the Node socket.io server with the token.

    /usr/bin/python3 client.py [username] [password]

Environment: LOGIN_URL (default http://127.0.0.1:5000), SOCKET_URL (default http://127.0.0.1:3000).
Needs Debian's python3-socketio, python3-websocket and python3-requests.
"""
import os
import sys
import threading

import requests
import socketio

LOGIN_URL = os.environ.get('LOGIN_URL', 'http://127.0.0.1:5000')
SOCKET_URL = os.environ.get('SOCKET_URL', 'http://127.0.0.1:3000')


def main(username='ann', password='correct horse'):
    response = requests.post(f'{LOGIN_URL}/login', json={'username': username, 'password': password}, timeout=5)
    if response.status_code != 200:
        print(f'login failed: {response.status_code}', flush=True)
        return 1
    token = response.json()['token']

    sio = socketio.Client(reconnection=False)
    done = threading.Event()
    welcomed = []

    @sio.on('welcome')
    def welcome(message):
        print(message, flush=True)
        welcomed.append(message)
        done.set()

    @sio.event
    def connect_error(error):
        # error == {'message': ..., 'data': {'code': ..., 'reason': ..., 'type': 'UnauthorizedError', ...}}
        print(f"refused: {error['data']['code']} ({error['data']['reason']})", flush=True)
        done.set()

    # The token travels in the CONNECT packet, never in the URL.
    sio.connect(SOCKET_URL, auth={'token': token}, transports=['websocket'], wait=False)
    done.wait(5)
    sio.disconnect()
    return 0 if welcomed else 1

if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:3]))
