"""Checks of the Python helper that need no server, for test/python-client.test.ts.

Prints one JSON object: what each check observed. The Node test asserts on it.
"""
import asyncio
import json
import pathlib
import sys
import threading
import math
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / 'clients' / 'python'))

import socketio  # noqa: E402

from sockjwt_client import AsyncSession, Session  # noqa: E402
from sockjwt_client import _protocol as p  # noqa: E402

results = {}

# get_token that never answers: bounded by token_timeout_s, retried with back-off, then a stop.
calls = []
hang = threading.Event()


def slow_token():
    calls.append(time.monotonic())
    hang.wait(10)
    return 'never'


started = time.monotonic()
session = Session(socketio.Client(), 'http://127.0.0.1:9', slow_token, token_timeout_s=0.3, max_retries=2, retry_delay_s=0.25)
session.start()
stopped = session.wait(10)
results['sync_token_timeout'] = {'reason': stopped and stopped.reason, 'calls': len(calls), 'seconds': round(time.monotonic() - started, 2)}
hang.set()


async def async_token_timeout():
    async def never():
        await asyncio.sleep(10)

    began = time.monotonic()
    s = AsyncSession(socketio.AsyncClient(), 'http://127.0.0.1:9', never, token_timeout_s=0.3, max_retries=1, retry_delay_s=0.25)
    await s.start()
    result = await s.wait(10)
    return {'reason': result and result.reason, 'seconds': round(time.monotonic() - began, 2)}

results['async_token_timeout'] = asyncio.run(async_token_timeout())

# get_token raising an error with retryable = False (the user signed out): a stop at once, no retry.
class SignedOutError(Exception):
    retryable = False


signed_out_calls = []


def signed_out():
    signed_out_calls.append(time.monotonic())
    raise SignedOutError('signed out')


session = Session(socketio.Client(), 'http://127.0.0.1:9', signed_out, max_retries=2, retry_delay_s=0.25)
session.start()
stopped = session.wait(10)
results['sync_signed_out'] = {'reason': stopped and stopped.reason, 'calls': len(signed_out_calls)}


async def async_signed_out():
    calls = []

    async def token():
        calls.append(1)
        raise SignedOutError('signed out')

    s = AsyncSession(socketio.AsyncClient(), 'http://127.0.0.1:9', token, max_retries=2, retry_delay_s=0.25)
    await s.start()
    result = await s.wait(10)
    return {'reason': result and result.reason, 'calls': len(calls)}

results['async_signed_out'] = asyncio.run(async_signed_out())

# expiresInMs wins over exp: a client clock 1000 s off still schedules from the server's view.
skewed = p.Expiry.from_answer({'ok': True, 'exp': int(time.time()) + 1000, 'expiresInMs': 4000}, None)
results['expires_in_ms_preferred'] = round(skewed.remaining_s(), 1)
results['refresh_in_s'] = round(skewed.refresh_in_s(30), 1)  # half of 4 s: the lead never exceeds half the life
# A life capped by maxSessionMs shrinks with every refresh: half of 1.5 s left would be 0.75 s, then
# 0.375 s... (a refresh storm until the drop); no refresh is scheduled sooner than 1 s.
capped = p.Expiry.from_answer({'ok': True, 'exp': int(time.time()) + 60, 'expiresInMs': 1500}, None)
results['refresh_in_s_floor'] = round(capped.refresh_in_s(30), 1)
results['refresh_in_s_floor_at_zero'] = round(p.Expiry.from_answer({'ok': True, 'expiresInMs': 0}, None).refresh_in_s(30), 1)
# exp has whole seconds: 100 s ahead leaves between 99 and 100 s, whatever the fraction of now.
results['exp_fallback'] = math.ceil(p.Expiry.from_answer({'ok': True, 'exp': int(time.time()) + 100}, None).remaining_s())
# expiresInMs null: the server states it never drops the socket for its lifetime: no refresh, whatever exp says.
results['expires_in_ms_null_never'] = p.Expiry.from_answer({'exp': int(time.time()) + 100, 'expiresInMs': None}, None).never
results['token_fallback'] = p.Expiry.from_answer(None, 'e30.eyJleHAiOjEyM30.x').exp  # {"exp":123}
rate = p.refusal_from({'message': 'slow down', 'data': {'message': 'slow down', 'code': 'unknown', 'type': 'UnauthorizedError', 'reason': 'rate_limited', 'retryAfterMs': 1500}})
results['retry_after_s'] = rate.retry_after_s
results['retry_delay_rate_limited'] = p.retry_delay_for(rate, 1, 1.0)
results['retry_delay_expired_first'] = p.retry_delay_for(p.Refusal('expired', 'invalid_token', 'x'), 1, 1.0)
results['retry_delay_expired_second'] = p.retry_delay_for(p.Refusal('expired', 'invalid_token', 'x'), 2, 1.0)
results['unknown_reason'] = [p.on_connect_or_drop('a_future_reason'), p.on_refused_refresh('a_future_reason')]
results['not_sockjwt'] = p.refusal_from({'message': 'not authorized'})

print(json.dumps(results))
