"""What the threaded and the asyncio session share: settings, callbacks, and the decisions of
docs/protocol.md section 8 that do not wait on anything.
"""
from . import _protocol as p

MODES = ('handshake', 'message')
EVENTS = ('authenticated', 'unauthorized', 'stopped')
# How long a server disconnect may wait for the `unauthorized` that explains it: python-socketio
# dispatches each packet on its own thread (or task), so the two can arrive in either order.
REASON_GRACE_S = 0.5


class TokenFailure(Exception):
    """get_token raised, timed out, or returned something other than a non-empty string.

    `retryable` is False when get_token raised an error whose `retryable` attribute is False (the
    user signed out, e.g. `SignedOut`): trying again is pointless, the helper stops at once.
    """

    def __init__(self, message, retryable=True, reason=p.TOKEN_UNAVAILABLE):
        super().__init__(message)
        self.retryable = retryable
        self.reason = reason  # token_unavailable, or token_timeout when get_token ran out of time


def token_failure(error):
    """The TokenFailure for an exception get_token raised, keeping its `retryable = False`."""
    return TokenFailure(f'get_token failed: {error!r}', retryable=getattr(error, 'retryable', True) is not False)


class Outcome:
    """How one connection ended, for the loop that decides about the next."""

    REFUSED = 'refused'          # connect_error, message-mode refusal, or a drop with a reason
    TOKEN_FAILED = 'token_failed'
    LOST = 'lost'                # transport lost or never established: reconnect, not a refusal
    SERVER_DISCONNECT = 'server_disconnect'
    NOT_SOCKJWT = 'not_sockjwt'  # a connect_error from another middleware
    CLOSED = 'closed'

    def __init__(self, kind, refusal=None, detail='', authenticated=False, retryable=True, reason=None):
        self.kind = kind
        self.reason = reason  # TOKEN_FAILED: token_unavailable or token_timeout
        self.refusal = refusal
        self.detail = detail
        self.retryable = retryable  # TOKEN_FAILED: False when get_token said not to try again
        self.authenticated = authenticated  # the connection had been accepted before it ended


class SessionBase:
    """Settings and bookkeeping; subclasses add the waiting (threads or asyncio)."""

    def __init__(self, client, url, get_token, *, mode='handshake', namespace='/', refresh_lead_s=30.0,
                 token_timeout_s=10.0, ack_timeout_s=10.0, connect_timeout_s=10.0, max_retries=5,
                 retry_delay_s=1.0, connect_options=None):
        if not callable(get_token):
            raise TypeError('sockjwt_client: get_token must be callable')
        if mode not in MODES:
            raise ValueError('sockjwt_client: mode must be "handshake" or "message"')
        for name, value in (('refresh_lead_s', refresh_lead_s), ('token_timeout_s', token_timeout_s),
                            ('ack_timeout_s', ack_timeout_s), ('connect_timeout_s', connect_timeout_s)):
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f'sockjwt_client: {name} must be a positive number of seconds')
        if not isinstance(retry_delay_s, (int, float)) or retry_delay_s < p.MIN_RETRY_DELAY_S:
            raise ValueError(f'sockjwt_client: retry_delay_s must be at least {p.MIN_RETRY_DELAY_S} s')
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError('sockjwt_client: max_retries must be a non-negative integer')
        self.client = client
        self.url = url
        self.mode = mode
        self.namespace = namespace
        self.refresh_lead_s = refresh_lead_s
        self.token_timeout_s = token_timeout_s
        self.ack_timeout_s = ack_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_retries = max_retries
        self.retry_delay_s = retry_delay_s
        self.connect_options = dict(connect_options or {})
        self._get_token = get_token
        self._callbacks = {event: [] for event in EVENTS}
        self._stopped = None
        self._expiry = p.Expiry()
        self._server_disconnected = False
        self._life_capped = False  # a refresh did not extend the life: no refresh until the drop
        # The helper reconnects itself, with a new token each time; python-socketio's own
        # reconnection would resend the old one.
        client.reconnection = False

    def on(self, event, callback):
        """Registers `callback` for 'authenticated' (info dict), 'unauthorized' (Refusal) or 'stopped' (SessionStopped)."""
        if event not in self._callbacks:
            raise ValueError(f'sockjwt_client: unknown event {event!r}; one of {EVENTS}')
        self._callbacks[event].append(callback)
        return callback

    @property
    def stopped(self):
        """The SessionStopped the helper gave up with, or None while it keeps going."""
        return self._stopped

    @property
    def exp(self):
        """The current token's `exp` (seconds since the epoch), or None."""
        return self._expiry.exp

    def _auth(self, token):
        # lifetime: the server then sends `authenticated` with expiresInMs after the connection is admitted.
        return {'token': token, 'lifetime': True} if self.mode == 'handshake' else None

    def _check_token(self, token):
        if not isinstance(token, str) or not token:
            raise TokenFailure('get_token must return a non-empty string')
        return token

    def _after(self, outcome, failures, lost):
        """The decision after a connection ended: ('retry', delay_s, failures, lost) or ('stop', SessionStopped)."""
        if outcome.authenticated:
            failures = 0
        if outcome.kind == Outcome.LOST:
            lost += 1
            return 'retry', p.backoff_s(lost, self.retry_delay_s), failures, lost
        lost = 0
        if outcome.kind == Outcome.SERVER_DISCONNECT:
            return 'stop', p.SessionStopped(p.SERVER_DISCONNECT, 'the server disconnected without a reason')
        if outcome.kind == Outcome.NOT_SOCKJWT:
            return 'stop', p.SessionStopped(p.CONNECT_REFUSED, outcome.detail or 'connection refused')
        failures += 1
        if outcome.kind == Outcome.TOKEN_FAILED:
            if not outcome.retryable or failures > self.max_retries:
                return 'stop', p.SessionStopped(outcome.reason or p.TOKEN_UNAVAILABLE, outcome.detail)
            return 'retry', max(p.backoff_s(failures, self.retry_delay_s), p.MIN_RETRY_DELAY_S), failures, lost
        refusal = outcome.refusal
        if p.on_connect_or_drop(refusal.reason) == p.STOP:
            return 'stop', p.SessionStopped(refusal.reason, refusal.message, refusal)
        if failures > self.max_retries:
            return 'stop', p.SessionStopped(refusal.reason, f'{refusal.message} ({self.max_retries} retries)', refusal)
        return 'retry', p.retry_delay_for(refusal, failures, self.retry_delay_s), failures, lost

    def _refresh_retry_in(self, failures, refusal):
        """Seconds until the next try of a failed refresh, or None when it cannot happen before expiry."""
        if refusal is not None and p.on_refused_refresh(refusal.reason) == p.KEEP:
            return None
        delay = max(p.backoff_s(failures, self.retry_delay_s), p.MIN_RETRY_DELAY_S)
        if refusal is not None and refusal.retry_after_s:
            delay = max(delay, refusal.retry_after_s)
        remaining = self._expiry.remaining_s()
        if remaining is None or delay >= remaining:
            return None
        return delay
