// The z3bra_native addon through daemon/native.ts, against real processes,
// /proc and a real datagram socket.
import { ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t, { Test } from 'tap'

import { buildInfo, getAffinity, lockFile, notify, packageRoot, runnerPath, setAffinity } from '../../daemon/native'

const ADDON = path.join(packageRoot(), 'build', 'Release', 'z3bra_native.node')

function cpusAllowed(pid: number): string | undefined {
  return /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.on('exit', () => resolve())
  })
}

// Resolves with the first line the child prints on stdout.
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (d) => {
      buf += d
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve(buf.slice(0, nl))
    })
    child.on('exit', (code) => reject(new Error(`child exited ${code} before printing: ${buf}`)))
  })
}

t.test('setAffinity pins a child process and getAffinity and /proc read it back', async (t) => {
  const child = spawn('sleep', ['30'])
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  const pid = child.pid!
  setAffinity(pid, [0])
  t.equal(cpusAllowed(pid), '0')
  t.strictSame(getAffinity(pid), [0])
  const all = getAffinity(0)
  t.ok(all.length >= 1, 'this process has at least one CPU')
  if (all.length >= 2) {
    setAffinity(pid, [all[0], all[1]])
    t.strictSame(getAffinity(pid), [all[0], all[1]])
    t.equal(cpusAllowed(pid), all[1] === all[0] + 1 ? `${all[0]}-${all[1]}` : `${all[0]},${all[1]}`)
  }
})

t.test('setAffinity errors carry the errno name and name the pid and CPUs', (t) => {
  // pid_max is at most 2^22, so this pid cannot exist.
  t.throws(() => setAffinity(2 ** 22 + 5, [0]), { code: 'ESRCH', syscall: 'sched_setaffinity', message: /pid 4194309 to CPUs 0/ })
  const child = spawn('sleep', ['30'])
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  // A mask of only CPUs that do not exist is refused by the kernel.
  t.throws(() => setAffinity(child.pid!, [4000]), { code: 'EINVAL', message: /CPUs 4000/ })
  t.throws(() => getAffinity(2 ** 22 + 5), { code: 'ESRCH' })
  t.throws(() => setAffinity(child.pid!, []), TypeError)
  t.throws(() => setAffinity(-1, [0]), TypeError)
  t.end()
})

t.test('lockFile: a second process gets ELOCKED until the holder is killed', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'z3bra-lock-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'agent.lock')
  const holder = spawn(
    process.execPath,
    ['-e', `const n = require(${JSON.stringify(ADDON)}); const fd = n.lockFile(${JSON.stringify(file)}); console.log(fd); setInterval(() => {}, 1000)`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  t.teardown(() => {
    holder.kill('SIGKILL')
  })
  t.match(await firstLine(holder), /^\d+$/, 'the holder got an fd')
  t.equal((fs.statSync(file).mode & 0o777).toString(8), '600', 'created with mode 0600')
  t.throws(() => lockFile(file), { code: 'ELOCKED', message: `${file} is locked by another process` })
  holder.kill('SIGKILL')
  await exited(holder)
  const fd = lockFile(file)
  t.ok(Number.isInteger(fd) && fd > 2, 'the lock is free once its holder is dead')
  // The fd is the caller's to write the pid into.
  fs.ftruncateSync(fd, 0)
  fs.writeSync(fd, `${process.pid}\n`, 0)
  t.equal(fs.readFileSync(file, 'utf8'), `${process.pid}\n`)
  t.throws(() => lockFile(file), { code: 'ELOCKED' }, 'a second lock in the same process is refused too')
  fs.closeSync(fd)
  t.throws(() => lockFile(path.join(dir, 'missing', 'x.lock')), { code: 'ENOENT', syscall: 'open' })
})

// A python3 listener on a datagram socket that prints one received message.
async function listen(t: Test, address: string): Promise<ChildProcess> {
  const script = [
    'import socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
    'a = sys.argv[1]',
    "s.bind('\\0' + a[1:] if a.startswith('@') else a)",
    "print('ready', flush=True)",
    "sys.stdout.write(s.recv(4096).decode() + '\\n')",
  ].join('\n')
  const child = spawn('python3', ['-c', script, address], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  t.equal(await firstLine(child), 'ready')
  return child
}

function received(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let buf = ''
    child.stdout!.on('data', (d) => (buf += d))
    child.on('exit', () => resolve(buf))
  })
}

t.test('notify without NOTIFY_SOCKET returns false', (t) => {
  const saved = process.env.NOTIFY_SOCKET
  delete process.env.NOTIFY_SOCKET
  t.teardown(() => {
    if (saved !== undefined) process.env.NOTIFY_SOCKET = saved
  })
  t.equal(notify('READY=1'), false)
  t.end()
})

t.test('notify delivers one datagram to a path and to an abstract socket', async (t) => {
  const saved = process.env.NOTIFY_SOCKET
  t.teardown(() => {
    if (saved === undefined) delete process.env.NOTIFY_SOCKET
    else process.env.NOTIFY_SOCKET = saved
  })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'z3bra-notify-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  for (const address of [path.join(dir, 'notify.sock'), `@z3bra-test-${process.pid}`]) {
    const listener = await listen(t, address)
    const got = received(listener)
    process.env.NOTIFY_SOCKET = address
    t.equal(notify('READY=1\nSTATUS=serving'), true, `sent to ${address}`)
    // The listener's 'ready' line was consumed above; what follows is the datagram.
    t.equal((await got).trim(), 'READY=1\nSTATUS=serving', `received at ${address}`)
  }
  process.env.NOTIFY_SOCKET = path.join(dir, 'nobody-listens.sock')
  t.throws(() => notify('READY=1'), { code: 'ENOENT', syscall: 'sendto' })
  process.env.NOTIFY_SOCKET = 'vsock:2:1234'
  t.throws(() => notify('READY=1'), { code: 'EAFNOSUPPORT' })
})

t.test('buildInfo and runnerPath describe the native build', (t) => {
  const info = buildInfo()
  t.match(info.compiler, /^(g\+\+|clang) \d/)
  t.match(info.flags, /-O3/)
  t.match(info.simd, /^(avx2\+fma|sse2|generic|neon)$/)
  const runner = runnerPath()
  t.equal(path.basename(runner), 'z3bra-sim')
  t.ok(path.isAbsolute(runner))
  fs.accessSync(runner, fs.constants.X_OK)
  t.end()
})
