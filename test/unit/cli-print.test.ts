// SPDX-License-Identifier: Apache-2.0
// The CLI's text output shows control characters from the daemon as
// escapes, so a stored name cannot drive the operator's terminal.
import t from 'tap'
import { print } from '../../agent-cli/format'

t.test('control characters are escaped; newlines the layout puts there are kept', (t) => {
  const out: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((s: string) => {
    out.push(s)
    return true
  }) as typeof process.stdout.write
  try {
    print('job evil\u001b[31mRED\u001b[0m\tx\u0000\u007f\u009b2J\nnext line\n')
  } finally {
    process.stdout.write = write
  }
  t.equal(out.join(''), 'job evil\\u001b[31mRED\\u001b[0m\\u0009x\\u0000\\u007f\\u009b2J\nnext line\n')
  t.end()
})
