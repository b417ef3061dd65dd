"""A Python login service that issues RS256 tokens and publishes its public keys as a JWK Set.

    /usr/bin/python3 login_server.py

    POST /login                 {"username": "ann", "password": "correct horse"} -> {"token": "..."}
    GET  /.well-known/jwks.json                                                  -> {"keys": [...]}
    POST /rotate                start signing with the next key (demo only: protect it in real life)

Environment: PORT (default 5000, 0 picks a free port), ISSUER (default http://127.0.0.1:<port>),
AUDIENCE (default "chat"). Needs Debian's python3-jwt and python3-cryptography.

Key rotation, the way a verifier that caches keys needs it: the JWK Set always publishes the
*next* key before anything is signed with it, so verifiers already hold it when /rotate makes it
current. The retired key stays published until the tokens it signed have expired.
"""
import json
import os
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

USERS = {'ann': 'correct horse', 'bob': 'battery staple'}  # a demo; use your real user store
TOKEN_LIFETIME_SECONDS = 15 * 60
AUDIENCE = os.environ.get('AUDIENCE', 'chat')


class SigningKey:
    def __init__(self):
        self.kid = uuid.uuid4().hex
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.retired_at = None

    def public_jwk(self):
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, 'kid': self.kid, 'alg': 'RS256', 'use': 'sig'}


class KeyRing:
    def __init__(self):
        self.current = SigningKey()
        self.next = SigningKey()
        self.retired = []

    def rotate(self):
        self.current.retired_at = time.time()
        self.retired.append(self.current)
        self.current, self.next = self.next, SigningKey()

    def jwks(self):
        # A retired key is dropped once every token it signed has expired.
        horizon = time.time() - TOKEN_LIFETIME_SECONDS
        self.retired = [key for key in self.retired if key.retired_at > horizon]
        return {'keys': [key.public_jwk() for key in [self.current, self.next, *self.retired]]}


KEYS = KeyRing()


def issue_token(username, issuer):
    now = int(time.time())
    claims = {'sub': username, 'iss': issuer, 'aud': AUDIENCE, 'iat': now, 'exp': now + TOKEN_LIFETIME_SECONDS}
    return jwt.encode(claims, KEYS.current.private_key, algorithm='RS256', headers={'kid': KEYS.current.kid})


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == '/.well-known/jwks.json':
            return self.reply(200, KEYS.jwks())
        self.reply(404, {'error': 'not found'})

    def do_POST(self):
        if self.path == '/login':
            return self.login()
        if self.path == '/rotate':
            KEYS.rotate()
            return self.reply(200, {'kid': KEYS.current.kid})
        self.reply(404, {'error': 'not found'})

    def login(self):
        try:
            body = json.loads(self.rfile.read(int(self.headers.get('Content-Length', 0))) or b'{}')
        except ValueError:
            return self.reply(400, {'error': 'expected a JSON body'})
        username, password = body.get('username'), body.get('password')
        if USERS.get(username) is None or USERS[username] != password:
            return self.reply(401, {'error': 'bad credentials'})
        self.reply(200, {'token': issue_token(username, self.server.issuer)})

    def reply(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # quiet; the requests are not the point of the example


def main():
    server = ThreadingHTTPServer(('127.0.0.1', int(os.environ.get('PORT', '5000'))), Handler)
    port = server.server_address[1]
    server.issuer = os.environ.get('ISSUER', f'http://127.0.0.1:{port}')
    print(f'login service on http://127.0.0.1:{port}', flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
