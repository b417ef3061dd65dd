// Ported from socketio-jwt 4.6.2 test/authorizer_namespaces.test.js — Copyright (c) 2015 Auth0, Inc., MIT License (test/compat/LICENSE).
// Changes forced by socket.io v4 and this repository's rules are listed in test/compat/README.md.
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import * as io from 'socket.io-client';
import * as fixture from './fixture/namespace.js';
import { login, tracker, type HandshakeRefusal } from './helpers.js';

describe('authorizer with namespaces', () => {
  const ctx: { url: string; token?: string } = { url: '' };
  const { track, closeAll } = tracker();
  afterEach(closeAll);

  //start and stop the server
  before(async () => { ctx.url = await fixture.start(); });
  after(fixture.stop);

  describe('when the user is not logged in', () => {

    it('should be able to connect to the default namespace', (_t, done) => {
      track(io.connect(ctx.url))
        .once('hi', () => done())
        .on('connect_error', done);
    });

    it('should not be able to connect to the admin namespace', (_t, done) => {
      track(io.connect(ctx.url + '/admin'))
        .once('disconnect', () => done())
        .once('hi admin', () => done(new Error('unauthenticated client was able to connect to the admin namespace')));
    });

    it('should not be able to connect to the admin_hs namespace', (_t, done) => {
      track(io.connect(ctx.url + '/admin_hs'))
        .once('hi admin', () => done(new Error('unauthenticated client was able to connect to the admin_hs namespace')))
        .on('connect_error', (err: HandshakeRefusal) => {
          if (err.message === 'Invalid namespace') { // SocketIO throws this error, if auth failed
            return;
          } else if (err && err.data && err.data.type == 'UnauthorizedError') {
            done();
          } else {
            done(err);
          }
        });
    });

  });

  describe('when the user is logged in', () => {

    beforeEach(async () => {
      ctx.token = await login(ctx.url, { username: 'jose', password: 'Pa123' });
    });

    it('should do the authentication and connect', (_t, done) => {
      track(io.connect(ctx.url + '/admin', { forceNew: true }))
        .on('hi admin', () => done())
        .emit('authenticate', { token: ctx.token });
    });

    it('should do the authentication and connect without "forceNew"', (_t, done) => {
      track(io.connect(ctx.url + '/admin', { forceNew: false }))
        .on('hi admin', () => done())
        .emit('authenticate', { token: ctx.token });
    });
  });

  describe('when the user is logged in via handshake', () => {

    beforeEach(async () => {
      ctx.token = await login(ctx.url, { username: 'jose', password: 'Pa123' });
    });

    it('should do the handshake and connect', (_t, done) => {
      track(io.connect(ctx.url + '/admin_hs', { forceNew: true, query: { token: ctx.token } }))
        .once('hi admin', () => done());
    });

    it('should do the handshake and connect without "forceNew"', (_t, done) => {
      track(io.connect(ctx.url + '/admin_hs', { forceNew: false, query: { token: ctx.token } }))
        .once('hi admin', () => done());
    });
  });

});
