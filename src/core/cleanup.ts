// Synchronous clean-up actions that must run however the process ends (normal exit,
// process.exit from a signal handler): removing lock files and temp directories.
const actions = new Set<() => void>();
let installed = false;

export function onExit(action: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', runCleanups);
  }
  actions.add(action);
  return () => actions.delete(action);
}

export function runCleanups(): void {
  for (const action of [...actions]) {
    actions.delete(action);
    try {
      action();
    } catch {
      // best effort: the process is ending
    }
  }
}
