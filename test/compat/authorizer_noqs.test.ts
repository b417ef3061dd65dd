// Ported from socketio-jwt 4.6.2 test/authorizer_noqs.test.js — Copyright (c) 2015 Auth0, Inc., MIT License (test/compat/LICENSE).
// Changes forced by socket.io v4 and this repository's rules are listed in test/compat/README.md.
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import * as io from 'socket.io-client';
import * as fixture from './fixture/index.js';
import { login, tracker } from './helpers.js';

describe('authorizer without querystring', () => {
  const ctx: { url: string; token?: string } = { url: '' };
  const { track, closeAll } = tracker();
  afterEach(closeAll);

  //start and stop the server
  before(async () => {
    ctx.url = await fixture.start({ handshake: false });
  });

  after(fixture.stop);

  describe('when the user is not logged in', () => {

    it('should close the connection after a timeout if no auth message is received', (_t, done) => {
      track(io.connect(ctx.url, { forceNew: true }))
        .once('disconnect', () => done());
    });

    // socketio-jwt waited 1200 ms (timeout: 1000) for nothing to happen; the server's
    // disconnect at the timeout ends the same window.
    it('should not respond echo', (_t, done) => {
      track(io.connect(ctx.url, { forceNew: true }))
        .on('echo-response', () => done(new Error('this should not happen')))
        .once('disconnect', () => done())
        .emit('echo', { hi: 123 });
    });

  });

  describe('when the user is logged in', () => {

    beforeEach(async () => {
      ctx.token = await login(ctx.url, { username: 'jose', password: 'Pa123' });
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
