/** ssh targets as users write them; anything that could pose as an ssh option or a shell word is refused. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSshTarget, parseSshTarget } from './registry.js';

test('user@host:port, a Host alias and IPv6 in brackets are read; the target prints back the same', () => {
  assert.deepEqual(parseSshTarget('root@203.0.113.7:22022'), { host: '203.0.113.7', user: 'root', port: 22022 });
  assert.deepEqual(parseSshTarget('gpu-box'), { host: 'gpu-box' });
  assert.deepEqual(parseSshTarget('me@[2001:db8::1]:2200'), { host: '2001:db8::1', user: 'me', port: 2200 });
  for (const text of ['root@203.0.113.7:22022', 'gpu-box', 'me@[2001:db8::1]:2200']) assert.equal(formatSshTarget(parseSshTarget(text)), text);
});

test('targets that are not a host are refused with what to write', () => {
  for (const bad of ['-oProxyCommand=sh', 'root@-p', 'root@host:port', 'root@host:0', 'ro ot@host', 'host;id', 'root@', '@host', 'host:22:33']) {
    assert.throws(() => parseSshTarget(bad), /REMOTE_BAD_TARGET|is not an ssh target/, bad);
  }
});
