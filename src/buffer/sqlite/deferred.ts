// A promise with its settle functions, shared by everyone who joined one write transaction.
export class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (err: unknown) => void;
  constructor() {
    this.promise = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // ZeroMQ ingest has no acknowledgement and may not await its turn: a failed commit is logged by the
    // buffer and must not also crash the process as an unhandled rejection.
    this.promise.catch(() => undefined);
  }
}
