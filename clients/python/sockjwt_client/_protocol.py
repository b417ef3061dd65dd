"""The sockjwt wire protocol's rules, free of any I/O (docs/protocol.md, sections 2, 7 and 8).

Both the threaded and the asyncio session decide with these functions, so they behave alike.
Durations are seconds here (Python's convention); the wire carries milliseconds.
"""
import base64
import json
import time

# docs/protocol.md section 7: what a client does when a connection is refused or dropped.
RECONNECT_NOW = 'reconnect now'
RECONNECT_AFTER_BACKOFF = 'reconnect after back-off'
RECONNECT_AFTER_RETRY_AFTER = 'reconnect after retryAfterMs'
STOP = 'stop'
# ... and when an in-place refresh is refused (the socket stays connected either way).
RETRY_REFRESH = 'retry refresh'
KEEP = 'keep'

# reason -> (connect or drop, refused refresh). Unknown reasons are treated like 'internal'.
REASONS = {
    'expired': (RECONNECT_NOW, RETRY_REFRESH),
    'not_yet_valid': (RECONNECT_AFTER_BACKOFF, RETRY_REFRESH),
    'malformed': (STOP, KEEP),
    'bad_signature': (STOP, KEEP),
    'algorithm_not_allowed': (STOP, KEEP),
    'no_matching_key': (STOP, KEEP),
    'claim_invalid': (STOP, KEEP),
    'too_large': (STOP, KEEP),
    'missing': (RECONNECT_AFTER_BACKOFF, RETRY_REFRESH),
    'key_unavailable': (RECONNECT_AFTER_BACKOFF, RETRY_REFRESH),
    'timeout': (RECONNECT_AFTER_BACKOFF, RETRY_REFRESH),
    'rejected': (STOP, KEEP),
    'internal': (RECONNECT_AFTER_BACKOFF, RETRY_REFRESH),
    'revoked': (STOP, KEEP),
    'revocation_unavailable': (RECONNECT_AFTER_BACKOFF, RETRY_REFRESH),
    'subject_mismatch': (STOP, KEEP),
    'rate_limited': (RECONNECT_AFTER_RETRY_AFTER, RETRY_REFRESH),
    'session_limit': (RECONNECT_NOW, KEEP),
    'identity_required': (STOP, KEEP),
}

# Reasons of the helper itself, never sent by a server: the vocabulary of docs/protocol.md 8.4,
# shared with sockjwt/client.
TOKEN_UNAVAILABLE = 'token_unavailable'  # get_token raised or gave no string, max_retries + 1 times in a row (or SignedOut)
TOKEN_TIMEOUT = 'token_timeout'          # ... the last of those failures was token_timeout_s running out
ACK_TIMEOUT = 'ack_timeout'              # the server did not answer authenticate within ack_timeout_s
CONNECT_REFUSED = 'connect_refused'      # a connect_error that is not sockjwt's (another middleware)
SERVER_DISCONNECT = 'server_disconnect'  # the server disconnected without saying why (the app's decision)
CONNECTION_LOST = 'connection_lost'      # the transport is gone for good (this helper always reconnects: unused)
HELPER_REASONS = (TOKEN_UNAVAILABLE, TOKEN_TIMEOUT, ACK_TIMEOUT, CONNECT_REFUSED, SERVER_DISCONNECT, CONNECTION_LOST)

MIN_RETRY_DELAY_S = 0.25  # no refusal is retried sooner, except the first after expired / session_limit
MAX_RETRY_DELAY_S = 30.0
# No refresh is scheduled sooner (protocol.md 8.2): a lifetime capped by maxSessionMs, which no
# refresh moves, would otherwise halve into a storm of refreshes until the drop.
MIN_REFRESH_DELAY_S = 1.0
# A refresh that moved the end by less than this did not extend the life: no more refreshes until
# the drop. Refreshes come at least 1 s apart and `exp` has whole seconds, so a real extension is
# about 1 s or more; half of that absorbs the two answers' different transit times.
MIN_EXTENSION_S = 0.5


class Refusal(Exception):
    """A sockjwt refusal, from `err.data` / the `unauthorized` payload / a refused acknowledgement.

    `reason` decides what to do; `code` and `message` are for people; `retry_after_s` comes
    with `rate_limited`.
    """

    def __init__(self, reason, code, message, retry_after_s=None, data=None):
        super().__init__(f'{code}/{reason}: {message}')
        self.reason = reason
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s
        self.data = data or {}


class SignedOut(Exception):
    """Raise it from get_token when there is no user any more: the helper stops at once
    (reason `token_unavailable`) instead of retrying. Any exception with `retryable = False` does the same.
    """

    retryable = False


class SessionStopped(Exception):
    """The helper gave up: a reason a new token cannot fix, retries exhausted, or its own reason."""

    def __init__(self, reason, message, refusal=None):
        super().__init__(f'{reason}: {message}')
        self.reason = reason
        self.message = message
        self.refusal = refusal


