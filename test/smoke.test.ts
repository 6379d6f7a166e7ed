import t from 'tap'
const x: number = 1 + 1
t.equal(x, 2, 'adds')
