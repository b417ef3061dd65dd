// Message mode; test/conformance-naive.test.ts has handshake mode.
import { NAIVE_MISTAKES, naiveConformanceSuite } from './conformance-support.js';

naiveConformanceSuite('message', {
  ...NAIVE_MISTAKES,
  'expired-token/acknowledges-unauthorized': 'no acknowledgement: the server held the socket until its callback limit',
  'message-timeout/reconnects-after-timeout': 'never connected with a new token',
});
