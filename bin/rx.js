#!/usr/bin/env node
// The rx command. Loaded dynamically so that a failure to load rx itself (too many open
// files while Node reads its modules) is reported as the system error it is (exit 8).
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (err) {
  if (err && (err.code === 'EMFILE' || err.code === 'ENFILE')) {
    process.stderr.write(`error: too many open files while starting rx (${err.path ?? err.message})\nhint: raise the limit (ulimit -n 4096) and run the command again\n`);
    process.exit(8);
  }
  throw err;
}
process.exitCode = await main(process.argv);
