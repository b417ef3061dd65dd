import 'reflect-metadata';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import fastifyJwt from '@fastify/jwt';
import { JwtService } from '@nestjs/jwt';
import Fastify from 'fastify';
import { ExtractJwt, Strategy as JwtStrategy, type StrategyOptionsWithoutRequest } from 'passport-jwt';
import { io as connectClient } from 'socket.io-client';
import { nestApp } from './nest/support.js';
import { connected, SECRET } from './support.js';

/**
 * Tokens as the Nest and Fastify ecosystems sign them verify in sockjwt with the same secret and
 * options, signed by the real packages: @nestjs/jwt's JwtService, @fastify/jwt, and tokens that
 * passport-jwt's usual setup (ExtractJwt.fromAuthHeaderAsBearerToken, secretOrKey) accepts.
 */

const ISSUER = 'https://auth.example';
const AUDIENCE = 'chat';

/** Runs passport-jwt's Strategy, as passport would, on a request carrying `Authorization: Bearer <token>`. */
function passportAccepts(options: StrategyOptionsWithoutRequest, token: string): Promise<{ sub: string }> {
  return new Promise((resolve, reject) => {
    const strategy = new JwtStrategy(options, (payload: { sub: string }, done: (error: unknown, user?: unknown) => void) => done(null, payload));
    const actions = strategy as unknown as { success(user: unknown): void; fail(info: unknown): void; error(error: unknown): void };
    actions.success = (user) => resolve(user as { sub: string });
    actions.fail = (info) => reject(new Error(`passport-jwt refused: ${String(info)}`));
    actions.error = reject;
    strategy.authenticate({ headers: { authorization: `Bearer ${token}` } } as never);
  });
}

describe('tokens from the Nest and Fastify ecosystems', () => {
  it("@nestjs/jwt's JwtService (HS256, its default) verifies with the same secret", async (t) => {
    const jwtService = new JwtService({ secret: SECRET, signOptions: { expiresIn: '15m', issuer: ISSUER, audience: AUDIENCE } });
    const token = await jwtService.signAsync({ sub: 'alice', name: 'Alice' });
    const h = await nestApp(t, 'handshake', { extra: { issuer: ISSUER, audience: AUDIENCE } });
    const client = await h.login('/chat', token);
    assert.deepEqual(await client.timeout(3000).emitWithAck('whoami', {}), { sub: 'alice', name: 'Alice' });
  });

  it("@nestjs/jwt's JwtService with an RS256 key pair verifies with the public key", async (t) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const jwtService = new JwtService({ privateKey, publicKey, signOptions: { algorithm: 'RS256', expiresIn: '15m' } });
    const token = jwtService.sign({ sub: 'alice' });
    const h = await nestApp(t, 'message', { extra: { secret: publicKey, algorithms: ['RS256'] } });
    const client = await h.login('/', token);
    assert.deepEqual(await client.timeout(3000).emitWithAck('whoami', {}), { sub: 'alice' });
  });

  it('@fastify/jwt (fast-jwt, HS256) verifies with the same secret', async (t) => {
    const fastify = Fastify();
    t.after(() => fastify.close());
    await fastify.register(fastifyJwt, { secret: SECRET, sign: { iss: ISSUER, aud: AUDIENCE, expiresIn: '15m' } });
    await fastify.ready();
    const token = fastify.jwt.sign({ sub: 'alice' });
    const h = await nestApp(t, 'handshake', { extra: { issuer: ISSUER, audience: AUDIENCE } });
    const client = await h.login('/chat', token);
    assert.deepEqual(await client.timeout(3000).emitWithAck('whoami', {}), { sub: 'alice' });
  });

  it("a token passport-jwt's usual setup accepts, sent the same way (Authorization: Bearer), is admitted with the same options", async (t) => {
    const token = await new JwtService({ secret: SECRET }).signAsync({ sub: 'alice' }, { expiresIn: '15m', issuer: ISSUER, audience: AUDIENCE });
    const passportOptions: StrategyOptionsWithoutRequest = { jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: SECRET, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE };
    assert.equal((await passportAccepts(passportOptions, token)).sub, 'alice');
    await assert.rejects(passportAccepts(passportOptions, await new JwtService({ secret: 'another-secret-of-reasonable-length' }).signAsync({ sub: 'alice' })), /passport-jwt refused/);
    const h = await nestApp(t, 'handshake', { extra: { issuer: ISSUER, audience: AUDIENCE } });
    const admitted = new Promise((resolve) => h.journal.once('connection', resolve));
    const client = connectClient(`${h.url}/chat`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { authorization: `Bearer ${token}` } });
    t.after(() => client.disconnect());
    await connected(client);
    await admitted;
    assert.deepEqual(await client.timeout(3000).emitWithAck('whoami', {}), { sub: 'alice' });
  });
});
