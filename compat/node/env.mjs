// What both compat suites read from the server scripts/ci.d/60-compat.sh (or
// 70-postgres-multi.sh) starts: its address, project id, management key and frozen
// clock (OTPAIR_COMPAT_*), and the codes of that clock.
import { randomBytes } from 'node:crypto';
import { totpAt } from './totp.mjs';

// env is the server under test. urlB is a second instance on the same database where
// 70-postgres-multi.sh starts one, else the same server.
export const env = {
  url: process.env.OTPAIR_COMPAT_URL,
  urlB: process.env.OTPAIR_COMPAT_URL_B || process.env.OTPAIR_COMPAT_URL,
  pid: process.env.OTPAIR_COMPAT_PROJECT_ID,
  mgmtKey: process.env.OTPAIR_COMPAT_MGMT_KEY,
  time: Number(process.env.OTPAIR_COMPAT_TIME),
};
const configured = Boolean(env.url && env.pid && env.mgmtKey && env.time);
if (!configured && process.env.OTPAIR_REQUIRE_EXTERNAL === '1') {
  throw new Error('OTPAIR_COMPAT_* unset: run through scripts/ci.d/60-compat.sh');
}

// skip is node:test's skip option: false when a server is there, else why not.
export const skip = configured ? false : 'OTPAIR_COMPAT_* unset; scripts/ci.d/60-compat.sh starts otpair serve and sets them';

// totp is RFC 6238 with SHA-1, 6 digits and 30-second steps, at the frozen clock plus
// `steps` steps (env.time is read at each call, so a test may set it).
export const totp = (key, steps) => totpAt(key, env.time, steps);

// wrongCode is a code the server's window (steps -1, 0, +1) does not accept for key.
export function wrongCode(key) {
  const good = new Set([totp(key, -1), totp(key, 0), totp(key, 1)]);
  return ['000000', '111111', '222222'].find((c) => !good.has(c));
}

// unique is a login id no earlier run used.
export const unique = (prefix) => `${prefix}-${randomBytes(4).toString('hex')}@example.com`;
