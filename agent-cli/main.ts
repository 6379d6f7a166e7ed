#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// z3bra-agent: the operator's command line for a running z3bra-agentd.
import { Command, InvalidArgumentError, Option } from 'commander'
import fs from 'node:fs'
import type * as grpc from '@grpc/grpc-js'
import { AGENT_VERSION } from '../daemon/version'
import { call, CliError, connect, resolveEndpoint, statusError, type Clients } from './client'
import { isoTime, jobJson, jobsTable, jobText, print, resultJson, resultText, statusText } from './format'
import { registerHostCommands } from './commands/host'
import { registerIamCommands } from './commands/iam'
import { registerAuditCommands } from './commands/audit'

const printJson = (v: unknown) => print(JSON.stringify(v, null, 2) + '\n')

function intOption(name: string, min: number, max: number) {
  return (v: string) => {
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`)
    }
    return Number(v)
  }
}

async function withClients<T>(cmd: Command, fn: (c: Clients) => Promise<T>): Promise<T> {
  const g = cmd.optsWithGlobals() as { socket?: string; tokenFile?: string }
  const c = connect(resolveEndpoint(g))
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

/** Streams a job's transitions; resolves with the last job message. */
function watch(c: Clients, jobId: string, onEvent: (ev: Record<string, any>) => void): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    let last: Record<string, any> | undefined
    const stream = c.jobs.WatchJob({ job_id: jobId }, c.md) as grpc.ClientReadableStream<Record<string, any>>
    stream.on('data', (ev) => {
      last = ev.job
      onEvent(ev)
    })
    stream.on('error', (err: grpc.ServiceError) => reject(statusError(err)))
    stream.on('end', () => (last ? resolve(last) : reject(new CliError(`the watch of job ${jobId} ended with no event`))))
  })
}

function build(): Command {
  const program = new Command()
  program
    .name('z3bra-agent')
    .description('Drive a running z3bra-agentd: submit circuits, follow jobs, read results and host status.')
    .version(AGENT_VERSION)
    .option('--socket <path>', 'agent socket (env Z3BRA_SOCKET)', undefined)
    .option('--token-file <file>', 'bearer token file (env Z3BRA_TOKEN_FILE)', undefined)
    .addHelpText('after', '\nDefaults: ./.z3bra/agent.sock and ./.z3bra/admin.token, as `npm start` creates them.')
    .showHelpAfterError('(add --help for usage)')
    // Usage errors (an unknown option, a value out of range) exit 2 like the
    // CLI's own checks; errors from the daemon exit 1. Subcommands made
    // below inherit this.
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : 2)
    })

  program
    .command('status')
    .description('show the host: version, uptime, CPUs, memory, queue')
    .option('--json', 'machine-readable output')
    .action(async (o, cmd) =>
      withClients(cmd, async (c) => {
        const st = await call<Record<string, any>>(c.host, 'GetStatus', {}, c.md)
        if (o.json) printJson(st)
        else print(statusText(st))
      }),
    )

  program
    .command('submit')
    .description('submit an OpenQASM 2.0 or 3 circuit')
    .argument('<file>', 'circuit file (- for standard input)')
    .option('--shots <n>', 'shots to sample', intOption('--shots', 0, 100_000_000), 1024)
    .option('--seed <n>', 'sampler seed (unsigned 64-bit); random when unset')
    .option('--probabilities', 'also compute the exact outcome distribution', false)
    .option('--name <name>', 'a label for the job', '')
    .option('--request-id <id>', 'idempotency key: a repeat returns the same job')
    .option('--priority <n>', 'priority, -100 to 100', intOption('--priority', -100, 100), 0)
    .option('--cpus <n>', 'CPUs to run on, exclusively (default: by circuit size)', intOption('--cpus', 0, 4096))
    .option('--threads <n>', 'simulator threads: one per CPU, so the same as --cpus', intOption('--threads', 1, 4096))
    .option('--precision <p>', 'amplitudes in complex double (default) or single', 'double')
    .addOption(new Option('--classification <class>', "the data's classification (default: the host's, normally public)").choices(['phi', 'de-identified', 'public']))
    .option('--justification <text>', 'why this PHI is processed (required for phi)', '')
    .option('--wait', 'wait for the job to end and print its result', false)
    .option('--json', 'machine-readable output')
    .action(async (file: string, o, cmd) => {
      let source: string
      try {
        source = fs.readFileSync(file === '-' ? 0 : file, 'utf8')
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2)
      }
      if (source.trim() === '') throw new CliError(`${file === '-' ? 'standard input' : file} is empty: there is no circuit to submit`, 2)
      if (o.precision !== 'single' && o.precision !== 'double') {
        throw new CliError(`--precision must be single or double; got "${o.precision}"`, 2)
      }
      if (o.threads !== undefined && o.cpus && o.cpus !== o.threads) {
        throw new CliError(`--threads ${o.threads} and --cpus ${o.cpus} disagree: the runner runs one thread per CPU`, 2)
      }
      // Checked here: the wire's uint64 would wrap a larger number silently.
      if (o.seed !== undefined && (!/^\d+$/.test(o.seed) || BigInt(o.seed) >= 1n << 64n)) {
        throw new CliError(`--seed must be an unsigned 64-bit integer (0 to 18446744073709551615); got "${o.seed}"`, 2)
      }
      await withClients(cmd, async (c) => {
        const req = {
          source,
          shots: o.shots,
          seed: o.seed,
          probabilities: o.probabilities,
          name: o.name,
          client_request_id: o.requestId ?? '',
          priority: o.priority,
          cpus: o.threads ?? o.cpus ?? 0,
          precision: o.precision,
          classification: o.classification ?? '',
          justification: o.justification,
        }
        const res = await call<Record<string, any>>(c.jobs, 'SubmitJob', req, c.md)
        let job = res.job
        if (!o.wait) {
          if (o.json) printJson({ ...jobJson(job), existing: res.existing })
          else print(`${res.existing ? 'existing' : 'submitted'} job ${job.job_id} (${job.state})\n`)
          return
        }
        if (!o.json) print(`submitted job ${job.job_id}\n`)
        job = await watch(c, job.job_id, (ev) => {
          if (!o.json) print(`  ${ev.state}${ev.job?.cpus?.length ? ` on CPUs ${ev.job.cpus.join(',')}` : ''}\n`)
        })
        let result: Record<string, any> | null = null
        if (job.state === 'SUCCEEDED') {
          result = resultJson(await call(c.jobs, 'GetJobResult', { job_id: job.job_id }, c.md))
        }
        if (o.json) printJson({ job_id: job.job_id, state: job.state, job: jobJson(job), result })
        else if (result) print(resultText(job.job_id, result))
        else print(`job ${job.job_id} ended ${job.state}: ${job.error}\n`)
        if (job.state !== 'SUCCEEDED') process.exitCode = 1
      })
    })

  program
    .command('jobs')
    .description('list jobs, newest first')
    .addOption(new Option('--state <state...>', 'only jobs in these states').choices(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']))
    .option('--limit <n>', 'at most this many', intOption('--limit', 1, 100_000), 50)
    .option('--json', 'machine-readable output')
    .action(async (o, cmd) =>
      withClients(cmd, async (c) => {
        const jobs: Record<string, any>[] = []
        let token = ''
        do {
          const page = await call<Record<string, any>>(
            c.jobs,
            'ListJobs',
            { page_size: Math.min(500, o.limit - jobs.length), page_token: token, states: o.state ?? [] },
            c.md,
          )
          jobs.push(...page.jobs)
          token = page.next_page_token
        } while (token && jobs.length < o.limit)
        if (o.json) printJson(jobs.map(jobJson))
        else print(jobsTable(jobs))
      }),
    )

  program
    .command('job')
    .description("show one job's state and placement")
    .argument('<id>', 'job id')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o, cmd) =>
      withClients(cmd, async (c) => {
        const job = await call<Record<string, any>>(c.jobs, 'GetJob', { job_id: id }, c.md)
        if (o.json) printJson(jobJson(job))
        else print(jobText(job))
      }),
    )

  program
    .command('result')
    .description("print a succeeded job's counts, probabilities and run record")
    .argument('<id>', 'job id')
    .option('--justification <text>', "why a PHI job's result is read (default: the job's own)", '')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o, cmd) =>
      withClients(cmd, async (c) => {
        const r = resultJson(await call(c.jobs, 'GetJobResult', { job_id: id, justification: o.justification }, c.md))
        if (o.json) printJson(r)
        else print(resultText(id, r))
      }),
    )

  program
    .command('cancel')
    .description('cancel a queued or running job')
    .argument('<id>', 'job id')
    .option('--reason <text>', 'why, for the record', '')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o, cmd) =>
      withClients(cmd, async (c) => {
        const job = await call<Record<string, any>>(c.jobs, 'CancelJob', { job_id: id, reason: o.reason }, c.md)
        if (o.json) printJson(jobJson(job))
        else print(`job ${job.job_id} ${job.state}\n`)
      }),
    )

  program
    .command('watch')
    .description("follow a job's state transitions until it ends")
    .argument('<id>', 'job id')
    .option('--json', 'one JSON object per transition')
    .action(async (id: string, o, cmd) =>
      withClients(cmd, async (c) => {
        const job = await watch(c, id, (ev) => {
          if (o.json) print(JSON.stringify({ job_id: ev.job_id, state: ev.state, time: isoTime(ev.time), job: jobJson(ev.job) }) + '\n')
          else print(`${isoTime(ev.time)}  ${ev.state}${ev.job?.error ? `: ${ev.job.error}` : ''}\n`)
        })
        if (job.state !== 'SUCCEEDED') process.exitCode = 1
      }),
    )
  registerHostCommands(program, withClients)
  registerIamCommands(program, withClients)
  registerAuditCommands(program, withClients)
  return program
}

// A reader that stops early (`| head`) is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

build()
  .parseAsync(process.argv)
  .catch((err) => {
    const code = err instanceof CliError ? err.exitCode : 1
    process.stderr.write(`z3bra-agent: ${err instanceof CliError ? err.message : (err as Error).stack}\n`)
    process.exitCode = code
  })
