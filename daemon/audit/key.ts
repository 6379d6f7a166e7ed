// SPDX-License-Identifier: Apache-2.0
// The host's Ed25519 audit key: made on first start in the state dir, mode
// 0600, and never rewritten, so every head it signed stays verifiable.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import fs from 'node:fs'

export interface AuditKey {
  privateKey: KeyObject
  publicKey: KeyObject
}

export function loadAuditKey(file: string): AuditKey {
  if (!fs.existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519')
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    try {
      // wx: a key another process just wrote wins; we read it below.
      fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  fs.chmodSync(file, 0o600)
  const privateKey = createPrivateKey(fs.readFileSync(file))
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the audit key ${file} is not an Ed25519 private key; move it away to have a new one made`)
  }
  return { privateKey, publicKey: createPublicKey(privateKey) }
}
