// A sockjwt/client whose clock is CLOCK_SKEW_MS off (Date is shifted in this process only).
// Tokens come from the parent over IPC, minted on the parent's (the server's) clock; what the
// helper does is reported back: test/client-skew.test.ts.
const skewMs = Number(process.env['CLOCK_SKEW_MS']);
const RealDate = Date;
class SkewedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + skewMs);
    else super(...(args as [string]));
  }
  static override now(): number {
    return RealDate.now() + skewMs;
  }
}
globalThis.Date = SkewedDate as DateConstructor;

type FromParent = { type: 'token'; token: string } | { type: 'close' };
const send = (message: object) => process.send!(message);
const waiting: ((token: string) => void)[] = [];

const { connect } = await import('../../src/client/index.js');
const socket = connect(process.env['SERVER_URL']!, {
  mode: process.env['MODE'] as 'handshake' | 'message',
  transports: ['websocket'],
  reconnection: false,
  getToken: () =>
    new Promise<string>((resolve) => {
      waiting.push(resolve);
      send({ type: 'getToken' });
    }),
});
socket.session.on('authenticated', (info) => send({ type: 'authenticated', ...info, id: socket.id }));
socket.session.on('stopped', (error) => send({ type: 'stopped', reason: error.reason }));
socket.on('disconnect', (reason) => send({ type: 'disconnect', reason }));

process.on('message', (message: FromParent) => {
  if (message.type === 'token') waiting.shift()?.(message.token);
  else {
    socket.disconnect();
    process.disconnect();
  }
});
