// A mistake in what the user asked for (a flag, a path, a run folder): the CLI prints it with a
// pointer to --help and exits 2, before anything is trained or written.
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

export function fail(message: string): never {
  throw new UsageError(message);
}
