// The asyncio flavour; test/python-conformance.test.ts has the threaded one.
import { pythonConformanceSuite } from './conformance-support.js';

pythonConformanceSuite('async');