def refusal_from(payload):
    """The Refusal in a wire payload ({message, data} or the data itself), or None if not sockjwt's."""
    if not isinstance(payload, dict):
        return None
    data = payload.get('data', payload)
    if not isinstance(data, dict) or data.get('type') != 'UnauthorizedError' or not isinstance(data.get('code'), str):
        return None
    reason = data.get('reason') if isinstance(data.get('reason'), str) else 'internal'
    retry_after_ms = data.get('retryAfterMs')
    retry_after_s = retry_after_ms / 1000 if isinstance(retry_after_ms, (int, float)) and retry_after_ms > 0 else None
    message = data.get('message') if isinstance(data.get('message'), str) else data['code']
    return Refusal(reason, data['code'], message, retry_after_s, data)


def no_answer(ack_timeout_s):
    """An `authenticate` the server did not answer in time: acted on like `internal` (back off, retry)."""
    return Refusal(ACK_TIMEOUT, ACK_TIMEOUT, f'the server did not answer authenticate within {ack_timeout_s} s')


def on_connect_or_drop(reason):
    return REASONS.get(reason, REASONS['internal'])[0]


def on_refused_refresh(reason):
    return REASONS.get(reason, REASONS['internal'])[1]


def backoff_s(failures, retry_delay_s):
    """The wait before the n-th consecutive retry (n >= 1): doubling, capped at 30 s."""
    return min(retry_delay_s * 2 ** (failures - 1), MAX_RETRY_DELAY_S)


def retry_delay_for(refusal, failures, retry_delay_s):
    """How long to wait before reconnecting after `refusal`, the `failures`-th in a row."""
    action = on_connect_or_drop(refusal.reason)
    if action == RECONNECT_NOW and failures == 1:
        return 0.0
    delay = max(backoff_s(failures, retry_delay_s), MIN_RETRY_DELAY_S)
    return max(delay, refusal.retry_after_s or 0.0)


def token_exp(token):
    """The `exp` claim of a JWT, read without verifying (only to know when to refresh), or None."""
    try:
        segment = token.split('.')[1]
        claims = json.loads(base64.urlsafe_b64decode(segment + '=' * (-len(segment) % 4)))
    except (IndexError, ValueError, TypeError, AttributeError):
        return None
    exp = claims.get('exp') if isinstance(claims, dict) else None
    return exp if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


class Expiry:
    """When the current token expires, as the server sees it when it says so (docs/protocol.md 8.2).

    Prefers the server's `expiresInMs` (relative, measured on the monotonic clock: immune to a
    client clock that is off), then `exp` against the local clock. An `expiresInMs` of null is a
    statement too: the server will not drop the socket for its token's lifetime (e.g. it ignores
    `exp`), so no refresh is needed, whatever `exp` says (`never_dropped`).
    """

    def __init__(self, exp=None, expires_in_ms=None, never_dropped=False, clock=time.monotonic, wall=time.time):
        self.exp = exp
        self._clock = clock
        self._deadline = None  # clock() at which the server drops the socket
        if never_dropped:
            pass
        elif isinstance(expires_in_ms, (int, float)) and not isinstance(expires_in_ms, bool):
            self._deadline = clock() + expires_in_ms / 1000
        elif isinstance(exp, (int, float)) and not isinstance(exp, bool):
            self._deadline = clock() + (exp - wall())

    @classmethod
    def from_answer(cls, answer, token, clock=time.monotonic, wall=time.time):
        """From an acknowledgement or `authenticated` payload; the token's own `exp` when it says nothing."""
        answer = answer if isinstance(answer, dict) else {}
        exp = answer.get('exp', token_exp(token) if token else None)
        stated_never = 'expiresInMs' in answer and answer['expiresInMs'] is None
        return cls(exp, answer.get('expiresInMs'), never_dropped=stated_never, clock=clock, wall=wall)

    def extends(self, previous):
        """Whether this end is at least MIN_EXTENSION_S past `previous` (the Expiry a refresh replaced).

        Less is a life capped by the server (maxSessionMs) or the same token again.
        """
        if previous is None or previous._deadline is None or self._deadline is None:
            return True
        return self._deadline - previous._deadline >= MIN_EXTENSION_S

    @property
    def never(self):
        return self._deadline is None

    def remaining_s(self):
        return None if self._deadline is None else self._deadline - self._clock()

    def refresh_in_s(self, lead_s):
        """remaining - min(lead, remaining / 2): the lead before expiry, never before half the life left, never under 1 s."""
        remaining = self.remaining_s()
        if remaining is None:
            return None
        if remaining <= 0:
            return MIN_REFRESH_DELAY_S
        return max(remaining - min(lead_s, remaining / 2), MIN_REFRESH_DELAY_S)
