// SIGINT, SIGTERM and SIGHUP while rx runs stage commands. Work that must end cleanly (a
// running stage: forward the signal to its process group, wait, restore the previous
// outputs, release the lock) registers a handler; while one is registered the CLI does not
// exit at the signal but lets that work finish and then exits 128 + the signal's number.
// With no handler registered, or none that takes it, the CLI exits at once (every write is
// atomic, and a killed rx is undone by the next). A second signal asks the handlers to stop
// harder.
/** Returns whether it takes care of ending the work (else, if no handler does, the CLI exits now). */
export type InterruptHandler = (signal: NodeJS.Signals, again: boolean) => boolean;

const handlers = new Set<InterruptHandler>();
let received: NodeJS.Signals | undefined;

export const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export function onInterrupt(handler: InterruptHandler): () => void {
  handlers.add(handler);
  if (received !== undefined) handler(received, false);
  return () => handlers.delete(handler);
}

/** The first signal received, if any: work checks it before starting anything new. */
export function interruption(): NodeJS.Signals | undefined {
  return received;
}

/** Called by the CLI's signal handler: true when registered work will end the process itself. */
export function deliverInterrupt(signal: NodeJS.Signals): boolean {
  const again = received !== undefined;
  received ??= signal;
  let handled = false;
  for (const h of [...handlers]) if (h(signal, again)) handled = true;
  return handled;
}
