import type { Command } from 'commander';
import { act, type CommandContext } from '../context.js';
import type { CliIo } from '../io.js';

interface Heartbeat {
  executable: string;
  hostname: string;
  pid: number;
  thread_name: string;
  state: 'alive' | 'dead';
  age_seconds: number;
  dead_after_seconds: number;
  ready: boolean | null;
  metrics_port: number | null;
  started_at: string | null;
  last_error: string | null;
}

export function registerDaemonCommands(program: Command, io: CliIo): void {
  const daemon = program.command('daemon').description('Daemon instances: list');

  daemon
    .command('list')
    .description('Every daemon instance (host, pid) with its heartbeat: alive, or dead until it is cleared')
    .option('--dead', 'only the dead instances')
    .option('--daemon <name>', 'only the instances of this daemon')
    .action(
      act(io, async (ctx: CommandContext, opts: { dead?: boolean; daemon?: string }) => {
        let rows = await ctx.client.json<Heartbeat[]>('GET', '/heartbeats', { what: 'Listing daemon instances' });
        if (opts.daemon) rows = rows.filter((r) => r.executable === opts.daemon);
        const dead = rows.filter((r) => r.state === 'dead');
        if (opts.dead) rows = dead;
        ctx.printList(rows, [
          { header: 'DAEMON', value: (r) => r.executable },
          { header: 'HOST', value: (r) => r.hostname },
          { header: 'PID', value: (r) => r.pid, align: 'right' },
          { header: 'STATE', value: (r) => (r.state === 'dead' ? 'DEAD' : r.ready === false ? 'starting' : 'alive') },
          { header: 'LAST BEAT', value: (r) => `${r.age_seconds} s ago`, align: 'right' },
          { header: 'METRICS', value: (r) => r.metrics_port },
          { header: 'LAST ERROR', value: (r) => r.last_error },
        ]);
        if (dead.length > 0) {
          ctx.note(
            `${dead.length} dead instance(s), silent for longer than their heartbeat window: ` +
              dead.map((r) => `${r.executable} on ${r.hostname} (pid ${r.pid}, ${r.age_seconds} s)`).join(', ') +
              '. They are listed until another instance of their daemon has been alive for a while.',
          );
        }
      }),
    );
}
