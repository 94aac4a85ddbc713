/** One measured figure of a benchmark, with the target it is judged against where there is one. */
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** The target in words, e.g. '≤ 3×' or '≥ 5000 reports/s'. */
  target?: string;
  /** Whether the figure meets its target; absent when there is none. */
  pass?: boolean;
}

/** What each `bench/*.bench.ts` module returns from its `run()`; bench/index.ts prints and saves it. */
export interface BenchReport {
  title: string;
  figures: BenchFigure[];
  notes?: string[];
}

/** The shape of a benchmark module. */
export interface BenchModule {
  run(): Promise<BenchReport>;
}
