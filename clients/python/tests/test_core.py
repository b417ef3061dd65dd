"""Unit tests of the sans-IO core (sockjwt_client/_core.py): one per transition of docs/protocol.md
section 8, with a fake clock. Nothing waits in real time; the drivers against a real server are
test/python-client.test.ts and the conformance runs (test/python-conformance*.test.ts).

    /usr/bin/python3 -m unittest discover -s clients/python/tests
"""
import base64
import json
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from sockjwt_client import _core as c  # noqa: E402
from sockjwt_client import _protocol as p  # noqa: E402

START = 1_700_000_000.0


class Clock:
    """A monotonic and a wall clock that move only when told."""

    def __init__(self):
        self.mono = 100.0
        self.wall_s = START

    def __call__(self):
        return self.mono

    def wall(self):
        return self.wall_s

    def advance(self, seconds):
        self.mono += seconds
        self.wall_s += seconds


def token(exp_in_s=3600, sub='ann'):
    """A JWT-shaped string whose payload carries `exp`: the core reads it, never verifies it."""
    payload = base64.urlsafe_b64encode(json.dumps({'sub': sub, 'exp': START + exp_in_s}).encode()).decode().rstrip('=')
    return f'eyJhbGciOiJIUzI1NiJ9.{payload}.sig'


def refusal(reason, retry_after_ms=None):
    data = {'message': f'refused: {reason}', 'code': 'invalid_token', 'type': 'UnauthorizedError', 'reason': reason}
    if retry_after_ms is not None:
        data['retryAfterMs'] = retry_after_ms
    return {'message': data['message'], 'data': data}


def kinds(actions):
    return [type(action).__name__ for action in actions]


def notified(actions, event):
    return [action.value for action in actions if isinstance(action, c.Notify) and action.event == event]


