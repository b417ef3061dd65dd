// Ported from socketio-jwt 4.6.2 test/authorizer_secret_function_noqs.test.js — Copyright (c) 2015 Auth0, Inc., MIT License (test/compat/LICENSE).
// Changes forced by socket.io v4 and this repository's rules are listed in test/compat/README.md.
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import * as io from 'socket.io-client';
import * as fixture from './fixture/secret_function.js';
import { login, tracker } from './helpers.js';

describe('authorizer with secret function', () => {
  const ctx: { url: string; token?: string; invalidToken?: string } = { url: '' };
  const { track, closeAll } = tracker();
  afterEach(closeAll);

  //start and stop the server
  before(async () => {
    ctx.url = await fixture.start({
      handshake: false
    });
  });

  after(fixture.stop);

  describe('when the user is not logged in', () => {

    describe('and when token is not valid', () => {
      beforeEach(async () => {
        ctx.invalidToken = await login(ctx.url, { username: 'invalid_signature', password: 'Pa123' });
      });

      it('should emit unauthorized', (_t, done) => {
        track(io.connect(ctx.url, { forceNew: true }))
          .on('unauthorized', () => done())
          .emit('authenticate', { token: ctx.invalidToken + 'ass' })
      });
    });

  });

  describe('when the user is logged in', () => {

    beforeEach(async () => {
      ctx.token = await login(ctx.url, { username: 'valid_signature', password: 'Pa123' });
    });

    it('should do the authentication and connect', (_t, done) => {
      const socket = track(io.connect(ctx.url, { forceNew: true }));

      socket
        .on('echo-response', () => {
          socket.close();
          done();
        })
        .on('authenticated', () => { socket.emit('echo'); })
        .emit('authenticate', { token: ctx.token });
    });
  });

});
