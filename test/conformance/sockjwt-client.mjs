// The client under test for `npm run conformance`: sockjwt/client (the built package, dist/).
// docs/protocol.md section 9: SOCKJWT_URL, SOCKJWT_TOKEN_URL, SOCKJWT_MODE in; a "stopped" line out.
import { connect } from '../../dist/client.js';

const { SOCKJWT_URL: url, SOCKJWT_TOKEN_URL: tokenUrl, SOCKJWT_MODE: mode } = process.env;

async function getToken() {
  const response = await fetch(tokenUrl, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  return (await response.json()).token;
}

const socket = connect(url, { getToken, mode, transports: ['websocket'] });
socket.session.on('stopped', (error) => {
  console.log(JSON.stringify({ event: 'stopped', reason: error.reason ?? 'error', message: error.message }));
  socket.disconnect();
  process.exit(0);
});
