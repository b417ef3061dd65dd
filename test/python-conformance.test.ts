// The threaded flavour; test/python-conformance-async.test.ts has the asyncio one.
import { pythonConformanceSuite } from './conformance-support.js';

pythonConformanceSuite('sync');
