import type { Namespace, Socket } from 'socket.io';

const DEFAULT_PROPERTY = 'decoded_token';

/** Where each protected namespace keeps its claims (`decodedPropertyName`), for the decorators. */
const propertyOf = new WeakMap<Namespace, string>();

export function rememberClaimsProperty(namespace: Namespace, name: string | undefined): void {
  propertyOf.set(namespace, name ?? DEFAULT_PROPERTY);
}

/** The socket's current claims (they follow in-band refreshes), or undefined before authentication. */
export function claimsOf(socket: Socket): unknown {
  const name = propertyOf.get(socket.nsp) ?? DEFAULT_PROPERTY;
  return (socket.data as Record<string, unknown> | undefined)?.[name];
}
