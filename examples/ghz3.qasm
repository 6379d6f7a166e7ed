// A three-qubit GHZ state in OpenQASM 3: 000 or 111, each half the time.
OPENQASM 3.0;
include "stdgates.inc";

qubit[3] q;
bit[3] c;

h q[0];
cx q[0], q[1];
cx q[1], q[2];
c = measure q;
