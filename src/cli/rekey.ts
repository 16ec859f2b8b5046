// `logdriver rekey`: rewrites the stored backlog and dead letters with the first key of buffer.encryption.keys.
import { Command } from 'commander';
import { addDataDirFlags, withDataDir, type DataDirFlags } from './data-dir.js';

export function rekeyCommand(): Command {
  return addDataDirFlags(new Command('rekey'))
    .description(
      're-encrypt every stored chunk and dead letter with the first key of buffer.encryption.keys (service stopped); ' +
        'afterwards older keys can be removed from the config',
    )
    .action((flags: DataDirFlags) =>
      withDataDir(flags, (dir) => {
        let last = 0;
        const r = dir.rekey({
          onProgress: (p) => {
            const n = p.chunks + p.deadLetters + p.unreadableChunks + p.unreadableDeadLetters;
            if (n - last < 10_000) return;
            last = n;
            process.stderr.write(`rekey: ${n} records rewritten so far\n`);
          },
        });
        process.stdout.write(
          `rekeyed ${r.chunks} chunks and ${r.deadLetters} dead letters to key ${r.keyId}\n` +
            (r.unreadableChunks + r.unreadableDeadLetters > 0
              ? `failed authentication (tampered or wrong key): ${r.unreadableChunks} chunks dead-lettered, ` +
                `${r.unreadableDeadLetters} dead-letter payloads replaced by a notice\n`
              : ''),
        );
      }),
    );
}
