// Tests for the memory cap (src/data/memory-cap.ts): sizes as flags write them, the default, and the
// running budget that refuses the first claim past the cap naming the file, its claim and the cap.
import { describe, expect, it } from 'vitest';
import { defaultMaxMemory, DEFAULT_MAX_MEMORY, formatBytes, MemoryBudget, MemoryCapError, parseByteSize } from '../../src/data/memory-cap';

describe('memory cap', () => {
  it('parses sizes with binary units and refuses what is no size', () => {
    expect(parseByteSize('1073741824')).toBe(2 ** 30);
    expect(parseByteSize('512M')).toBe(512 * 2 ** 20);
    expect(parseByteSize('1.5G')).toBe(1.5 * 2 ** 30);
    expect(parseByteSize('2GiB')).toBe(2 ** 31);
    expect(parseByteSize(' 64kb ')).toBe(65536);
    for (const bad of ['', 'lots', '-1G', '0', '1e9', '5 X', '0.1']) expect(parseByteSize(bad), bad).toBeUndefined();
  });

  it('defaults to 512 MiB, never more than half the machine', () => {
    expect(defaultMaxMemory(64 * 2 ** 30)).toBe(DEFAULT_MAX_MEMORY);
    expect(DEFAULT_MAX_MEMORY).toBe(512 * 2 ** 20);
    expect(defaultMaxMemory(600 * 2 ** 20)).toBe(300 * 2 ** 20);
    expect(defaultMaxMemory(undefined)).toBe(DEFAULT_MAX_MEMORY);
  });

  it('adds claims up and refuses the first past the cap, by name', () => {
    const b = new MemoryBudget(1000, '--max-memory');
    b.claim('a.npy', '2 images', 600);
    expect(b.used).toBe(600);
    b.claim('b.npy', '1 image', 400);
    let e: unknown;
    try {
      b.claim('c.npy', '1 image of 1×1×1 uint8', 1);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(MemoryCapError);
    expect((e as MemoryCapError).claimed).toBe(1001);
    expect((e as Error).message).toBe("c.npy claims 1 image of 1×1×1 uint8 = 1 bytes in memory; with what the data's other files claim, 1001 bytes in all, over the --max-memory cap of 1000 bytes; refused before reading it (raise --max-memory if the data is really that large)");
    expect(() => new MemoryBudget(0)).toThrow(/memory cap 0 is invalid/);
    expect([formatBytes(512), formatBytes(1536), formatBytes(3 * 2 ** 20), formatBytes(2 ** 31)]).toEqual(['512 bytes', '1.5 KiB', '3.0 MiB', '2.00 GiB']);
  });
});
