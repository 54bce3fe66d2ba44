// The path guard's pure core: which project-relative paths read from rx's files are safe.
import t from 'tap';
import { mkdtempSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { unsafePathReason, assertSafePath, assertNoSymlinkAbove } from '../../src/core/paths.js';

t.test('safe paths pass', async (t) => {
  for (const p of ['a', 'data/images', 'a/b/c.txt', 'name.rx', '.gitignore', '.github/x', 'x.git', 'a b/c d', 'ünï/cödé', '..a', 'a..', '...']) {
    t.equal(unsafePathReason(p), undefined, JSON.stringify(p));
  }
});

t.test('unsafe paths are refused with a reason', async (t) => {
  const cases: [unknown, RegExp][] = [
    ['', /empty/],
    ['/etc/passwd', /absolute/],
    ['C:/x', /absolute/],
    ['..', /"\.\." component/],
    ['../x', /"\.\." component/],
    ['a/../../b', /"\.\." component/],
    ['a/..', /"\.\." component/],
    ['.', /"\." component/],
    ['./x', /"\." component/],
    ['x/', /empty component/],
    ['x//y', /empty component/],
    ['/', /absolute/],
    ['.git', /\.git/],
    ['.git/hooks/post-checkout', /\.git/],
    ['sub/.git/config', /\.git/],
    ['.GIT/config', /\.GIT/],
    ['.rx', /\.rx/],
    ['.rx/cache/x', /\.rx/],
    ['a\0b', /control character/],
    ['a\nb', /control character/],
    ['a\rb', /control character/],
    ['a\tb', /control character/],
    ['a\u007fb', /control character/],
    ['a\\b', /backslash/],
    ['..\\x', /backslash/],
    [42, /not a string/],
    [undefined, /not a string/],
  ];
  for (const [p, why] of cases) t.match(unsafePathReason(p), why, JSON.stringify(p));
});

t.test('assertSafePath names the file, line and field', async (t) => {
  t.throws(() => assertSafePath('../x', { file: 'data.rx', line: 3, column: 7, field: 'path' }), {
    code: 'RX_UNSAFE_PATH',
    exitCode: 4,
    message: 'data.rx:3:7: path: "../x" has a ".." component',
  });
});

t.test('a symlinked directory on the way to a write is refused; the last component may be anything', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'rx-paths-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'real/sub'), { recursive: true });
  symlinkSync(tmpdir(), path.join(root, 'link'));
  symlinkSync(path.join(root, 'real'), path.join(root, 'real/sub/up'));
  t.doesNotThrow(() => assertNoSymlinkAbove(root, 'real/sub/file'));
  t.doesNotThrow(() => assertNoSymlinkAbove(root, 'link'), 'a link as the target itself is replaced by rename, never followed');
  t.doesNotThrow(() => assertNoSymlinkAbove(root, 'new/dir/file'), 'paths that do not exist yet');
  t.throws(() => assertNoSymlinkAbove(root, 'link/victim'), { code: 'RX_UNSAFE_PATH', message: /link is a symbolic link/ });
  t.throws(() => assertNoSymlinkAbove(root, 'real/sub/up/x'), { code: 'RX_UNSAFE_PATH', message: /real\/sub\/up is a symbolic link/ });
});
