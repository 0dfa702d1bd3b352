// Descope's node SDK drives otpair's built-in flows with flow.start and flow.next
// (from @descope/core-js-sdk), against the server scripts/ci.d/60-compat.sh (one
// instance) or 70-postgres-multi.sh (two instances on one PostgreSQL: OTPAIR_COMPAT_URL_B
// set, every next goes to the other instance) starts, with a frozen clock. Codes are
// computed here (RFC 6238) at steps -1, 0 and +1 of that clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import DescopeClient from '@descope/node-sdk';
import { env, skip, totp, unique, wrongCode } from './env.mjs';

// Starts go to instance A, nexts to instance B (the same one without a second).
const sdkA = () => DescopeClient({ projectId: env.pid, baseUrl: env.url, managementKey: env.mgmtKey });
const sdkB = () => DescopeClient({ projectId: env.pid, baseUrl: env.urlB, managementKey: env.mgmtKey });

const next = (r, interaction, input) => sdkB().flow.next(r.executionId, r.stepId, interaction, undefined, undefined, input);

// enrol runs sign-up-or-in-totp for a new login id with a wrong code first, and
// returns its key and the completed response.
async function enrol(login) {
  const start = await sdkA().flow.start('sign-up-or-in-totp', undefined, undefined, undefined, undefined, undefined, { loginId: login });
  assert.equal(start.ok, true, JSON.stringify(start.error));
  const r = start.data;
  assert.equal(r.status, 'waiting');
  assert.equal(r.action, 'screen');
  assert.equal(r.screen.id, 'enroll');
  const { image, provisionUrl, key } = r.screen.state.totp;
  assert.match(provisionUrl, /^otpauth:\/\/totp\//);
  assert.equal(Buffer.from(image, 'base64').subarray(0, 4).toString('latin1'), '\x89PNG');
  const bad = await next(r, 'oneTimeCodeId', { code: wrongCode(key) });
  assert.equal(bad.ok, true, JSON.stringify(bad.error));
  assert.equal(bad.data.status, 'waiting');
  assert.equal(bad.data.screen.id, 'enroll');
  assert.equal(bad.data.screen.state.errorType, 'TOTPVerifyFailed');
  assert.ok(bad.data.screen.state.errorText);
  const done = await next(bad.data, 'oneTimeCodeId', { code: totp(key, -1) });
  assert.equal(done.ok, true, JSON.stringify(done.error));
  assert.equal(done.data.status, 'completed');
  assert.equal(done.data.authInfo.firstSeen, true);
  return { key, done: done.data, bad: bad.data };
}

test('flows: a new user enrols (wrong code on the screen first), then signs in; a replayed code is refused', { skip }, async () => {
  const login = unique('flow-alice');
  const { key, done, bad } = await enrol(login);
  const auth = await sdkA().validateSession(done.authInfo.sessionJwt);
  assert.equal(auth.token.sub, done.authInfo.user.userId);
  assert.equal(done.lastAuth.authMethod, 'totp');

  // The step already taken, again: 400 (not the current step).
  const stale = await next(bad, 'oneTimeCodeId', { code: totp(key, 0) });
  assert.equal(stale.ok, false);
  assert.equal(stale.code, 400);
  assert.equal(stale.error.errorCode, 'E103204');

  // Sign-in flow: the code screen, the code of step 0, then the same code again.
  const si = await sdkA().flow.start('sign-in-totp', undefined, undefined, undefined, undefined, undefined, { loginId: login });
  assert.equal(si.data.screen.id, 'code');
  const ok = await next(si.data, 'oneTimeCodeId', { code: totp(key, 0) });
  assert.equal(ok.data.status, 'completed', JSON.stringify(ok.data));
  assert.equal(ok.data.authInfo.firstSeen, false);
  const si2 = await sdkA().flow.start('sign-in-totp', undefined, undefined, undefined, undefined, undefined, { loginId: login });
  const replay = await next(si2.data, 'oneTimeCodeId', { code: totp(key, 0) });
  assert.equal(replay.data.status, 'waiting');
  assert.equal(replay.data.screen.state.errorType, 'TOTPVerifyFailed');
  assert.match(replay.data.screen.state.errorText, /already used/);
});

test('flows: sign-in asks for the login id first and tells no stranger who exists', { skip }, async () => {
  const r = await sdkA().flow.start('sign-in-totp');
  assert.equal(r.data.screen.id, 'identify');
  const ghost = await next(r.data, 'continue', { loginId: unique('ghost') });
  assert.equal(ghost.data.screen.id, 'code');
  const bad = await next(ghost.data, 'oneTimeCodeId', { code: '123456' });
  assert.equal(bad.data.screen.state.errorType, 'TOTPVerifyFailed');
});

test('flows: update with the refresh token in the header', { skip }, async () => {
  const login = unique('flow-upd');
  const { done } = await enrol(login);
  // web-js-sdk sends Bearer <projectId>:<refreshJwt>; node's flow.start sends no token.
  const resp = await fetch(`${env.url}/v1/flow/start`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${env.pid}:${done.authInfo.refreshJwt}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ flowId: 'update-user-totp', isCustomScreen: false }),
  });
  const up = await resp.json();
  assert.equal(resp.status, 200);
  assert.equal(up.screen.id, 'enroll');
  const fin = await next(up, 'oneTimeCodeId', { code: totp(up.screen.state.totp.key, 1) });
  assert.equal(fin.data.status, 'completed', JSON.stringify(fin.data));
  const anon = await sdkA().flow.start('update-user-totp');
  assert.equal(anon.data.status, 'failed');
  assert.equal(anon.data.error.code, 'E011004');
});

test('flows: an unknown execution is 400 E103205', { skip }, async () => {
  const r = await next({ executionId: 'EXnope', stepId: '1' }, 'continue', {});
  assert.equal(r.ok, false);
  assert.equal(r.code, 400);
  assert.equal(r.error.errorCode, 'E103205');
});

test('customClaims reach the session token; stepup adds su', { skip }, async () => {
  const login = unique('claims');
  const sdk = sdkA();
  const su = await sdk.totp.signUp(login);
  const first = await sdk.totp.verify(login, totp(su.data.key, -1), { customClaims: { plan: 'gold' } });
  assert.equal(first.ok, true, JSON.stringify(first.error));
  const auth = await sdk.validateSession(first.data.sessionJwt);
  assert.equal(auth.token.plan, 'gold');
  const reserved = await sdk.totp.verify(login, totp(su.data.key, 0), { customClaims: { sub: 'someone-else' } });
  assert.equal(reserved.ok, false);
  assert.equal(reserved.error.errorCode, 'E011003');
  const up = await sdk.totp.verify(login, totp(su.data.key, 0), { stepup: true }, first.data.refreshJwt);
  assert.equal(up.ok, true, JSON.stringify(up.error));
  const stepped = await sdk.validateSession(up.data.sessionJwt);
  assert.equal(stepped.token.su, true);
});
