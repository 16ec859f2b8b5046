// The config file as a tenant source: re-read on demand; its `tenants` and `defaultSink` apply when its text changed.
import { readFileSync } from 'node:fs';
import { loadConfig, type Config } from '../config/index.js';

export type FileRead =
  | { readonly kind: 'unreadable' }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'changed'; readonly routing: Pick<Config, 'defaultSink' | 'tenants'> }
  | { readonly kind: 'invalid'; readonly reason: string };

export class FileSource {
  readonly file: string;
  #lastText: string | undefined;

  constructor(file: string) {
    this.file = file;
    this.#lastText = this.#read();
  }

  #read(): string | undefined {
    try {
      return readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
  }

  /**
   * Reads the file. A changed text is remembered even when it is invalid, so one broken edit is reported once,
   * not at every interval. Reasons are ConfigError messages (key names and rules, never values).
   */
  read(): FileRead {
    const text = this.#read();
    if (text === undefined) return { kind: 'unreadable' };
    if (text === this.#lastText) return { kind: 'unchanged' };
    this.#lastText = text;
    try {
      const { defaultSink, tenants } = loadConfig({ file: this.file });
      return { kind: 'changed', routing: { defaultSink, tenants } };
    } catch (err) {
      return { kind: 'invalid', reason: (err as Error).message };
    }
  }
}
