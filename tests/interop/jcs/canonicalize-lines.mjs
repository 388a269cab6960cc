// Cross-check for tests/Merkle.Tests/JcsTests.cs: reads JSON texts, one a line, from the file named by the first
// argument and writes their RFC 8785 canonical forms, one a line, to the file named by the second, using the npm
// package "canonicalize" (listed as an RFC 8785 implementation in its Appendix G).
import { readFileSync, writeFileSync } from 'node:fs';
import canonicalize from 'canonicalize';

const [input, output] = process.argv.slice(2);
const lines = readFileSync(input, 'utf8').split('\n').filter((line) => line.length > 0);
writeFileSync(output, lines.map((line) => canonicalize(JSON.parse(line)) + '\n').join(''), 'utf8');
