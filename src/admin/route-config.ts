// The admin listener's per-route flag, declared to fastify's route config type: `mutating` routes (replay,
// purge, retry-now) need the admin token, or a loopback peer when none is set (see auth.ts).
import 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    mutating?: boolean;
  }
}
