#!/usr/bin/env node
// The `distill` command of the npm package: finds the native binary in this machine's platform
// package (or $DISTILL_BINARY) and runs it with the same arguments and the terminal, then exits
// as it did: same exit code, or the same signal. Without a binary it says why and exits 2.

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { BinaryNotFoundError, binaryPath } from '../index.js';

let binary;
try {
  binary = binaryPath();
} catch (error) {
  if (!(error instanceof BinaryNotFoundError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

// A signal sent to the launcher goes to distill too (on Ctrl-C the terminal has already sent it
// to both; distill only raises a flag, so receiving it twice is harmless). While a handler is
// installed Node does not die of the signal, so distill can finish cleaning up first. The
// handlers go in before distill starts: a signal that came between the spawn and them would
// have killed the launcher and left distill running without it (seen on a loaded CI machine);
// one that comes before the spawn is passed on as soon as distill exists.
const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
let child = null;
let pending = null;
const forward = (signal) => {
  if (child === null) pending = signal;
  else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of forwarded) {
  if (process.platform !== 'win32' || signal === 'SIGINT') process.on(signal, forward);
}

child = spawn(binary, process.argv.slice(2), { stdio: 'inherit', windowsHide: false });
if (pending !== null) forward(pending);

child.on('error', (error) => {
  process.stderr.write(`distill-cli: could not run ${binary}: ${error.message}\n`);
  process.exit(2);
});

child.on('exit', (code, signal) => {
  for (const s of forwarded) process.removeListener(s, forward);
  if (signal) {
    // Die of the same signal, so a shell or a parent sees what distill saw.
    process.kill(process.pid, signal);
    // If that signal does not end Node (it ignores a few), exit as a shell reports it.
    setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 200);
    return;
  }
  process.exit(code ?? 1);
});
