"""The client's algorithm of docs/protocol.md section 8, without I/O: events in, actions out (as h11).

A driver (sync.py: a thread; aio.py: a task) feeds the core what happened: the app's start, refresh
and close, a token or its failure, python-socketio's handlers, and the one timer the core asks for
(`deadline`, on the core's monotonic clock). Each call returns the actions the driver performs, in
order. Nothing here waits, sleeps or touches a socket, so every transition is tested with a fake
clock (clients/python/tests).
"""
import time

from . import _protocol as p

# How long a server disconnect may wait for the `unauthorized` that explains it (and a drop's
# `unauthorized` for its disconnect): python-socketio dispatches each packet on its own thread (or
# task), so the two can arrive in either order (docs/protocol.md section 6).
REASON_GRACE_S = 0.5


# ---------------------------------------------------------------------- actions

class FetchToken:
    """Call get_token; answer with token_ready(ticket, token) or token_failed(ticket, failure)."""

    def __init__(self, ticket):
        self.ticket = ticket


class Connect:
    """Connect the client with this handshake `auth` (None in message mode)."""

    def __init__(self, auth):
        self.auth = auth


class SendAuthenticate:
    """Emit `authenticate` {token} with an acknowledgement; answer with acked(seq, answer)."""

    def __init__(self, token, seq):
        self.token = token
        self.seq = seq


class Teardown:
    """Disconnect the client and close its transport, whatever state it is in."""


class Notify:
    """Run the application's callbacks for `event` ('authenticated', 'unauthorized', 'stopped')."""

    def __init__(self, event, value):
        self.event = event
        self.value = value


class Resolve:
    """Settle a refresh the application asked for (its `waiter`) with True or False."""

    def __init__(self, waiter, value):
        self.waiter = waiter
        self.value = value


class Finished:
    """The session is over (stopped or closed): the driver ends."""


TEARDOWN = Teardown()
FINISHED = Finished()


class TokenFailure(Exception):
    """get_token raised, timed out, or returned something other than a non-empty string.

    `retryable` is False when get_token raised an error whose `retryable` attribute is False (the
    user signed out, e.g. `SignedOut`): trying again is pointless, the helper stops at once.
    `reason` is token_unavailable, or token_timeout when get_token ran out of time.
    """

    def __init__(self, message, retryable=True, reason=p.TOKEN_UNAVAILABLE):
        super().__init__(message)
        self.retryable = retryable
        self.reason = reason


def token_failure(error):
    """The TokenFailure for an exception get_token raised, keeping its `retryable = False`."""
    return TokenFailure(f'get_token failed: {error!r}', retryable=getattr(error, 'retryable', True) is not False)


def checked_token(token):
    """The token get_token returned, or the TokenFailure it is."""
    if not isinstance(token, str) or not token:
        return TokenFailure('get_token must return a non-empty string')
    return token


class Settings:
    """The options of a session, checked once (a caller's mistake is a TypeError / ValueError)."""

    MODES = ('handshake', 'message')

    def __init__(self, *, mode='handshake', refresh_lead_s=30.0, token_timeout_s=10.0, ack_timeout_s=10.0,
                 connect_timeout_s=10.0, max_retries=5, retry_delay_s=1.0):
        if mode not in self.MODES:
            raise ValueError('sockjwt_client: mode must be "handshake" or "message"')
        for name, value in (('refresh_lead_s', refresh_lead_s), ('token_timeout_s', token_timeout_s),
                            ('ack_timeout_s', ack_timeout_s), ('connect_timeout_s', connect_timeout_s)):
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f'sockjwt_client: {name} must be a positive number of seconds')
        if not isinstance(retry_delay_s, (int, float)) or retry_delay_s < p.MIN_RETRY_DELAY_S:
            raise ValueError(f'sockjwt_client: retry_delay_s must be at least {p.MIN_RETRY_DELAY_S} s')
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError('sockjwt_client: max_retries must be a non-negative integer')
        self.mode = mode
        self.refresh_lead_s = refresh_lead_s
        self.token_timeout_s = token_timeout_s
        self.ack_timeout_s = ack_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_retries = max_retries
        self.retry_delay_s = retry_delay_s


# Phases. A connection: FETCHING (its token) → CONNECTING → AUTHENTICATING (message mode) → LIVE;
# in LIVE a refresh is REFRESH_TOKEN (its token) → REFRESHING (its acknowledgement). DROPPING and
# EXPLAINING wait up to REASON_GRACE_S for the other half of a drop. BACKING_OFF waits to retry.
IDLE, FETCHING, CONNECTING, AUTHENTICATING, LIVE, REFRESH_TOKEN, REFRESHING = (
    'idle', 'fetching', 'connecting', 'authenticating', 'live', 'refresh_token', 'refreshing')
