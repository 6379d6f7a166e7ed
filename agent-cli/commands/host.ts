// SPDX-License-Identifier: Apache-2.0
// Host levers: drain, undrain, cordon, uncordon. Each prints the host's
// status afterwards, as `status` would.
import type { Command } from 'commander'
import { call, type Clients } from '../client'
import { print, statusText } from '../format'

type WithClients = <T>(cmd: Command, fn: (c: Clients) => Promise<T>) => Promise<T>

function show(st: Record<string, any>, json: boolean): void {
  print(json ? JSON.stringify(st, null, 2) + '\n' : statusText(st))
}

export function registerHostCommands(program: Command, withClients: WithClients): void {
  program
    .command('drain')
    .description('stop starting and taking jobs (running ones go on)')
    .requiredOption('--reason <text>', 'why, for the record')
    .option('--wait', 'return only when no job is running', false)
    .option('--json', 'machine-readable output')
    .action(async (o, cmd) =>
      withClients(cmd, async (c) => show(await call(c.host, 'Drain', { reason: o.reason, wait: o.wait }, c.md, o.wait ? 24 * 3600_000 : undefined), o.json)),
    )
  program
    .command('undrain')
    .description('take and start jobs again')
    .option('--reason <text>', 'why, for the record', '')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd) => withClients(cmd, async (c) => show(await call(c.host, 'Undrain', { reason: o.reason }, c.md), o.json)))
  program
    .command('cordon')
    .description('take CPUs out of scheduling, e.g. `cordon 3,5-7 --reason "ECC errors"`')
    .argument('<cpus>', 'a CPU list such as 3,5-7')
    .requiredOption('--reason <text>', 'why, for the record')
    .option('--json', 'machine-readable output')
    .action(async (cpus: string, o, cmd) =>
      withClients(cmd, async (c) => show(await call(c.host, 'Cordon', { cpus, reason: o.reason }, c.md), o.json)),
    )
  program
    .command('uncordon')
    .description('give cordoned CPUs back to scheduling')
    .argument('<cpus>', 'a CPU list such as 3,5-7')
    .option('--reason <text>', 'why, for the record', '')
    .option('--json', 'machine-readable output')
    .action(async (cpus: string, o, cmd) =>
      withClients(cmd, async (c) => show(await call(c.host, 'Uncordon', { cpus, reason: o.reason }, c.md), o.json)),
    )
}
