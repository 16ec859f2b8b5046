// The mock sink's syslog receiver: RFC 5424 messages over plain TCP with RFC 6587 octet counting
// ("MSG-LEN SP SYSLOG-MSG"), what logdriver's syslog sink sends with `transport: tcp`.
//
// - Every message must carry logdriver's SD-ELEMENT `[logdriver@32473 tenant="…" id="…"]` (PARAM-VALUE
//   escapes `\"`, `\\`, `\]` undone): the ledger counts it by that id and tenant. A frame that is not
//   octet-counted RFC 5424, or lacks the element, makes the receiver reset the connection (counted in
//   badRequests) and record nothing of it.
// - The `close` confirm mode (the sink's default): a batch comes on a connection of its own, which the client
//   half-closes after the last frame. On that end of stream the receiver records every frame of the
//   connection and closes its side (a clean FIN), which is what tells the sink the batch was read. So frames
//   are recorded per connection, at the client's half-close, in the tick the receiver closes: as with the
//   HTTP protocols, "recorded" means "the client could have seen success". The `write` confirm mode (one kept
//   connection, never half-closed) is not modelled: its frames would be recorded only when it closes.
// - Options apply per connection, decided at the half-close: `down`/`reject`/`throttle` modes, an outage
//   window or an injected failure (failRate) reset the connection instead of closing it (nothing recorded);
//   timeoutRate holds it open without an answer for hangMs, then resets it; latencyMs delays the close.
//   TLS and credentials are not modelled (loopback, plain TCP).
// - Latency origin: the message's TIMESTAMP, which the sink takes from the event's `timestampMillis` (the
//   event's own timestamp, as for HEC), millisecond precision.
import type { Envelope } from './ledger.js';

/** Our SD-ID, as logdriver's syslog sink writes it. */
export const LOGDRIVER_SD_ID = 'logdriver@32473';
/** A MSG-LEN longer than this (digits) is not a frame we accept. */
const MAX_LEN_DIGITS = 9;
const SPACE = 0x20;

/** SD-PARAMs of the SD-ELEMENT `sdId`, from the STRUCTURED-DATA starting at `text[from]`; undefined if malformed. */
function sdParams(text: string, from: number, sdId: string): Map<string, string> | undefined {
  let i = from;
  let found: Map<string, string> | undefined;
  while (text[i] === '[') {
    i++;
    const idEnd = text.slice(i).search(/[ \]]/);
    if (idEnd < 0) return undefined;
    const id = text.slice(i, i + idEnd);
    i += idEnd;
    const params = new Map<string, string>();
    while (text[i] === ' ') {
      i++;
      const eq = text.indexOf('="', i);
      if (eq < 0) return undefined;
      const name = text.slice(i, eq);
      i = eq + 2;
      let value = '';
      for (;;) {
        const c = text[i];
        if (c === undefined) return undefined;
        if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\' || text[i + 1] === ']')) {
          value += text[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      params.set(name, value);
    }
    if (text[i] !== ']') return undefined;
    i++;
    if (id === sdId) found ??= params;
  }
  return found;
}

/** One SYSLOG-MSG as a ledger envelope, or why it cannot be counted. */
export function parseSyslogMessage(msg: Buffer): Envelope | string {
  const text = msg.toString('utf8');
  // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA …
  const m = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(text);
  if (!m) return 'not an RFC 5424 message';
  const params = sdParams(text, m[0].length, LOGDRIVER_SD_ID);
  const id = params?.get('id');
  const tenant = params?.get('tenant');
  if (id === undefined || id === '' || tenant === undefined || tenant === '') {
    return `no [${LOGDRIVER_SD_ID} tenant=… id=…] element`;
  }
  const ts = m[2] === '-' ? NaN : Date.parse(m[2]!);
  const rest = text.indexOf(']', m[0].length);
  return {
    id,
    tenantId: tenant,
    receivedAt: Number.isFinite(ts) ? ts : undefined,
    event: text.slice(rest + 1).replace(/^ \uFEFF?/, ''),
  };
}

/** Splits a TCP stream into octet-counted frames, chunk by chunk. */
export class OctetCountedFrames {
  #carry: Buffer = Buffer.alloc(0);

  /** Bytes received that do not yet make a whole frame. */
  get pendingBytes(): number {
    return this.#carry.length;
  }

  /** The envelopes of the frames this chunk completes, or why the stream is not octet-counted syslog. */
  push(chunk: Buffer): Envelope[] | string {
    let buf = this.#carry.length === 0 ? chunk : Buffer.concat([this.#carry, chunk]);
    const out: Envelope[] = [];
    for (;;) {
      const space = buf.indexOf(SPACE);
      if (space < 0) {
        if (buf.length > MAX_LEN_DIGITS) return 'no octet count (MSG-LEN SP) at a frame start';
        break;
      }
      const digits = buf.toString('latin1', 0, space);
      if (!/^[1-9]\d*$/.test(digits) || digits.length > MAX_LEN_DIGITS) {
        return `bad octet count ${JSON.stringify(digits.slice(0, 16))}`;
      }
      const end = space + 1 + Number(digits);
      if (buf.length < end) break;
      const env = parseSyslogMessage(buf.subarray(space + 1, end));
      if (typeof env === 'string') return env;
      out.push(env);
      buf = buf.subarray(end);
    }
    this.#carry = Buffer.from(buf);
    return out;
  }
}
