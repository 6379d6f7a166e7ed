// SPDX-License-Identifier: Apache-2.0
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError, loadConfig } from '../../daemon/config'

t.test('embedded defaults put everything under ./.z3bra', async (t) => {
  const c = loadConfig({}, '/srv/x')
  t.equal(c.stateDir, '/srv/x/.z3bra')
  t.equal(c.socket, '/srv/x/.z3bra/agent.sock')
  t.equal(c.adminTokenFile, '/srv/x/.z3bra/admin.token')
  t.equal(c.dbFile, '/srv/x/.z3bra/agent.db')
  t.equal(c.memoryLimitFraction, 0.8)
  t.ok(Object.isFrozen(c))
})

t.test('--state-dir alone moves the socket and token with it', async (t) => {
  const c = loadConfig({ stateDir: '/var/lib/z3bra' })
  t.equal(c.socket, '/var/lib/z3bra/agent.sock')
  t.equal(c.adminTokenFile, '/var/lib/z3bra/admin.token')
})

t.test('flags override the file, and every problem is reported at once', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'z3cfg-'))
  const f = path.join(dir, 'c.json')
  fs.writeFileSync(f, JSON.stringify({ logLevel: 'debug', shutdownGraceMs: 5 }))
  t.equal(loadConfig({ config: f, logLevel: 'warn' }).logLevel, 'warn')
  t.equal(loadConfig({ config: f }).shutdownGraceMs, 5)
  fs.writeFileSync(f, JSON.stringify({ logLevel: 'loud', shutdownGraceMs: -1, bogus: 1 }))
  const err = t.throws(() => loadConfig({ config: f })) as ConfigError
  t.ok(err instanceof ConfigError)
  t.equal(err.issues.length, 3, err.message)
  t.match(err.message, /logLevel/)
  t.match(err.message, /shutdownGraceMs/)
  t.match(err.message, /bogus/)
  fs.writeFileSync(f, '{not json')
  t.throws(() => loadConfig({ config: f }), /is not valid JSON/)
})
