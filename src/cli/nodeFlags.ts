/**
 * V8 flags every Ghostmesh node process runs with. bin/ghostmesh.js carries the same flags in
 * its `#!/usr/bin/env -S node ...` line (a test keeps the two equal), and processes this CLI
 * spawns (`ghostmesh devnet`'s validators) get them here.
 *
 * `--max-semi-space-size=32`: V8 sizes the young generation from the machine's memory, 64 MiB
 * per semi-space on a 24 GiB host. A node serving or applying block ranges allocates megabytes
 * of short-lived objects per range; with 32 MiB the serving validator spent 1.05 s instead of
 * 1.6 s in garbage collection over a 10,000-block catch-up, and the catch-up was faster in 5
 * of 6 alternating `bench:restart` pairs (decision 0504, "Session 13").
 */
export const NODE_PROCESS_FLAGS: readonly string[] = ["--max-semi-space-size=32"];
