// Ported from socketio-jwt 4.6.2 test/authorizer_secret_function_qs.test.js — Copyright (c) 2015 Auth0, Inc., MIT License (test/compat/LICENSE).
// Changes forced by socket.io v4 and this repository's rules are listed in test/compat/README.md.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import * as io from 'socket.io-client';
import * as fixture from './fixture/secret_function.js';
import { login, settle, tracker, type HandshakeRefusal } from './helpers.js';

describe('authorizer with secret function', () => {
  const ctx: { url: string; token?: string } = { url: '' };
  const { track, closeAll } = tracker();
  afterEach(closeAll);

  //start and stop the server
  before(async () => { ctx.url = await fixture.start(); });
  after(fixture.stop);

  describe('when the user is not logged in', () => {

    it('should emit error with unauthorized handshake', (_t, done) => {
      const socket = track(io.connect(ctx.url + '?token=boooooo', { forceNew: true }));

      socket.on('connect_error', (err: HandshakeRefusal) => {
        socket.close();
        settle(done, () => {
          assert.equal(err.message, 'jwt malformed');
          assert.equal(err.data?.code, 'invalid_token');
        });
      });
    });

  });

  describe('when the user is logged in', () => {

    beforeEach(async () => {
      ctx.token = await login(ctx.url, { username: 'valid_signature', password: 'Pa123' });
    });

    it('should do the handshake and connect', (_t, done) => {
      const socket = track(io.connect(ctx.url, {
        forceNew: true,
        query: { token: ctx.token }
      }));

      socket
        .on('connect', () => {
          socket.close();
          done();
        })
        .on('connect_error', done);
    });
  });

  describe('unsigned token', () => {
    beforeEach(() => {
      ctx.token = 'eyJhbGciOiJub25lIiwiY3R5IjoiSldUIn0.eyJuYW1lIjoiSm9obiBGb28ifQ.';
    });

    it('should not do the handshake and connect', (_t, done) => {
      const socket = track(io.connect(ctx.url, {
        forceNew: true,
        query: { token: ctx.token }
      }));

      socket
        .on('connect', () => {
          socket.close();
          done(new Error('this shouldnt happen'));
        })
        .on('connect_error', (err: HandshakeRefusal) => {
          socket.close();
          settle(done, () => assert.equal(err.message, 'jwt signature is required'));
        });
    });
  });

});
