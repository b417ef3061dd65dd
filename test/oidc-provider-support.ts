import { generateKeyPairSync } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import Provider, { type JWKS } from 'oidc-provider';

/** The resource server the access tokens are for (RFC 8707 resource indicator). */
export const RESOURCE = 'https://chat.example.com';
export const CLIENT_ID = 'chat-service';
const CLIENT_SECRET = 'a-client-secret-of-reasonable-length';

/** An ES256 signing key as the provider holds it: private, with a `kid`. */
export function providerKey(kid: string): JWKS['keys'][number] {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } as JWKS['keys'][number];
}

export interface OpenIdProvider {
  issuer: string;
  /** Every request path the provider received, in order. */
  requests: string[];
  /** A client-credentials access token in JWT format (`typ: at+jwt`) for `resource`. */
  accessToken(resource?: string): Promise<string>;
  /** An ID token for `sub`, issued and signed by the provider itself. */
  idToken(sub: string): Promise<string>;
  /** Publishes `keys` (the first one signs); the port and issuer stay, socket.io is not touched. */
  rotate(keys: JWKS['keys']): void;
  /** Every connection is dropped without an answer until `up()`. */
  down(): void;
  up(): void;
}

/**
 * panva's oidc-provider, a certified OpenID Provider, on an ephemeral loopback port. Rotation
 * swaps in a provider with the new key set behind the same listening socket, as a provider
 * deployment rolls its configuration.
 */
export async function startOpenIdProvider(t: TestContext, keys: JWKS['keys']): Promise<OpenIdProvider> {
  const requests: string[] = [];
  let handler: RequestListener | undefined;
  let provider: Provider;
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (!handler) return void request.socket.destroy();
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rotate = (next: JWKS['keys']) => {
    provider = createProvider(issuer, next);
    handler = provider.callback() as RequestListener;
  };
  rotate(keys);
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return {
    issuer,
    requests,
    accessToken: (resource = RESOURCE) => clientCredentials(issuer, resource),
    async idToken(sub) {
      const client = await provider.Client.find(CLIENT_ID);
      const token = new provider.IdToken({ sub }, { client: client! });
      // The claims mask releases `sub` for the openid scope; @types/oidc-provider does not declare it.
      (token as unknown as { scope: string }).scope = 'openid';
      return token.issue({ use: 'idtoken' }) as Promise<string>;
    },
    rotate,
    down: () => (handler = undefined),
    up: () => (handler = provider.callback() as RequestListener),
  };
}

function createProvider(issuer: string, keys: JWKS['keys']): Provider {
  return new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      id_token_signed_response_alg: 'ES256',
    }],
    jwks: { keys },
    ttl: { ClientCredentials: 600, IdToken: 600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({ scope: 'chat', audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
      },
    },
  });
}

/** RFC 6749 §4.4 with an RFC 8707 resource indicator, through the provider's token endpoint. */
async function clientCredentials(issuer: string, resource: string): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'chat' }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`the provider issued no token: ${JSON.stringify(body)}`);
  return body.access_token;
}