class CoreTest(unittest.TestCase):
    def setUp(self):
        self.clock = Clock()

    def core(self, **settings):
        options = {'max_retries': 3, **settings}
        return c.Core(c.Settings(**options), clock=self.clock, wall=self.clock.wall)

    def until(self, core, seconds=None):
        """Moves the clock to the core's deadline (or by `seconds`) and fires the timer."""
        if seconds is None:
            self.assertIsNotNone(core.deadline, 'a timer is armed')
            self.clock.mono = max(self.clock.mono, core.deadline)
        else:
            self.clock.advance(seconds)
        return core.timer_fired()

    def fetch(self, core, value=None):
        """Answers the FetchToken the core asked for last."""
        return core.token_ready(core._ticket, value or token())

    def live_handshake(self, core, notice=None):
        core.start()
        self.fetch(core)
        if notice is not None:
            core.authenticated(notice)
        return core.connected()

    def live_message(self, core, ack=None):
        core.start()
        self.fetch(core)
        sent = core.connected()[0]
        return core.acked(sent.seq, ack or {'ok': True, 'expiresInMs': 3_600_000})

    def refresh_sent(self, core):
        """Fires the refresh timer and answers its token: the SendAuthenticate."""
        self.assertEqual(kinds(self.until(core)), ['FetchToken'])
        actions = self.fetch(core)
        self.assertEqual(kinds(actions), ['SendAuthenticate'])
        return actions[0]

    # -------------------------------------------------------------- idle → fetching → connecting

    def test_start_fetches_a_token_bounded_by_token_timeout(self):
        core = self.core(token_timeout_s=7)
        self.assertEqual(kinds(core.start()), ['FetchToken'])
        self.assertEqual((core.phase, core.deadline), (c.FETCHING, self.clock.mono + 7))

    def test_fetching_to_connecting_handshake_sends_the_token_and_asks_for_the_lifetime(self):
        core = self.core()
        core.start()
        actions = self.fetch(core, 'a.b.c')
        self.assertEqual(kinds(actions), ['Connect'])
        self.assertEqual(actions[0].auth, {'token': 'a.b.c', 'lifetime': True})
        self.assertEqual(core.phase, c.CONNECTING)

    def test_fetching_to_connecting_message_mode_connects_without_a_token(self):
        core = self.core(mode='message')
        core.start()
        self.assertIsNone(self.fetch(core)[0].auth)

    def test_fetching_to_backing_off_a_token_timeout_is_retried_then_stops_with_token_timeout(self):
        core = self.core(max_retries=1, token_timeout_s=2)
        core.start()
        self.assertEqual(kinds(self.until(core)), ['Teardown'])
        self.assertEqual(core.phase, c.BACKING_OFF)
        self.assertEqual(core.deadline - self.clock.mono, 1.0)
        late = core._ticket
        self.assertEqual(kinds(self.until(core)), ['FetchToken'])
        self.assertEqual(core.token_ready(late - 1, token()), [], 'a timed-out call answering late is not taken')
        actions = self.until(core)
        self.assertEqual([s.reason for s in notified(actions, 'stopped')], ['token_timeout'])
        self.assertEqual(kinds(actions)[-1], 'Finished')

    def test_fetching_to_stopped_a_signed_out_get_token_stops_at_once_with_token_unavailable(self):
        core = self.core()
        core.start()
        actions = core.token_failed(core._ticket, c.token_failure(p.SignedOut('gone')))
        self.assertEqual([s.reason for s in notified(actions, 'stopped')], ['token_unavailable'])

    def test_fetching_to_backing_off_a_token_that_is_not_a_non_empty_string_is_a_failure(self):
        for bad in ('', 42, None):
            core = self.core()
            core.start()
            self.assertEqual(kinds(core.token_ready(core._ticket, bad)), ['Teardown'])
            self.assertEqual((core.phase, core.deadline - self.clock.mono), (c.BACKING_OFF, 1.0))

    # -------------------------------------------------------------- connecting → …

    def test_connecting_to_live_handshake_takes_a_notice_heard_before_connect(self):
        core = self.core()
        actions = self.live_handshake(core, notice={'exp': None, 'expiresInMs': 4000})
        self.assertEqual(notified(actions, 'authenticated'), [{'exp': None, 'expires_in_s': 4.0, 'refreshed': False}])
        self.assertEqual((core.phase, core.deadline - self.clock.mono), (c.LIVE, 2.0))

    def test_connecting_to_live_handshake_without_a_notice_reads_exp_from_the_token(self):
        core = self.core(refresh_lead_s=30)
        actions = self.live_handshake(core)
        self.assertEqual(notified(actions, 'authenticated')[0]['exp'], START + 3600)
        self.assertEqual(core.deadline - self.clock.mono, 3570)

    def test_connecting_to_authenticating_message_mode_sends_authenticate_bounded_by_ack_timeout(self):
        core = self.core(mode='message', ack_timeout_s=4)
        core.start()
        self.fetch(core, 'x.y.z')
        actions = core.connected()
        self.assertEqual(kinds(actions), ['SendAuthenticate'])
        self.assertEqual((actions[0].token, core.phase, core.deadline - self.clock.mono), ('x.y.z', c.AUTHENTICATING, 4))

    def test_connecting_to_stopped_a_sockjwt_refusal_that_stops(self):
        core = self.core()
        core.start()
        self.fetch(core)
        actions = core.connect_error(refusal('bad_signature'))
        self.assertEqual([r.reason for r in notified(actions, 'unauthorized')], ['bad_signature'])
        self.assertEqual([s.reason for s in notified(actions, 'stopped')], ['bad_signature'])

    def test_connecting_to_stopped_another_middlewares_refusal_is_connect_refused(self):
        core = self.core()
        core.start()
        self.fetch(core)
        actions = core.connect_error({'message': 'not allowed here'})
        self.assertEqual(notified(actions, 'unauthorized'), [])
        stopped = notified(actions, 'stopped')[0]
        self.assertEqual((stopped.reason, stopped.message), ('connect_refused', 'not allowed here'))

    def test_connecting_to_backing_off_an_expired_token_reconnects_at_once_then_backs_off(self):
        core = self.core()
        core.start()
        self.fetch(core)
        core.connect_error(refusal('expired'))
        self.assertEqual(core.deadline, self.clock.mono, 'the first retry after expired is immediate')
        self.until(core)
        self.fetch(core)
        core.connect_error(refusal('expired'))
        self.assertEqual(core.deadline - self.clock.mono, 2.0, 'the second waits retry_delay_s x 2')

    def test_connecting_to_backing_off_rate_limited_waits_retry_after(self):
        core = self.core()
        core.start()
        self.fetch(core)
        core.connect_error(refusal('rate_limited', 3500))
        self.assertEqual(core.deadline - self.clock.mono, 3.5)

    def test_connecting_to_backing_off_no_transport_is_a_lost_connection_never_counted(self):
        core = self.core(max_retries=0)
        for expected in (1, 2, 4, 8):
            core.start() if core.phase == c.IDLE else self.until(core)
            self.fetch(core)
            self.assertEqual(kinds(core.connect_error(None, 'connection refused')), ['Teardown'])
            self.assertEqual(core.deadline - self.clock.mono, expected)
        self.assertIsNone(core.stopped)

    def test_connecting_a_connect_heard_after_its_transport_dropped_is_a_lost_connection(self):
        core = self.core()
        core.start()
        self.fetch(core)
        self.assertEqual(kinds(core.connected(alive=False)), ['Teardown'])
        self.assertEqual(core.phase, c.BACKING_OFF)

    def test_connecting_no_answer_within_connect_timeout_is_a_lost_connection(self):
        core = self.core(connect_timeout_s=5)
        core.start()
        self.fetch(core)
        self.assertEqual(kinds(self.until(core, 5)), ['Teardown'])
        self.assertEqual(core.phase, c.BACKING_OFF)

    # -------------------------------------------------------------- authenticating → …

    def test_authenticating_to_live_on_an_ok_acknowledgement(self):
        core = self.core(mode='message')
        actions = self.live_message(core, {'ok': True, 'exp': 1, 'expiresInMs': 10_000})
        self.assertEqual(notified(actions, 'authenticated'), [{'exp': 1, 'expires_in_s': 10.0, 'refreshed': False}])
        self.assertEqual(core.deadline - self.clock.mono, 5.0)

    def test_authenticating_to_backing_off_a_refused_acknowledgement_notifies_once(self):
        core = self.core(mode='message')
        core.start()
        self.fetch(core)
        sent = core.connected()[0]
        actions = core.acked(sent.seq, {'ok': False, **refusal('not_yet_valid')})
        self.assertEqual([r.reason for r in notified(actions, 'unauthorized')], ['not_yet_valid'])
        self.assertEqual((core.phase, core.deadline - self.clock.mono), (c.BACKING_OFF, 1.0))

    def test_authenticating_unauthorized_then_disconnect_without_an_answer_is_that_refusal(self):
        core = self.core(mode='message')
        core.start()
        self.fetch(core)
        core.connected()
        self.assertEqual([r.reason for r in notified(core.unauthorized(refusal('timeout')), 'unauthorized')], ['timeout'])
        self.assertEqual(kinds(core.disconnected(True)), ['Teardown'])
        self.assertEqual((core.phase, core.deadline - self.clock.mono), (c.BACKING_OFF, 1.0))

    def test_authenticating_no_answer_within_ack_timeout_backs_off_then_stops_with_ack_timeout(self):
        core = self.core(mode='message', max_retries=0, ack_timeout_s=2)
        core.start()
        self.fetch(core)
        core.connected()
        actions = self.until(core)
        self.assertEqual(notified(actions, 'unauthorized'), [], 'no answer is no refusal of the server')
        self.assertEqual([s.reason for s in notified(actions, 'stopped')], ['ack_timeout'])

    # -------------------------------------------------------------- live → refreshing → …

    def test_live_to_refresh_token_at_half_the_remaining_life_never_sooner_than_1_s(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 0})
        self.assertEqual(core.deadline - self.clock.mono, 1.0, 'a zero lifetime is refreshed after 1 s, not in a loop')
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 1500})
        self.assertEqual(core.deadline - self.clock.mono, 1.0)

    def test_live_expires_in_ms_null_schedules_no_refresh(self):
        core = self.core()
        self.live_handshake(core, notice={'exp': START + 10, 'expiresInMs': None})
        self.assertIsNone(core.deadline)

    def test_live_a_later_notice_reschedules_the_refresh(self):
        core = self.core()
        self.live_handshake(core)
        core.authenticated({'expiresInMs': 8000})
        self.assertEqual(core.deadline - self.clock.mono, 4.0)

    def test_refreshing_to_live_an_accepted_refresh_schedules_the_next_from_the_new_lifetime(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 8000})
        sent = self.refresh_sent(core)
        actions = core.acked(sent.seq, {'ok': True, 'expiresInMs': 8000})
        self.assertEqual(notified(actions, 'authenticated')[0]['refreshed'], True)
        self.assertEqual((core.phase, core.deadline - self.clock.mono), (c.LIVE, 4.0))

    def test_refreshing_to_live_capped_a_refresh_that_did_not_extend_the_life_ends_refreshing(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 4000})
        sent = self.refresh_sent(core)
        core.acked(sent.seq, {'ok': True, 'expiresInMs': 2000})  # the same end: maxSessionMs decides it
        self.assertIsNone(core.deadline, 'no refresh until the drop')
        core.authenticated({'expiresInMs': 2000})
        self.assertIsNone(core.deadline, 'nor after a later notice')
        core.unauthorized(refusal('session_limit'))
        core.disconnected(True)
        self.until(core)
        self.live_handshake_again(core, {'expiresInMs': 4000})
        self.assertEqual(core.deadline - self.clock.mono, 2.0, 'the next connection refreshes again')

    def test_refreshing_to_live_an_end_moved_by_1_s_is_an_extension(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 3000})
        sent = self.refresh_sent(core)
        core.acked(sent.seq, {'ok': True, 'expiresInMs': 2500})  # from +3 s to +4 s: whole-second exp
        self.assertEqual(core.deadline - self.clock.mono, 1.25)

    def live_handshake_again(self, core, notice):
        self.fetch(core)
        core.authenticated(notice)
        core.connected()

    def test_refreshing_to_live_retry_a_retryable_refusal_is_retried_after_the_back_off_and_its_late_unauthorized_ignored(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 60_000})
        sent = self.refresh_sent(core)
        actions = core.acked(sent.seq, {'ok': False, **refusal('internal')})
        self.assertEqual([r.reason for r in notified(actions, 'unauthorized')], ['internal'])
        self.assertEqual(core.unauthorized(refusal('internal')), [], 'the same refusal, heard after its ack: not a drop')
        self.assertEqual((core.phase, core.deadline - self.clock.mono), (c.LIVE, 1.0))

    def test_refreshing_unauthorized_before_the_ack_is_notified_once(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 60_000})
        sent = self.refresh_sent(core)
        first = core.unauthorized(refusal('internal'))
        second = core.acked(sent.seq, {'ok': False, **refusal('internal')})
        self.assertEqual(len(notified(first + second, 'unauthorized')), 1)

    def test_refreshing_to_live_keep_subject_mismatch_stops_refreshing_in_place(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 60_000})
        sent = self.refresh_sent(core)
        core.acked(sent.seq, {'ok': False, **refusal('subject_mismatch')})
        self.assertEqual((core.phase, core.deadline, core.stopped), (c.LIVE, None, None))

    def test_refreshing_rate_limited_waits_retry_after(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 60_000})
        sent = self.refresh_sent(core)
        core.acked(sent.seq, {'ok': False, **refusal('rate_limited', 2500)})
        self.assertEqual(core.deadline - self.clock.mono, 2.5)

    def test_refreshing_keep_and_pending_rate_limited_are_not_counted(self):
        core = self.core(max_retries=1)  # either one counted, the drop would be the second failure: a stop
        self.live_handshake(core, notice={'expiresInMs': 60_000})
        sent = self.refresh_sent(core)
        core.acked(sent.seq, {'ok': False, **refusal('rate_limited')})  # no retryAfterMs: the first is pending
        self.assertEqual((core.phase, core.deadline - self.clock.mono), (c.LIVE, 1.0))
        sent = self.refresh_sent(core)
        core.acked(sent.seq, {'ok': False, **refusal('subject_mismatch')})
        core.unauthorized(refusal('expired'))
        core.disconnected(True)
        self.assertIsNone(core.stopped, 'the drop is the first counted failure: reconnect now')
        self.assertEqual((core.phase, core.deadline), (c.BACKING_OFF, self.clock.mono))

    def test_refreshing_no_answer_is_retried_as_ack_timeout(self):
        core = self.core(ack_timeout_s=3)
        self.live_handshake(core, notice={'expiresInMs': 60_000})
        self.refresh_sent(core)
        actions = self.until(core)
        self.assertEqual(notified(actions, 'unauthorized'), [])
        self.assertEqual((core.phase, core.deadline - self.clock.mono), (c.LIVE, 1.0))

    def test_refresh_token_failure_is_retried_while_the_token_holds(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 60_000})
        self.until(core)
        core.token_failed(core._ticket, c.TokenFailure('down'))
        self.assertEqual((core.phase, core.deadline - self.clock.mono), (c.LIVE, 1.0))

    def test_refresh_token_signed_out_stops_at_once(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 60_000})
        self.until(core)
        actions = core.token_failed(core._ticket, c.token_failure(p.SignedOut('gone')))
        self.assertEqual([s.reason for s in notified(actions, 'stopped')], ['token_unavailable'])

    def test_refreshes_failing_count_against_max_retries_and_the_drop_after_them(self):
        core = self.core(max_retries=2)
        self.live_handshake(core, notice={'expiresInMs': 600_000})
        for _ in range(2):
            self.until(core)
            core.token_failed(core._ticket, c.TokenFailure('down'))
        self.assertIsNotNone(core.deadline)
        self.until(core)
        core.token_failed(core._ticket, c.TokenFailure('down'))
        self.assertIsNone(core.deadline, 'max_retries spent: no more refreshes, the drop decides')
        core.unauthorized(refusal('expired'))
        actions = core.disconnected(True)
        self.assertEqual([s.reason for s in notified(actions, 'stopped')], ['expired'])

    # -------------------------------------------------------------- drops and lost connections

    def test_live_to_backing_off_a_drop_unauthorized_then_disconnect_reconnects_now_for_expired(self):
        core = self.core()
        self.live_handshake(core)
        actions = core.unauthorized(refusal('expired'))
        self.assertEqual([r.reason for r in notified(actions, 'unauthorized')], ['expired'])
        self.assertEqual(core.phase, c.DROPPING)
        core.disconnected(True)
        self.assertEqual((core.phase, core.deadline), (c.BACKING_OFF, self.clock.mono))

    def test_dropping_without_the_disconnect_the_grace_ends_it(self):
        core = self.core()
        self.live_handshake(core)
        core.unauthorized(refusal('session_limit'))
        self.assertEqual(kinds(self.until(core, c.REASON_GRACE_S)), ['Teardown'])
        self.assertEqual(core.phase, c.BACKING_OFF)

    def test_live_to_explaining_a_server_disconnect_waits_for_its_unauthorized(self):
        core = self.core()
        self.live_handshake(core)
        self.assertEqual(core.disconnected(True), [])
        self.assertEqual(core.phase, c.EXPLAINING)
        actions = core.unauthorized(refusal('revoked'))
        self.assertEqual([s.reason for s in notified(actions, 'stopped')], ['revoked'])

    def test_explaining_to_stopped_a_server_disconnect_without_a_reason_is_server_disconnect(self):
        core = self.core()
        self.live_handshake(core)
        core.disconnected(True)
        actions = self.until(core, c.REASON_GRACE_S)
        self.assertEqual([s.reason for s in notified(actions, 'stopped')], ['server_disconnect'])

    def test_live_to_backing_off_a_lost_transport_reconnects_with_back_off_uncounted(self):
        core = self.core()
        self.live_handshake(core)
        self.assertEqual(kinds(core.disconnected(False)), ['Teardown'])
        self.assertEqual((core.phase, core.deadline - self.clock.mono), (c.BACKING_OFF, 1.0))
        self.assertEqual(kinds(self.until(core)), ['FetchToken'], 'a fresh token for the new connection')

    # -------------------------------------------------------------- the application

    def test_refresh_requested_in_live_refreshes_now_and_resolves_with_the_answer(self):
        core = self.core()
        self.live_handshake(core, notice={'expiresInMs': 60_000})
        self.assertEqual(kinds(core.refresh_requested('w')), ['FetchToken'])
        sent = self.fetch(core)[0]
        self.assertEqual([(a.waiter, a.value) for a in core.refresh_requested('other')], [('other', False)], 'one refresh at a time')
        actions = core.acked(sent.seq, {'ok': True, 'expiresInMs': 60_000})
        self.assertEqual([(a.waiter, a.value) for a in actions if isinstance(a, c.Resolve)], [('w', True)])

    def test_refresh_requested_when_not_live_resolves_false_at_once(self):
        core = self.core()
        core.start()
        self.assertEqual([(a.waiter, a.value) for a in core.refresh_requested('w')], [('w', False)])

    def test_close_tears_down_and_finishes_and_nothing_follows(self):
        core = self.core()
        self.live_handshake(core)
        self.assertEqual(kinds(core.close()), ['Teardown', 'Finished'])
        self.assertEqual((core.phase, core.deadline), (c.OVER, None))
        self.assertEqual(core.unauthorized(refusal('expired')) + core.disconnected(True) + core.timer_fired(), [])

    def test_backing_off_to_fetching_when_the_wait_ends(self):
        core = self.core()
        self.live_handshake(core)
        core.disconnected(False)
        self.assertEqual(core.timer_fired(), [], 'not before the deadline')
        self.assertEqual(kinds(self.until(core)), ['FetchToken'])
        self.assertEqual(core.phase, c.FETCHING)


if __name__ == '__main__':
    unittest.main()
