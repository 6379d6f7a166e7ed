// SPDX-License-Identifier: Apache-2.0
// Host-level state that must survive a restart: drain and cordons, and the
// record of who changed them, when and why.
import type { Db } from './db'

export class HostStore {
  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {}

  get<T>(key: string): T | undefined {
    const r = this.db.prepare('SELECT value FROM host_state WHERE key = ?').get(key) as { value: string } | undefined
    return r ? (JSON.parse(r.value) as T) : undefined
  }

  set(key: string, value: unknown): void {
    if (value === null || value === undefined) this.db.prepare('DELETE FROM host_state WHERE key = ?').run(key)
    else this.db.prepare('INSERT INTO host_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value))
  }

  event(actor: string, action: string, detail: string): void {
    this.db.prepare('INSERT INTO host_events (time, actor, action, detail) VALUES (?, ?, ?, ?)').run(this.now(), actor, action, detail)
  }

  events(limit: number): { seq: number; time: number; actor: string; action: string; detail: string }[] {
    return this.db.prepare('SELECT * FROM host_events ORDER BY seq DESC LIMIT ?').all(limit) as {
      seq: number
      time: number
      actor: string
      action: string
      detail: string
    }[]
  }
}
