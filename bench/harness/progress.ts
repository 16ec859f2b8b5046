// Progress on stderr while a scenario runs: a cli-progress bar on a TTY, one plain line per phase otherwise
// (CI logs, redirected output), or nothing at all when disabled.
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  /** Draw a bar; default: stderr is a TTY and CI is not set. */
  bar?: boolean;
  /** Print phase lines at all (false silences progress entirely, e.g. in tests). Default true. */
  enabled?: boolean;
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

export function barWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.CI && env.TERM !== 'dumb';
}

export class Progress {
  readonly #stream: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #useBar: boolean;
  readonly #enabled: boolean;
  #bar: cliProgress.SingleBar | undefined;

  constructor(opts: ProgressOptions = {}) {
    this.#stream = opts.stream ?? process.stderr;
    this.#enabled = opts.enabled ?? true;
    this.#useBar = this.#enabled && (opts.bar ?? barWanted(this.#stream));
  }

  /** Starts a phase with `total` units (events); replaces any running bar. */
  start(label: string, total: number): void {
    this.stop();
    if (!this.#enabled) return;
    if (!this.#useBar) {
      this.#stream.write(`bench: ${label} (${total.toLocaleString('en-US')})\n`);
      return;
    }
    this.#bar = new cliProgress.SingleBar(
      {
        stream: this.#stream,
        format: `${label.padEnd(28).slice(0, 28)} [{bar}] {percentage}% {value}/{total} {note}`,
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    this.#bar.start(Math.max(total, 1), 0, { note: '' });
  }

  update(value: number, note = ''): void {
    this.#bar?.update(Math.min(value, this.#bar.getTotal()), { note });
  }

  /** A one-off message (above the bar when one is drawn). */
  note(message: string): void {
    if (!this.#enabled) return;
    if (this.#bar) this.#bar.stop();
    this.#bar = undefined;
    this.#stream.write(`bench: ${message}\n`);
  }

  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
  }
}
