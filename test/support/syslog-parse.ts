// A strict reader of what the syslog sink writes, for tests: RFC 6587 octet-counted frames and RFC 5424
// messages (header, structured data with PARAM-VALUE unescaping, BOM, MSG).

export interface ParsedSyslog {
  readonly pri: number;
  readonly version: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly sd: readonly { readonly id: string; readonly params: readonly [string, string][] }[];
  readonly bom: boolean;
  readonly msg: Buffer;
}

/** Splits octet-counted frames; `rest` is an incomplete tail. Throws on anything that is not a frame. */
export function parseFrames(buf: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const sp = buf.indexOf(0x20, at);
    if (sp === -1) {
      if (!/^[0-9]*$/.test(buf.subarray(at).toString('latin1')) || buf.length - at > 10)
        throw new Error(`bad frame length at ${at}`);
      break;
    }
    const digits = buf.subarray(at, sp).toString('latin1');
    if (!/^[1-9][0-9]{0,9}$/.test(digits)) throw new Error(`bad frame length ${JSON.stringify(digits)}`);
    const len = Number(digits);
    if (sp + 1 + len > buf.length) break;
    messages.push(buf.subarray(sp + 1, sp + 1 + len));
    at = sp + 1 + len;
  }
  return { messages, rest: buf.subarray(at) };
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export function parseMessage(m: Buffer): ParsedSyslog {
  let at = 0;
  const token = (): string => {
    const sp = m.indexOf(0x20, at);
    if (sp === -1) throw new Error('header ends early');
    const t = m.subarray(at, sp).toString('latin1');
    at = sp + 1;
    return t;
  };
  const head = /^<(\d{1,3})>([1-9]\d{0,2})$/.exec(token());
  if (!head) throw new Error('bad PRI/VERSION');
  const timestamp = token();
  const hostname = token();
  const appName = token();
  const procId = token();
  const msgId = token();
  const sd: { id: string; params: [string, string][] }[] = [];
  if (m[at] === 0x2d /* - */) {
    at += 1;
  } else {
    while (m[at] === 0x5b /* [ */) {
      at++;
      const idEnd = Math.min(...[0x20, 0x5d].map((c) => m.indexOf(c, at)).filter((i) => i !== -1));
      const id = m.subarray(at, idEnd).toString('latin1');
      at = idEnd;
      const params: [string, string][] = [];
      while (m[at] === 0x20) {
        at++;
        const eq = m.indexOf(0x3d, at);
        const name = m.subarray(at, eq).toString('latin1');
        if (m[eq + 1] !== 0x22) throw new Error('PARAM-VALUE not quoted');
        at = eq + 2;
        const bytes: number[] = [];
        for (;;) {
          const c = m[at];
          if (c === undefined) throw new Error('unterminated PARAM-VALUE');
          if (c === 0x5c && (m[at + 1] === 0x22 || m[at + 1] === 0x5c || m[at + 1] === 0x5d)) {
            bytes.push(m[at + 1] as number);
            at += 2;
          } else if (c === 0x22) {
            at++;
            break;
          } else if (c === 0x5d) {
            throw new Error('unescaped ] in PARAM-VALUE');
          } else {
            bytes.push(c);
            at++;
          }
        }
        params.push([name, Buffer.from(bytes).toString('utf8')]);
      }
      if (m[at] !== 0x5d) throw new Error('SD-ELEMENT not closed');
      at++;
      sd.push({ id, params });
    }
  }
  let msg: Buffer = Buffer.alloc(0);
  let bom = false;
  if (at < m.length) {
    if (m[at] !== 0x20) throw new Error('no SP before MSG');
    msg = m.subarray(at + 1);
    if (msg.subarray(0, 3).equals(BOM)) {
      bom = true;
      msg = msg.subarray(3);
    }
  }
  return {
    pri: Number(head[1]),
    version: Number(head[2]),
    timestamp,
    hostname,
    appName,
    procId,
    msgId,
    sd,
    bom,
    msg,
  };
}

/** The id and tenant our SD-ELEMENT carries. */
export function sdOf(p: ParsedSyslog): { tenant: string; id: string } {
  const el = p.sd.find((e) => e.id === 'logdriver@32473');
  if (!el) throw new Error('no logdriver SD-ELEMENT');
  const get = (k: string): string => {
    const v = el.params.find(([n]) => n === k)?.[1];
    if (v === undefined) throw new Error(`no ${k}`);
    return v;
  };
  return { tenant: get('tenant'), id: get('id') };
}
