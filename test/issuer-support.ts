import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { TestContext } from 'node:test';
import type { HandshakeOptions } from '../src/index.js';
import { listenOnFreePort, refused, serverWith as serverWithDefaults, type Respond, type SigningKey } from './key-support.js';

/** The same probes as single-issuer servers: claims of an accepted token, data of a refusal. */
export { accepted, refused } from './key-support.js';
import type { Harness } from './support.js';

export const WELL_KNOWN = '/.well-known/openid-configuration';

/**
 * A local OpenID Provider's two documents, on an ephemeral port: the discovery document at
 * `<issuer>/.well-known/openid-configuration` and the JWK Set it points at. Each tenant path is
 * one issuer (`http://127.0.0.1:PORT/<tenant>`), as Keycloak realms and Entra tenants are.
 */
export interface IdentityProvider {
  origin: string;
  /** The issuer of `tenant` (default: the origin itself, no path). */
  issuer(tenant?: string): string;
  /** Every request path received, in order. */
  requests: string[];
  /** The headers of each of `requests`, in the same order. */
  requestHeaders: IncomingHttpHeaders[];
  publish(tenant: string, keys: readonly SigningKey[]): void;
  /** Changes fields of a tenant's discovery document (merged over the honest one). */
  amend(tenant: string, fields: Record<string, unknown> | undefined): void;
  /** Replaces every answer until called again with undefined. */
  respondWith(respond: Respond | undefined): void;
  stop(): Promise<void>;
}

export async function startIdentityProvider(t: TestContext, tenants: Record<string, readonly SigningKey[]>): Promise<IdentityProvider> {
  const keys = new Map<string, readonly SigningKey[]>(Object.entries(tenants));
  const amendments = new Map<string, Record<string, unknown>>();
  const requests: string[] = [];
  const requestHeaders: IncomingHttpHeaders[] = [];
  let override: Respond | undefined;
  let origin = '';
  const issuer = (tenant = '') => (tenant ? `${origin}/${tenant}` : origin);
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    requests.push(path);
    requestHeaders.push(request.headers);
    if (override) return override(request, response);
    for (const tenant of keys.keys()) {
      const base = tenant ? `/${tenant}` : '';
      const json = (body: unknown) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (path === base + WELL_KNOWN) return json({ issuer: issuer(tenant), jwks_uri: `${issuer(tenant)}/jwks`, ...amendments.get(tenant) });
      if (path === `${base}/jwks`) return json({ keys: keys.get(tenant)!.map((key) => key.jwk) });
    }
    response.writeHead(404).end();
  });
  const { port, stop } = await listenOnFreePort(t, server);
  origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    issuer,
    requests,
    requestHeaders,
    publish: (tenant, next) => keys.set(tenant, next),
    amend: (tenant, fields) => (fields ? amendments.set(tenant, fields) : amendments.delete(tenant)),
    respondWith: (respond) => (override = respond),
    stop,
  };
}

/** One real socket.io server; one namespace per entry, each guarded by its own authorize() (no default issuer). */
export function serverWith(t: TestContext, namespaces: Record<string, Partial<HandshakeOptions>>): Promise<Harness> {
  return serverWithDefaults(t, namespaces, {});
}

export async function refusedWith(h: Harness, name: string, token: string): Promise<[string, string]> {
  const data = await refused(h, name, token);
  return [data.code, data.reason];
}

/** Process warnings emitted while the test runs. */
export function warnings(t: TestContext): Array<Error & { code?: string }> {
  const seen: Array<Error & { code?: string }> = [];
  const listener = (warning: Error) => seen.push(warning);
  process.on('warning', listener);
  t.after(() => process.off('warning', listener));
  return seen;
}
