/**
 * Preloaded (`node --require`) into a Node tool the benchmark runs as a child
 * process (migra, drizzle-kit): at exit, writes the process's peak RSS and the
 * time since this file loaded (the tool's own work and module loading, without
 * Node's start-up) to the file named by BENCH_EXIT_REPORT. See bench/run-tool.ts.
 */
'use strict';
const { writeFileSync } = require('node:fs');

const started = performance.now();
const file = process.env.BENCH_EXIT_REPORT;
if (file) {
  process.on('exit', () => {
    writeFileSync(file, JSON.stringify({ ms: performance.now() - started, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  });
}
