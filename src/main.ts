import { runCli } from './cli/index.js';

// The process entry: everything else is in cli/ (the commands) and server/ (what `serve` runs).
await runCli(process.argv);
