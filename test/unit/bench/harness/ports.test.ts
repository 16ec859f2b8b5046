// Port picking: distinct loopback ports that can actually be bound right after.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts } from '../../../../bench/harness/ports.js';

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('freePorts', () => {
  it('returns n distinct valid ports', async () => {
    const ports = await freePorts(5);
    expect(ports).toHaveLength(5);
    expect(new Set(ports).size).toBe(5);
    for (const p of ports) expect(p > 0 && p < 65536).toBe(true);
  });

  it('returns ports that are free again (the picking servers are closed)', async () => {
    const ports = await freePorts(3);
    for (const p of ports) expect(await bindable(p)).toBe(true);
  });

  it('freePort gives one usable port', async () => {
    expect(await bindable(await freePort())).toBe(true);
  });
});
