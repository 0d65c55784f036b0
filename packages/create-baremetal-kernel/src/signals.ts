/**
 * Noticing SIGINT and SIGTERM while a command writes files. Without a handler, Node dies of either
 * at once, wherever it is: half a project written. With one, the handler runs on the event loop,
 * so after synchronous work ends, which is when the command asks whether one came.
 */
export interface SignalWatch {
  /** Lets pending signals in (one turn of the event loop), then names the first that came. */
  received(): Promise<string | undefined>;
  /** Stops noticing: the default (dying of the signal) applies again. */
  stop(): void;
}

const WATCHED = ['SIGINT', 'SIGTERM'] as const;

export function watchProcessSignals(): SignalWatch {
  let first: string | undefined;
  const handler = (signal: NodeJS.Signals) => {
    first ??= signal;
  };
  for (const signal of WATCHED) process.on(signal, handler);
  return {
    received: () => new Promise((resolve) => setImmediate(() => resolve(first))),
    stop: () => {
      for (const signal of WATCHED) process.off(signal, handler);
    },
  };
}
