// Handshake mode; test/conformance-naive-message.test.ts has message mode.
import { NAIVE_MISTAKES, naiveConformanceSuite } from './conformance-support.js';

naiveConformanceSuite('handshake', NAIVE_MISTAKES);
