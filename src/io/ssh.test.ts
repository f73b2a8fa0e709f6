/**
 * Remote commands are built from argument arrays and quoted as data: a real POSIX shell gets
 * back exactly the arguments (spaces, quotes, $, ;, newlines), with only a leading ~/ left to
 * mean the remote home. ssh's own messages are named as the failures users must tell apart.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { classifySshFailure, formatRemoteCommand, rsyncShell } from './ssh.js';

test('a remote command line gives the shell back exactly its arguments', () => {
  const args = ['plain', 'with space', "it's", 'a"b', '$HOME', '`id`', 'x; rm -rf /', 'new\nline', '', '-n', '*'];
  const line = formatRemoteCommand(['printf', '%s\\0', ...args]);
  const out = execFileSync('sh', ['-c', line], { env: { HOME: '/opt/remote-user', PATH: process.env.PATH } });
  assert.deepEqual(out.toString('utf8').split('\0').slice(0, -1), args);
  const home = execFileSync('sh', ['-c', formatRemoteCommand(['printf', '%s\\n', '~/tack dir/x', '~', 'a~/b'])], { env: { HOME: '/opt/remote-user', PATH: process.env.PATH } });
  assert.equal(home.toString('utf8'), '/opt/remote-user/tack dir/x\n/opt/remote-user\na~/b\n');
});

test('rsync -e carries the same ssh options, quoted the way rsync splits them', () => {
  const shell = rsyncShell({ program: 'ssh', configFile: "/opt/my conf/it's", controlDir: '/opt/c', connectTimeoutSec: 15, persistSec: 60, env: {} }, { host: 'h', port: 2222, user: 'root' });
  assert.match(shell, /^ssh -F '\/opt\/my conf\/it'"'"'s' -o BatchMode=yes /);
  assert.match(shell, /-o ControlPath=\/opt\/c\/%C -o ControlMaster=no -p 2222 -l root$/);
  assert.doesNotMatch(shell, /StrictHostKeyChecking/);
});

test('ssh failures are told apart by ssh\'s own words', () => {
  const cases: Array<[string, string]> = [
    ['No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n', 'host-key-unknown'],
    ['@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\nHost key verification failed.\r\n', 'host-key-changed'],
    ['root@203.0.113.7: Permission denied (publickey).\r\n', 'auth-refused'],
    ['ssh: connect to host 127.0.0.1 port 9: Connection refused\r\n', 'unreachable'],
    ['ssh: connect to host 10.255.255.1 port 22: Connection timed out\r\n', 'timeout'],
    ['ssh: Could not resolve hostname nope: Name or service not known\r\n', 'unknown-host'],
    ['client_loop: send disconnect: Broken pipe\r\n', 'connection-lost'],
    ['something else\n', 'other'],
  ];
  for (const [stderr, kind] of cases) assert.equal(classifySshFailure(stderr).kind, kind, stderr);
  assert.equal(classifySshFailure(cases[1]?.[0] as string).message.includes('@@@'), false, 'the banner lines are left out of the message');
});
