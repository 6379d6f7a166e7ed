// SPDX-License-Identifier: Apache-2.0
import pino from 'pino'

export type Logger = pino.Logger

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: 'z3bra-agentd',
      level,
      base: { pid: process.pid },
      // Tokens never reach the log, whatever a caller puts in an object.
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  )
}
