// A 3xx answer is a configuration error of the sink, in every HTTP-based sink's classifier: a retry marked
// `misconfigured` (the lane holds the tenant), never followed, never dead-lettered.
import { describe, expect, it } from 'vitest';
import { classifyEntriesWrite } from '../../../src/sinks/gcp_logging/classify.js';
import { classifyResponse } from '../../../src/sinks/http/classify.js';
import { classifyHecResponse } from '../../../src/sinks/splunk_hec/classify.js';
import type { HttpResponseInfo } from '../../../src/sinks/transport/response.js';

const res = (status: number): HttpResponseInfo => ({
  status,
  headers: { location: 'https://login.example/sso?session=abc' },
  body: Buffer.alloc(0),
});
const ids = ['a', 'b'];

describe('3xx => misconfigured', () => {
  it.each([300, 301, 302, 303, 304, 307, 308])(
    '%i in the http, splunk_hec and gcp_logging classifiers',
    (s) => {
      const want = { kind: 'retry', status: s, misconfigured: true };
      expect(classifyResponse(res(s), { batchIds: () => ids })).toMatchObject(want);
      expect(classifyHecResponse(res(s), ids, { useAck: false })).toMatchObject(want);
      expect(classifyEntriesWrite(res(s), ids)).toMatchObject(want);
    },
  );

  it.each([100, 199, 600, 0])('%i stays a plain retry', (s) => {
    expect(classifyResponse(res(s), { batchIds: () => ids })).not.toHaveProperty('misconfigured');
    expect(classifyHecResponse(res(s), ids, { useAck: false })).not.toHaveProperty('misconfigured');
    expect(classifyEntriesWrite(res(s), ids)).not.toHaveProperty('misconfigured');
  });
});
