#!/usr/bin/env -S node --max-semi-space-size=32
// Plain JavaScript on purpose: this file must run, and explain itself, on any Node version.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `ghostmesh needs Node.js 24 or newer (found ${process.versions.node}).\n` +
      "Run it through npm (npx ghostmesh / npm start), which uses the Node 24 the project installs, " +
      "or install Node 24.\n",
  );
  process.exit(1);
}
// Cache compiled modules between runs: the CLI starts in about half the time.
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();
const { runCli, processIo } = await import("../src/cli/main.ts");
process.exitCode = await runCli(process.argv.slice(2), processIo);