DROPPING, EXPLAINING, BACKING_OFF, OVER = 'dropping', 'explaining', 'backing_off', 'over'


class Core:
    """One session's state and decisions. Every event method returns a list of actions."""

    def __init__(self, settings, clock=time.monotonic, wall=time.time):
        self.settings = settings
        self._clock = clock
        self._wall = wall
        self.phase = IDLE
        self.deadline = None      # clock() at which the driver calls timer_fired()
        self.stopped = None       # the SessionStopped the helper gave up with
        self.expiry = p.Expiry()
        self._failures = 0        # consecutive failures since a token was last accepted (any kind)
        self._lost = 0            # consecutive lost connections (no refusal: not counted in _failures)
        self._ticket = 0          # the get_token call whose answer is awaited
        self._seq = 0             # the authenticate whose acknowledgement is awaited
        self._token = None        # the token of the attempt in flight
        self._notice = None       # handshake mode: an `authenticated` heard before `connect`
        self._seen = None         # the refusal heard while an authenticate was pending
        self._late_refusals = []  # refused refreshes told from their acknowledgement first
        self._life_capped = False  # a refresh did not extend the life: none until the drop
        self._waiter = None       # the app's refresh() in flight
        self._pending = None      # DROPPING / EXPLAINING: the refusal, if any, and whether it was live

    # ------------------------------------------------------------------ the application

    def start(self):
        return self._new_connection()

    def refresh_requested(self, waiter):
        """The application's refresh(): in LIVE, a refresh now; otherwise False at once."""
        if self.phase != LIVE:
            return [Resolve(waiter, False)]
        self._waiter = waiter
        return self._begin_refresh()

    def close(self):
        """The application closes: no refresh, retry or reconnection follows."""
        if self.phase == OVER:
            return []
        return [*self._settle_waiter(False), *self._finish()]

    # ------------------------------------------------------------------ the token source

    def token_ready(self, ticket, token):
        if ticket != self._ticket:
            return []  # the answer of a call that timed out, or of a connection that is gone
        token = checked_token(token)
        if isinstance(token, TokenFailure):
            return self.token_failed(ticket, token)
        self._token = token
        if self.phase == FETCHING:
            self.phase = CONNECTING
            self._notice = None
            self.deadline = self._clock() + self.settings.connect_timeout_s
            auth = {'token': token, 'lifetime': True} if self.settings.mode == 'handshake' else None
            return [Connect(auth)]
        if self.phase == REFRESH_TOKEN:
            return self._send_authenticate(REFRESHING)
        return []

    def token_failed(self, ticket, failure):
        if ticket != self._ticket:
            return []
        self._ticket += 1  # a late answer of this call is not taken
        if self.phase == FETCHING:
            return self._ended_token_failed(failure)
        if self.phase == REFRESH_TOKEN:
            if not failure.retryable:  # signed out: stop now, not at expiry
                return self._ended_token_failed(failure)
            return self._refresh_failed(None)
        return []

    # ------------------------------------------------------------------ python-socketio's handlers

    def connected(self, alive=True):
        """`connect` for the namespace; `alive` False: the client is no longer connected (heard late)."""
        if self.phase != CONNECTING:
            return []
        if not alive:
            # python-socketio handles each packet on its own thread (task): a CONNECT answer handled
            # after its transport closed announces a connection whose disconnect was never announced.
            return self._lost_connection()
        if self.settings.mode == 'message':
            return self._send_authenticate(AUTHENTICATING)
        return self._accepted(self._notice, refreshed=False)

    def connect_error(self, data, detail='connect_error'):
        if self.phase != CONNECTING:
            return []
        refusal = p.refusal_from(data)
        if refusal is not None:
            return [Notify('unauthorized', refusal), *self._refused(refusal)]
        if data is None:  # no transport: a lost connection, not a refusal
            return self._lost_connection()
        message = str(data.get('message', data)) if isinstance(data, dict) else str(data)
        return self._stop(p.SessionStopped(p.CONNECT_REFUSED, message or 'connection refused'))

    def authenticated(self, notice):
        """The server's `authenticated` event: how long this socket has (expiresInMs)."""
        if not isinstance(notice, dict):
            return []
        if self.phase == CONNECTING:
            self._notice = notice  # heard before `connect`: kept, not thrown away
        elif self.phase == LIVE:
            # Reschedule whether or not a refresh was due: a token without exp gets its first
            # deadline here when the server states one (maxAge, maxSessionMs).
            self.expiry = self._expiry_from(notice)
            if self._failures == 0:
                self.deadline = self._refresh_at()
        return []

    def unauthorized(self, payload):
        refusal = p.refusal_from(payload)
        if self.phase in (AUTHENTICATING, REFRESHING):
            if refusal is not None:
                self._seen = refusal
                return [Notify('unauthorized', refusal)]
            return []
        if self.phase in (LIVE, REFRESH_TOKEN):
            if refusal is not None and refusal.reason in self._late_refusals:
                self._late_refusals.remove(refusal.reason)  # a refused refresh, told by its ack first
                return []
            if refusal is None:
                return self._stop(p.SessionStopped(p.SERVER_DISCONNECT, 'the server disconnected without a reason'))
            # A drop: the disconnect follows (or came first, on another thread).
            return [*self._settle_waiter(False), Notify('unauthorized', refusal), *self._wait_other_half(DROPPING, refusal)]
        if self.phase == EXPLAINING:
            if refusal is None:
                return self._stop(p.SessionStopped(p.SERVER_DISCONNECT, 'the server disconnected without a reason'))
            return [Notify('unauthorized', refusal), *self._refused(refusal, drop=True)]
        return []

    def disconnected(self, server):
        """`disconnect` for the namespace; `server` True when the server sent it (not a lost transport)."""
        if self.phase == CONNECTING:
            return self._lost_connection()
        if self.phase in (AUTHENTICATING, REFRESHING) and self._seen is not None:
            # `unauthorized`, then a disconnect and no answer: a drop during a refresh, or a
            # message-mode refusal. The reason is already here: do not wait for another one.
            return self._refused(self._seen, drop=self.phase == REFRESHING)
        if self.phase in (AUTHENTICATING, LIVE, REFRESH_TOKEN, REFRESHING):
            actions = self._settle_waiter(False)
            if not server:
                return [*actions, *self._lost_connection()]
            return [*actions, *self._wait_other_half(EXPLAINING, None)]
        if self.phase == DROPPING:
            return self._refused(self._pending, drop=True)
        return []

    def acked(self, seq, answer):
        if seq != self._seq or self.phase not in (AUTHENTICATING, REFRESHING):
            return []
        refreshing = self.phase == REFRESHING
        if isinstance(answer, dict) and answer.get('ok') is True:
            before = self.expiry
            actions = self._accepted(answer, refreshed=refreshing)
            if refreshing:
                self._life_capped = not self.expiry.extends(before)
                self.deadline = self._refresh_at()
                actions.extend(self._settle_waiter(True))
            return actions
        refusal = p.refusal_from(answer)
        actions = []
        if refusal is not None and self._seen is None:
            actions.append(Notify('unauthorized', refusal))
            if refreshing:
                self._late_refusals.append(refusal.reason)  # its `unauthorized` is still on its way
        if not refreshing:
            return [*actions, *self._refused(refusal or self._no_answer())]
        if refusal is not None and refusal.reason == 'rate_limited' and refusal.retry_after_s is None:
            # Another authenticate (one that timed out here) is still pending: try again later, uncounted.
            return [*actions, *self._refresh_failed(None, counted=False)]
        return [*actions, *self._refresh_failed(refusal)]

    # ------------------------------------------------------------------ the timer

    def timer_fired(self):
        """The driver's timer reached `deadline`."""
        if self.deadline is None or self._clock() < self.deadline:
            return []
        self.deadline = None
        phase = self.phase
        if phase in (FETCHING, REFRESH_TOKEN):
            timeout = f'get_token did not answer within {self.settings.token_timeout_s} s'
            return self.token_failed(self._ticket, TokenFailure(timeout, reason=p.TOKEN_TIMEOUT))
        if phase == CONNECTING:
            return self._lost_connection()
        if phase == AUTHENTICATING:
            return self._refused(self._no_answer())
        if phase == REFRESHING:
            return self._refresh_failed(self._no_answer())
        if phase == LIVE:
            return self._begin_refresh()
        if phase == DROPPING:
            return self._refused(self._pending, drop=True)
        if phase == EXPLAINING:
            return self._stop(p.SessionStopped(p.SERVER_DISCONNECT, 'the server disconnected without a reason'))
        if phase == BACKING_OFF:
            return self._new_connection()
        return []

    # ------------------------------------------------------------------ transitions

    def _new_connection(self):
        self.phase = FETCHING
        self._seen = None
        self._late_refusals = []
        self._life_capped = False
        return self._fetch_token()

    def _fetch_token(self):
        self._ticket += 1
        self.deadline = self._clock() + self.settings.token_timeout_s
        return [FetchToken(self._ticket)]

    def _send_authenticate(self, phase):
        self.phase = phase
        self._seq += 1
        self._seen = None
        self.deadline = self._clock() + self.settings.ack_timeout_s
        return [SendAuthenticate(self._token, self._seq)]

    def _begin_refresh(self):
        self.phase = REFRESH_TOKEN
        return self._fetch_token()

    def _accepted(self, answer, refreshed):
        self.phase = LIVE
        self._failures = 0
        self._lost = 0
        self.expiry = self._expiry_from(answer)
        self.deadline = self._refresh_at()
        info = {'exp': self.expiry.exp, 'expires_in_s': self.expiry.remaining_s(), 'refreshed': refreshed}
        return [Notify('authenticated', info)]

    def _refresh_failed(self, refusal, counted=True):
        """A refresh in place failed; the current token holds. Retried while it lasts and retries remain.

        Counted in the one count of consecutive failures (protocol.md 8.5), which outlives the drop;
        a refusal whose row says keep is not counted: it ends refreshing instead.
        """
        self.phase = LIVE
        actions = self._settle_waiter(False)
        if refusal is not None and p.on_refused_refresh(refusal.reason) == p.KEEP:
            self.deadline = None  # keep the socket until the server drops it
            return actions
        if counted:
            self._failures += 1
        delay = max(p.backoff_s(max(self._failures, 1), self.settings.retry_delay_s), p.MIN_RETRY_DELAY_S)
        if refusal is not None and refusal.retry_after_s:
            delay = max(delay, refusal.retry_after_s)
        remaining = self.expiry.remaining_s()
        if self._failures > self.settings.max_retries or remaining is None or delay >= remaining:
            self.deadline = None  # the drop at expiry decides
        else:
            self.deadline = self._clock() + delay
        return actions

    def _wait_other_half(self, phase, refusal):
        self.phase = phase
        self._ticket += 1  # a refresh's token still being fetched is not sent
        self._pending = refusal
        self.deadline = self._clock() + REASON_GRACE_S
        return []

    def _refused(self, refusal, drop=False):
        """A refusal at connect, or a drop: reconnect (after the row's wait) or stop (section 7)."""
        self._failures += 1
        self._lost = 0
        if p.on_connect_or_drop(refusal.reason) == p.STOP:
            return self._stop(p.SessionStopped(refusal.reason, refusal.message, refusal))
        if self._failures > self.settings.max_retries:
            return self._stop(p.SessionStopped(refusal.reason, f'{refusal.message} ({self.settings.max_retries} retries)', refusal))
        # The drop is the new connection's first failure, whatever failed refreshes counted before it.
        failures = 1 if drop else self._failures
        return self._back_off(p.retry_delay_for(refusal, failures, self.settings.retry_delay_s))

    def _ended_token_failed(self, failure):
        self._failures += 1
        if not failure.retryable or self._failures > self.settings.max_retries:
            return self._stop(p.SessionStopped(failure.reason, str(failure)))
        delay = max(p.backoff_s(self._failures, self.settings.retry_delay_s), p.MIN_RETRY_DELAY_S)
        return self._back_off(delay)

    def _lost_connection(self):
        """A connection lost (or never made): reconnect with back-off; not counted against max_retries."""
        self._lost += 1
        return [*self._settle_waiter(False), *self._back_off(p.backoff_s(self._lost, self.settings.retry_delay_s))]

    def _back_off(self, delay):
        self.phase = BACKING_OFF
        self.deadline = self._clock() + delay
        return [TEARDOWN]

    def _stop(self, error):
        self.stopped = error
        waiter = self._settle_waiter(False)
        self._finish()
        return [*waiter, TEARDOWN, Notify('stopped', error), FINISHED]

    def _finish(self):
        self.phase = OVER
        self.deadline = None
        self._ticket += 1
        return [TEARDOWN, FINISHED]

    # ------------------------------------------------------------------ helpers

    def _settle_waiter(self, value):
        waiter, self._waiter = self._waiter, None
        return [] if waiter is None else [Resolve(waiter, value)]

    def _expiry_from(self, answer):
        return p.Expiry.from_answer(answer, self._token, clock=self._clock, wall=self._wall)

    def _refresh_at(self):
        if self._life_capped:  # a refresh did not extend the life: none until the drop (protocol.md 8.2)
            return None
        delay = self.expiry.refresh_in_s(self.settings.refresh_lead_s)
        return None if delay is None else self._clock() + delay

    def _no_answer(self):
        return p.no_answer(self.settings.ack_timeout_s)
