// Tests for the zip reader (src/data/zip.ts) over in-memory archives written by fflate: stored and
// deflated entries, partial heads, and the hostile cases: an entry that inflates past its claim (a
// bomb, stopped after its claim), one that falls short, a CRC mismatch, a cut-off archive, a
// directory pointing outside the file; ZIP64 records from Python's zipfile when python3 is here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../src/data/byte-source';
import { crc32, readZipDirectory, readZipEntry, readZipEntryHead, type ZipEntry } from '../../src/data/zip';
import { rng } from '../util/random';

const r = rng(11);
const noise = Uint8Array.from({ length: 70_000 }, () => Math.floor(r() * 256));
const zeros = new Uint8Array(300_000);
const archive = zipSync({ 'a/noise.bin': [noise, { level: 0 }], 'zeros.bin': [zeros, { level: 9 }], 'empty.txt': new Uint8Array(0) });

/** The offset of an entry's central-directory record (to patch its claims). */
function centralRecord(zip: Uint8Array, name: string): number {
  const n = new TextEncoder().encode(name);
  for (let o = zip.length - 22; o >= 0; o--) {
    if (zip[o] === 0x50 && zip[o + 1] === 0x4b && zip[o + 2] === 1 && zip[o + 3] === 2 && n.every((b, i) => zip[o + 46 + i] === b)) return o;
  }
  throw new Error(`no central record for ${name}`);
}

function setU32(b: Uint8Array, o: number, v: number): void {
  new DataView(b.buffer, b.byteOffset).setUint32(o, v, true);
}

describe('zip reader', () => {
  it('lists entries from the central directory and reads stored and deflated ones exactly', async () => {
    const src = memorySource('t.zip', archive);
    const entries = await readZipDirectory(src);
    expect(entries.map((e) => [e.name, e.method, e.size])).toEqual([['a/noise.bin', 0, 70_000], ['zeros.bin', 8, 300_000], ['empty.txt', expect.any(Number), 0]]);
    const [a, z, e] = entries as [ZipEntry, ZipEntry, ZipEntry];
    expect(z.compressedSize).toBeLessThan(2000);
    expect(Buffer.compare(Buffer.from(await readZipEntry(src, a)), Buffer.from(noise))).toBe(0);
    expect((await readZipEntry(src, z)).every((v) => v === 0)).toBe(true);
    expect((await readZipEntry(src, e)).length).toBe(0);
    expect(Array.from(await readZipEntryHead(src, a, 5))).toEqual(Array.from(noise.subarray(0, 5)));
    expect((await readZipEntryHead(src, z, 100_000)).length).toBe(100_000);
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('a deflated entry that inflates past what its directory claims stops there (a zip bomb)', async () => {
    const bomb = archive.slice();
    setU32(bomb, centralRecord(bomb, 'zeros.bin') + 24, 1000);
    const src = memorySource('bomb.zip', bomb);
    const z = (await readZipDirectory(src))[1]!;
    await expect(readZipEntry(src, z)).rejects.toThrow(/bomb\.zip: zip entry 'zeros\.bin' inflates to more than the 1000 bytes its zip header claims \(a zip bomb or a corrupt archive\)/);
    // Claiming more than it holds is corrupt too.
    const short = archive.slice();
    setU32(short, centralRecord(short, 'zeros.bin') + 24, 400_000);
    const s = memorySource('short.zip', short);
    await expect(readZipEntry(s, (await readZipDirectory(s))[1]!)).rejects.toThrow(/inflates to 300000 bytes but its zip header claims 400000/);
  });

  it('refuses a CRC mismatch, a cut-off archive, a directory outside the file, and unknown methods', async () => {
    const flipped = archive.slice();
    const at = flipped.indexOf(noise[100]!, 200);
    flipped[at] ^= 0xff;
    const f = memorySource('crc.zip', flipped);
    await expect(readZipEntry(f, (await readZipDirectory(f))[0]!)).rejects.toThrow(/crc\.zip: zip entry 'a\/noise\.bin' fails its CRC-32 check/);
    await expect(readZipDirectory(memorySource('cut.zip', archive.subarray(0, archive.length - 30)))).rejects.toThrow(/cut\.zip: no zip end-of-directory record/);
    const far = archive.slice();
    const eocd = far.length - 22;
    setU32(far, eocd + 16, far.length + 10);
    await expect(readZipDirectory(memorySource('far.zip', far))).rejects.toThrow(/far\.zip: the zip central directory at bytes .* lies outside the file's/);
    const lzma = archive.slice();
    new DataView(lzma.buffer).setUint16(centralRecord(lzma, 'zeros.bin') + 10, 14, true);
    const l = memorySource('lzma.zip', lzma);
    await expect(readZipEntry(l, (await readZipDirectory(l))[1]!)).rejects.toThrow(/uses compression method 14; expected stored \(0\) or deflate \(8\)/);
  });

  const python = spawnSync('python3', ['-c', 'import zipfile'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!python)('reads ZIP64 records as Python writes them (force_zip64, as numpy.savez does)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vae-zip64-'));
    try {
      const code = `import zipfile
with zipfile.ZipFile('${dir}/z.zip', 'w', compression=zipfile.ZIP_DEFLATED) as z:
    with z.open('x.bin', 'w', force_zip64=True) as f:
        f.write(bytes(range(256)) * 40)`;
      const p = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(0);
      const src = memorySource('z.zip', new Uint8Array(readFileSync(join(dir, 'z.zip'))));
      const [e] = await readZipDirectory(src);
      expect(e!.size).toBe(10240);
      const data = await readZipEntry(src, e!);
      expect(data[257]).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
