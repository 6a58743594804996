// The memory cap on a data set: every reader claims, from its headers, the bytes its images will take
// in memory before it allocates or decodes anything, and the first claim that takes the total past
// the cap is refused naming the file, what it claims and the cap. Also byte sizes for flags
// ("512M", "2GiB") and messages. Pure and browser-safe.

const KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;

/** The default cap's ceiling: see defaultMaxMemory. */
export const DEFAULT_MAX_MEMORY = 512 * MiB;

/**
 * The default cap: 512 MiB, and never more than half the machine's memory. It holds the classic VAE
 * benchmarks as stored (MNIST or Fashion-MNIST 55 MB, CIFAR-10 184 MB and SVHN 305 MB as uint8),
 * while the run itself adds float32 copies of its test and validation parts (4 bytes a value), V8
 * and the GPU runtime's own host memory: a run stays within about 2 GB, safe on an 8 GB laptop or a
 * CI container. A 1 GB file (a sparse one, a gzip bomb's claim) is refused by default; bigger data
 * (CIFAR-10 as float32, 737 MB) asks for --max-memory.
 */
export function defaultMaxMemory(totalMemory?: number): number {
  return totalMemory !== undefined && totalMemory > 0 ? Math.min(DEFAULT_MAX_MEMORY, Math.floor(totalMemory / 2)) : DEFAULT_MAX_MEMORY;
}

/** "1.50 GiB", "47.0 MiB", "512 bytes". */
export function formatBytes(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(2)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Parses "1073741824", "512M", "1.5G", "2GiB", "64kb" (K, M, G, T are binary: 1024-based); undefined if not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = { '': 1, k: KiB, m: MiB, g: GiB, t: 1024 * GiB }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const n = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export class MemoryCapError extends Error {
  constructor(message: string, readonly claimed: number, readonly cap: number) {
    super(message);
    this.name = 'MemoryCapError';
  }
}

/** Running total of what the files of one data set claim, against one cap. */
export class MemoryBudget {
  private total = 0;
  private files = 0;

  /** `capName` is how the cap is set, for the message ('--max-memory' in the CLI). */
  constructor(readonly cap: number, readonly capName = 'maxBytes') {
    if (!Number.isSafeInteger(cap) || cap < 1) throw new Error(`memory cap ${cap} is invalid; expected a positive number of bytes`);
  }

  get used(): number {
    return this.total;
  }

  /**
   * Adds what `file` claims (`what`, e.g. "60000 images of 28×28×1 uint8") before anything of it is
   * allocated; throws MemoryCapError when the total passes the cap.
   */
  claim(file: string, what: string, bytes: number): void {
    this.total += bytes;
    this.files++;
    if (!(this.total <= this.cap)) {
      const others = this.files > 1 ? `; with what the data's other files claim, ${formatBytes(this.total)} in all` : '';
      throw new MemoryCapError(
        `${file} claims ${what} = ${formatBytes(bytes)} in memory${others}, over the ${this.capName} cap of ${formatBytes(this.cap)}; ` +
          `refused before reading it (raise ${this.capName} if the data is really that large)`,
        this.total,
        this.cap,
      );
    }
  }
}
