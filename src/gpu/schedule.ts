// What a kernel with several schedules asks its runtime for, and what a tuner (src/tune/) answers:
// kernels describe their candidates and the rule's choice; the runtime asks its chooser, if any.
// Types only, so that the kernels need not know the tuner.

/** One kernel's request for a schedule on one shape. */
export interface ScheduleRequest {
  /** The tunable kernel ('matmul', 'conv2d', ...), as the tuner's registry names it. */
  kernel: string;
  /** Shapes in one class share a choice (a kernel's own bucketing of its sizes). */
  shapeClass: string;
  /** Today's rule's candidate: what runs without a tuner, always one of `candidates`. */
  rule: string;
  candidates: readonly string[];
  /** The concrete shape (plain numbers and booleans) the tuner times the candidates on. */
  shape: Readonly<Record<string, number | boolean>>;
}

/** One candidate's measurement: per-dispatch milliseconds, median over the interleaved rounds. */
export interface CandidateTime {
  candidate: string;
  ms: number;
  samples: number;
}

/** The outcome for one shape class. */
export interface TuneResult {
  kernel: string;
  shapeClass: string;
  shape: ScheduleRequest['shape'];
  rule: string;
  choice: string;
  /** 'cache': found, not timed again; 'tuned': timed now; 'budget': out of time, the rule kept for now. */
  source: 'cache' | 'tuned' | 'budget';
  /** 'budget' only: the rounds measured so far (this run's and earlier runs'), kept for the next tune. */
  kept?: number;
  times: CandidateTime[];
  /** How the candidates were timed: GPU timestamps or wall time around onSubmittedWorkDone. */
  method?: 'timestamp' | 'wall';
  /** Candidates whose output disagreed with the kernel's CPU twin (or could not be checked), never picked. */
  rejected?: { candidate: string; reason: string }[];
}

export interface TuneReport {
  /** The adapter and version the choices are remembered for ('' when tuning is off). */
  adapterKey: string;
  results: TuneResult[];
  elapsedMs: number;
}

/** Picks schedules for a runtime: the tuner implements it. */
export interface ScheduleChooser {
  /** The remembered candidate for the request's class, or undefined (the rule's is used). */
  choose(request: ScheduleRequest): string | undefined;
  /**
   * Times the candidates of each request whose class it has no choice for, keeps and saves the
   * fastest; an aborted `signal` stops it between samples (rejecting with its reason, what was
   * chosen so far kept).
   */
  tune(run: TuneTarget, requests: readonly ScheduleRequest[], options?: { signal?: AbortSignal }): Promise<TuneReport>;
}

/** What a tuner needs of the runtime it tunes for (kept structural to avoid an import cycle). */
export interface TuneTarget {
  readonly device: GPUDevice;
}
