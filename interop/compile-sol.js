#!/usr/bin/env node
// Compiles Solidity files with the pinned solc-js (package.json) and prints, as JSON,
// { "Contract": { "abi": [...], "bin": "hex", "runtime": "hex" }, ... } for every contract.
// Usage: node compile-sol.js FILE.sol... (optimizer on, 200 runs; errors exit 1).
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node compile-sol.js FILE.sol...");
  process.exit(2);
}
const sources = {};
for (const f of files) sources[path.basename(f)] = { content: fs.readFileSync(f, "utf8") };
const input = {
  language: "Solidity",
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);
const result = { solc: solc.version() };
for (const file of Object.keys(output.contracts || {})) {
  for (const [name, c] of Object.entries(output.contracts[file])) {
    result[name] = { abi: c.abi, bin: c.evm.bytecode.object, runtime: c.evm.deployedBytecode.object };
  }
}
process.stdout.write(JSON.stringify(result));
