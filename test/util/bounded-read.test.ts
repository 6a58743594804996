// The bounded reader under every file read from disk (issue 11): devices, pipes and folders are refused
// by kind before they are opened for reading, a file larger than its bound is refused by size, and
// a prefix read stops at its bound.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSizeError, readBounded } from '../../src/util/bounded-read';

const dir = mkdtempSync(join(tmpdir(), 'vae-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readBounded', () => {
  it('refuses devices, symlinks to them, named pipes and folders by kind', async () => {
    await expect(readBounded('/dev/zero', 100, 'data file')).rejects.toThrow(/data file \/dev\/zero is a character device; expected a regular file/);
    symlinkSync('/dev/urandom', join(dir, 'link'));
    await expect(readBounded(join(dir, 'link'), 100, 'data file')).rejects.toThrow(FileSizeError);
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    await expect(readBounded(join(dir, 'fifo'), 100, 'data file')).rejects.toThrow(/is a named pipe; expected a regular file/);
    await expect(readBounded(dir, 100, 'data file')).rejects.toThrow(/is a folder/);
  });

  it('reads whole files up to the bound, refuses larger ones, reads prefixes', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, Buffer.alloc(1000, 7));
    expect((await readBounded(f, 1000, 'file')).length).toBe(1000);
    await expect(readBounded(f, 999, 'file', { why: 'what its header says' })).rejects.toThrow(/file .*f is 1000 bytes; expected at most 999 bytes \(what its header says\)/);
    expect((await readBounded(f, 16, 'file', { exact: false })).length).toBe(16);
    expect((await readBounded(f, 0, 'file', { exact: false })).length).toBe(0);
    // A pseudo-file whose stat size is 0 but holds data: read, still bounded.
    expect((await readBounded('/proc/self/status', 1 << 20, 'file')).length).toBeGreaterThan(0);
    await expect(readBounded('/proc/self/status', 10, 'file')).rejects.toThrow(/holds more than 10 bytes/);
  });
});
