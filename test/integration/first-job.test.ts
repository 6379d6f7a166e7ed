// SPDX-License-Identifier: Apache-2.0
// A newcomer's path through the real daemon and the real CLI: start, submit
// the shipped example, wait, read the result; then the other commands.
import t from 'tap'
import path from 'node:path'
import fs from 'node:fs'
import net from 'node:net'
import { spawnSync } from 'node:child_process'
import { cli, ROOT, startDaemon, tempDir } from '../helpers/daemon'
import { chiSquare } from '../helpers/stats'

t.test('the shipped Bell example runs end to end through the CLI', async (t) => {
  const d = await startDaemon()
  t.teardown(() => d.stop())
  t.match(d.stderr(), /socket:\s+\S+agent\.sock/, 'the banner names the socket')
  t.match(d.stderr(), /z3bra-agent submit examples\/bell\.qasm --shots 1000 --wait/, 'the banner gives the first job')
  t.equal(fs.statSync(d.tokenFile).mode & 0o777, 0o600, 'the token file is private')

  const run = await cli(d, ['submit', path.join(ROOT, 'examples/bell.qasm'), '--shots', '1000', '--wait', '--json', '--probabilities'])
  t.equal(run.code, 0, run.stderr)
  const out = JSON.parse(run.stdout)
  t.equal(out.state, 'SUCCEEDED')
  t.same(Object.keys(out.result.counts).sort(), ['00', '11'], 'only 00 and 11 occur')
  t.equal(out.result.counts['00'] + out.result.counts['11'], 1000)
  t.ok(chiSquare(out.result.counts, { '00': 0.5, '11': 0.5 }).pValue > 1e-4, 'counts fit 50/50')
  t.ok(Math.abs(out.result.probabilities.probabilities['00'] - 0.5) < 1e-12)
  t.ok(Math.abs(out.result.probabilities.probabilities['11'] - 0.5) < 1e-12)
  t.equal(out.result.probabilities.outcomes, 2)
  const rep = out.result.reproducibility
  t.equal(rep.seed, out.job.seed, 'the record carries the seed')
  t.equal(rep.cpus.length, 1, 'one CPU for a small job')
  t.same(rep.cpus, out.job.cpus, 'the runner read back the CPUs the job was given')
  t.ok(rep.agent_version && rep.simulator, 'agent and simulator versions recorded')
  t.ok(out.result.stats.wall_seconds > 0)
  // h and cx: one fused 2-qubit step, one pass over a state too small to
  // be cut into stages.
  t.match(out.result.stats, { gates: 2, fused_ops: 1, passes: 1, threads: 1, precision: 'double' }, 'the run\'s stats')

  const human = await cli(d, ['submit', path.join(ROOT, 'examples/bell.qasm'), '--shots', '100', '--wait'])
  t.equal(human.code, 0, human.stderr)
  t.match(human.stdout, /counts \(100 shots/)
  t.match(human.stdout, /stats: 2 gates applied as 1 fused step in 1 pass over the state,/)

  const status = await cli(d, ['status'])
  t.equal(status.code, 0)
  t.match(status.stdout, /State: serving/)
  t.match(status.stdout, /Jobs: 2 succeeded/)
  const sj = JSON.parse((await cli(d, ['status', '--json'])).stdout)
  t.equal(sj.pid, d.proc.pid)
  t.equal(sj.queue_depth, 0)

  const list = JSON.parse((await cli(d, ['jobs', '--json'])).stdout)
  t.equal(list.length, 2)
  t.equal(list[0].shots, 100, 'newest first')
  const one = JSON.parse((await cli(d, ['job', out.job_id, '--json'])).stdout)
  t.equal(one.state, 'SUCCEEDED')
  const res = JSON.parse((await cli(d, ['result', out.job_id, '--json'])).stdout)
  t.same(res.counts, out.result.counts)

  const missing = await cli(d, ['job', '00000000-0000-0000-0000-000000000000'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /was not found\. \(NOT_FOUND, Z3_NOT_FOUND\)/)
})

t.test('OpenQASM 3 examples and mid-circuit measurement run too', async (t) => {
  const d = await startDaemon()
  t.teardown(() => d.stop())
  const ghz = JSON.parse((await cli(d, ['submit', path.join(ROOT, 'examples/ghz3.qasm'), '--shots', '500', '--wait', '--json'])).stdout)
  t.same(Object.keys(ghz.result.counts).sort(), ['000', '111'])
  const tp = await cli(d, ['submit', path.join(ROOT, 'examples/teleport.qasm'), '--shots', '4000', '--wait', '--json', '--probabilities'])
  t.equal(tp.code, 0, tp.stderr)
  const r = JSON.parse(tp.stdout).result
  // Key groups: b, m1, m0. Teleportation moves ry(1.2)|0> to q[2] whatever m0 and m1 read.
  const p1 = Object.entries(r.probabilities.probabilities as Record<string, number>)
    .filter(([k]) => k.startsWith('1 '))
    .reduce((s, [, p]) => s + p, 0)
  t.ok(Math.abs(p1 - Math.sin(0.6) ** 2) < 1e-12, `b reads 1 with probability sin^2(0.6), got ${p1}`)
  const ones = Object.entries(r.counts as Record<string, number>)
    .filter(([k]) => k.startsWith('1 '))
    .reduce((s, [, n]) => s + n, 0)
  t.ok(chiSquare({ one: ones, zero: 4000 - ones }, { one: Math.sin(0.6) ** 2, zero: Math.cos(0.6) ** 2 }).pValue > 1e-4)

  // A circuit with no classical bits has one outcome, the empty key, which
  // the text form names rather than printing a blank.
  const bare = path.join(d.dir, 'bare.qasm')
  fs.writeFileSync(bare, 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0],q[1];\n')
  const text = await cli(d, ['submit', bare, '--shots', '10', '--wait', '--probabilities'])
  t.equal(text.code, 0, text.stderr)
  t.match(text.stdout, /counts \(10 shots, 1 outcome\):\n {4}\(no clbits\) {2} {6}10 {2}100\.00%/)
  t.match(text.stdout, /probabilities \(1 outcome, 1 most likely shown\):\n {4}\(no clbits\) {2}1\.00000000000/)
})

t.test('the CLI reports a missing daemon and bad input clearly', async (t) => {
  const nowhere = { socket: '/nonexistent/agent.sock', tokenFile: path.join(ROOT, 'package.json') }
  const r = await cli(nowhere, ['status'])
  t.equal(r.code, 1)
  t.match(r.stderr, /no agent socket at \/nonexistent\/agent\.sock/)
  const bad = await cli(nowhere, ['submit', 'x.qasm', '--shots', 'many'])
  t.not(bad.code, 0)
  t.match(bad.stderr, /--shots must be an integer/)
  // A socket file nothing listens on, as a killed daemon leaves it.
  const dir = tempDir()
  const stale = path.join(dir, 'agent.sock')
  await new Promise<void>((resolve) => {
    const srv = net.createServer().listen(stale, () => {
      // Closing a unix-socket server removes its file: keep a copy of the inode.
      fs.linkSync(stale, stale + '.left')
      srv.close(() => {
        fs.renameSync(stale + '.left', stale)
        resolve()
      })
    })
  })
  const notToken = await cli({ socket: stale, tokenFile: path.join(ROOT, 'package.json') }, ['status'])
  t.equal(notToken.stderr, `z3bra-agent: the token file ${path.join(ROOT, 'package.json')} does not hold a token: one line of printable characters without spaces\n`)
  const token = path.join(dir, 'some.token')
  fs.writeFileSync(token, 'z3t_0123456789abcdef\n')
  const gone = await cli({ socket: stale, tokenFile: token }, ['status'])
  t.equal(gone.code, 1)
  t.equal(gone.stderr, `z3bra-agent: no daemon is listening on the agent socket ${stale} (one that exited without removing it, or one still starting); start the daemon with \`npm start\`\n`)
  const emptyQasm = path.join(dir, 'empty.qasm')
  fs.writeFileSync(emptyQasm, '\n')
  const noCircuit = await cli({ socket: stale, tokenFile: token }, ['submit', emptyQasm])
  t.equal(noCircuit.code, 2)
  t.equal(noCircuit.stderr, `z3bra-agent: ${emptyQasm} is empty: there is no circuit to submit\n`)
  const empty = path.join(dir, 'empty.token')
  fs.writeFileSync(empty, '')
  const noToken = await cli({ socket: stale, tokenFile: empty }, ['status'])
  t.equal(noToken.stderr, `z3bra-agent: the token file ${empty} is empty (use --token-file or Z3BRA_TOKEN_FILE)\n`)
})

t.test("the README's first job, word for word, runs the checkout's own CLI through npx", async (t) => {
  const d = await startDaemon()
  t.teardown(() => d.stop())
  const built = fs.statSync(path.join(ROOT, 'build', 'Release', 'z3bra-sim')).mtimeMs
  // --no-install: npx must find the command in the checkout, never install
  // (and so rebuild) anything to run it.
  const run = spawnSync('npx', ['--no-install', 'z3bra-agent', 'submit', 'examples/bell.qasm', '--shots', '1000', '--wait'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, Z3BRA_SOCKET: d.socket, Z3BRA_TOKEN_FILE: d.tokenFile },
  })
  t.equal(run.status, 0, run.stderr)
  t.match(run.stdout, /SUCCEEDED on CPUs \d/)
  t.match(run.stdout, /counts \(1000 shots, 2 outcomes\)/)
  t.equal(fs.statSync(path.join(ROOT, 'build', 'Release', 'z3bra-sim')).mtimeMs, built, 'nothing was rebuilt')
})
