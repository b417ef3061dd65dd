// Which of sockjwt's files and functions one connection runs through: V8's precise coverage
// (call counts) taken around a single handshake, after a warm-up connection, so module loading
// and `authorize()` itself are not counted. Handshake mode and message mode, HS256.
//
//   node --import tsx bench/profile/handshake-path.ts [path/to/src/index.ts]
//
// With another checkout's src/index.ts (e.g. an older commit's), the same for it: before/after.
import { Session } from 'node:inspector/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, relative, resolve } from 'node:path';
import { Server } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { createSigner } from 'fast-jwt';

const entry = resolve(process.argv[2] ?? fileURLToPath(new URL('../../src/index.ts', import.meta.url)));
const srcDir = dirname(entry);
const { authorize } = (await import(pathToFileURL(entry).href)) as typeof import('../../src/index.js');
const SECRET = 'a-benchmark-secret-of-reasonable-length';
const sign = createSigner({ key: SECRET, expiresIn: 3_600_000 });

interface FunctionCoverage { functionName: string; ranges: { count: number; startOffset: number }[] }
interface ScriptCoverage { url: string; functions: FunctionCoverage[] }

async function onePath(mode: 'handshake' | 'message'): Promise<Map<string, string[]>> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  if (mode === 'handshake') io.use(authorize({ secret: SECRET, handshake: true }));
  else io.on('connection', authorize({ secret: SECRET }));
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const connect = (sub: string) => new Promise<() => void>((done, fail) => {
    const token = sign({ sub, jti: `${sub}-jti` });
    const client = connectClient(url, { transports: ['websocket'], forceNew: true, ...(mode === 'handshake' && { auth: { token } }) });
    client.once('connect_error', fail);
    if (mode === 'handshake') client.once('connect', () => done(() => client.disconnect()));
    else {
      client.once('connect', () => client.emit('authenticate', { token }));
      client.once('authenticated', () => done(() => client.disconnect()));
    }
  });
  (await connect('warm-up'))();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  const close = await connect('measured');
  const { result } = (await session.post('Profiler.takePreciseCoverage')) as { result: ScriptCoverage[] };
  await session.post('Profiler.stopPreciseCoverage');
  session.disconnect();
  close();
  io.close();
  const byFile = new Map<string, string[]>();
  for (const script of result) {
    if (!script.url.startsWith('file://')) continue;
    const file = fileURLToPath(script.url);
    if (!file.startsWith(srcDir)) continue;
    const called = script.functions.filter((fn) => fn.functionName !== '' && fn.ranges[0]!.count > 0).map((fn) => `${fn.functionName}×${fn.ranges[0]!.count}`);
    if (called.length > 0) byFile.set(relative(dirname(srcDir), file), called);
  }
  return byFile;
}

for (const mode of ['handshake', 'message'] as const) {
  const files = await onePath(mode);
  console.log(`\n${mode} mode: ${files.size} files of ${relative(process.cwd(), srcDir)}/ run for one connection (functions × calls; the client's disconnect included)`);
  for (const [file, functions] of [...files].sort()) console.log(`- ${file}: ${functions.join(', ')}`);
}
process.exit(0);
