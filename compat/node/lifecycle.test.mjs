// Descope's own node SDK (@descope/node-sdk 2.13.0, pinned by package-lock.json) drives a
// running `otpair serve` through the whole TOTP lifecycle. scripts/ci.d/60-compat.sh
// starts the server with a frozen clock and sets OTPAIR_COMPAT_URL, _PROJECT_ID,
// _MGMT_KEY and _TIME (the frozen clock, unix seconds). Codes are computed here with
// node:crypto (RFC 6238, HMAC-SHA1) at steps -1, 0 and +1 of that clock: three distinct
// codes the server's window accepts, so nothing waits for the next step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import DescopeClient from '@descope/node-sdk';
import { env, skip, totp, unique, wrongCode } from './env.mjs';

// The RFC 6238 appendix B vector (SHA-1, T=59 s), so the helper itself is checked.
test('totp helper matches RFC 6238', () => {
  const saved = env.time;
  env.time = 59;
  try {
    const key = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // "12345678901234567890"
    assert.equal(totp(key, 0), '287082');
  } finally {
    env.time = saved;
  }
});

function client() {
  return DescopeClient({ projectId: env.pid, baseUrl: env.url, managementKey: env.mgmtKey });
}

test('node SDK drives the TOTP lifecycle', { skip }, async () => {
  const sdk = client();
  const login = unique('node-alice');

  const su = await sdk.totp.signUp(login, { name: 'Alice', email: login });
  assert.equal(su.ok, true, JSON.stringify(su.error));
  assert.match(su.data.provisioningURL, /^otpauth:\/\/totp\//);
  assert.ok(su.data.provisioningURL.includes(`secret=${su.data.key}`));
  assert.equal(Buffer.from(su.data.image, 'base64').subarray(0, 4).toString('latin1'), '\x89PNG');

  const first = totp(su.data.key, -1);
  const si = await sdk.totp.verify(login, first);
  assert.equal(si.ok, true, JSON.stringify(si.error));
  assert.equal(si.data.firstSeen, true);
  assert.equal(si.data.user.TOTP, true);
  assert.deepEqual(si.data.user.loginIds, [login]);
  assert.ok(si.data.cookieMaxAge > 0 && Number.isInteger(si.data.cookieMaxAge));
  const { sessionJwt, refreshJwt } = si.data;

  // validateSession fetches /v2/keys/<pid> and checks signature, expiry and issuer.
  const auth = await sdk.validateSession(sessionJwt);
  assert.equal(auth.token.sub, si.data.user.userId);
  assert.deepEqual(auth.token.amr, ['totp']);

  // The same code again, and a wrong code: both E061102 with 401.
  const reused = await sdk.totp.verify(login, first);
  assert.equal(reused.ok, false);
  assert.equal(reused.code, 401);
  assert.equal(reused.error.errorCode, 'E061102');
  assert.match(reused.error.errorDescription + reused.error.errorMessage, /already used/);
  const bad = await sdk.totp.verify(login, wrongCode(su.data.key));
  assert.equal(bad.ok, false);
  assert.equal(bad.error.errorCode, 'E061102');

  // Update with the refresh token, then verify with the new seed.
  const up = await sdk.totp.update(login, refreshJwt);
  assert.equal(up.ok, true, JSON.stringify(up.error));
  assert.notEqual(up.data.key, su.data.key);
  const si2 = await sdk.totp.verify(login, totp(up.data.key, 0));
  assert.equal(si2.ok, true, JSON.stringify(si2.error));
  assert.equal(si2.data.firstSeen, false);

  // Refresh (validates the refresh token, then the new session token) and me.
  const refreshed = await sdk.refreshSession(refreshJwt);
  assert.equal(refreshed.token.sub, si.data.user.userId);
  const me = await sdk.me(refreshJwt);
  assert.equal(me.ok, true, JSON.stringify(me.error));
  assert.equal(me.data.userId, si.data.user.userId);
  assert.equal(me.data.TOTP, true);

  // Logout revokes the refresh token.
  const out = await sdk.logout(refreshJwt);
  assert.equal(out.ok, true, JSON.stringify(out.error));
  const meAfter = await sdk.me(refreshJwt);
  assert.equal(meAfter.ok, false);
  assert.equal(meAfter.error.errorCode, 'E011004');

  // Logout everywhere revokes the user's other sessions too (here the one opened with
  // the new seed).
  const all = await sdk.logoutAll(si2.data.refreshJwt);
  assert.equal(all.ok, true, JSON.stringify(all.error));
  const meAll = await sdk.me(si2.data.refreshJwt);
  assert.equal(meAll.ok, false);
  assert.equal(meAll.error.errorCode, 'E011004');

  // Management: delete the seed; a code that would have been good is then refused.
  const loaded = await sdk.management.user.load(login);
  assert.equal(loaded.ok, true, JSON.stringify(loaded.error));
  assert.equal(loaded.data.userId, si.data.user.userId);
  const del = await sdk.management.user.removeTOTPSeed(login);
  assert.equal(del.ok, true, JSON.stringify(del.error));
  const after = await sdk.totp.verify(login, totp(up.data.key, 1));
  assert.equal(after.ok, false);
  assert.equal(after.error.errorCode, 'E061102');

  // Management create, load and delete of a user without TOTP.
  const bob = unique('node-bob-mgmt');
  const created = await sdk.management.user.create(bob, { email: bob, displayName: 'Bob' });
  assert.equal(created.ok, true, JSON.stringify(created.error));
  assert.equal(created.data.name, 'Bob');
  assert.equal(created.data.TOTP, false);
  // The user search (POST /v2/mgmt/user/search) finds bob by his email.
  const found = await sdk.management.user.searchAll(undefined, undefined, 10, 0, false, false, undefined, ['enabled'], [bob]);
  assert.equal(found.ok, true, JSON.stringify(found.error));
  assert.deepEqual(found.data.map((u) => u.loginIds[0]), [bob]);
  const gone = await sdk.management.user.delete(bob);
  assert.equal(gone.ok, true, JSON.stringify(gone.error));
  const reload = await sdk.management.user.load(bob);
  assert.equal(reload.error?.errorCode, 'E112102');

  const exists = await sdk.totp.signUp(login);
  assert.equal(exists.error?.errorCode, 'E062107');
  const nobody = await sdk.totp.verify(unique('nobody'), '123456');
  assert.equal(nobody.error?.errorCode, 'E062108');
});

test('node SDK sees the lockout with Retry-After', { skip }, async () => {
  const sdk = client();
  const login = unique('node-bob');
  const su = await sdk.totp.signUp(login);
  assert.equal(su.ok, true, JSON.stringify(su.error));
  const ok = await sdk.totp.verify(login, totp(su.data.key, -1));
  assert.equal(ok.ok, true, JSON.stringify(ok.error));

  const bad = wrongCode(su.data.key);
  let locked;
  let wrongs = 0;
  for (let i = 0; i < 20 && !locked; i++) {
    const r = await sdk.totp.verify(login, bad);
    assert.equal(r.ok, false);
    if (r.error.errorCode === 'E061102') wrongs++;
    else if (r.error.errorCode === 'E061103') locked = r;
    else assert.fail(`unexpected ${JSON.stringify(r.error)}`);
  }
  assert.ok(locked, `no lockout after ${wrongs} wrong codes`);
  assert.ok(wrongs > 0);
  assert.equal(locked.code, 429);
  assert.ok(Number.isInteger(locked.error.retryAfter) && locked.error.retryAfter > 0, `retryAfter ${locked.error.retryAfter}`);

  // While locked, even the right code is refused.
  const right = await sdk.totp.verify(login, totp(su.data.key, 0));
  assert.equal(right.error?.errorCode, 'E061103');
});
