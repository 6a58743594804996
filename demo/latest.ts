// Coalesced queries, latest wins: while one is under way a newer request replaces any waiting one,
// so a stroke or a hover sends at most one query at a time to the model and the answer shown is
// always for the newest input (the intermediate ones are never sent).

export class Latest<A> {
  private busy = false;
  private waiting: { args: A } | null = null;

  constructor(private readonly work: (args: A) => Promise<void>, private readonly fail: (e: unknown) => void) {}

  ask(args: A): void {
    this.waiting = { args };
    if (!this.busy) void this.pump();
  }

  private async pump(): Promise<void> {
    this.busy = true;
    while (this.waiting) {
      const { args } = this.waiting;
      this.waiting = null;
      try {
        await this.work(args);
      } catch (e) {
        this.fail(e);
      }
    }
    this.busy = false;
  }
}
