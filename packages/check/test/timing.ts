/**
 * How long `run` kept this process busy, in milliseconds of CPU time (user and system, all its
 * threads): what the time bounds ("answers in well under a second") hold our code to. Unlike
 * wall time, other processes on the machine (a build, the other test files of a CI run on the
 * same 2 cores) do not add to it.
 */
export function cpuTimed<T>(run: () => T): { result: T; ms: number } {
  const start = process.cpuUsage();
  const result = run();
  const used = process.cpuUsage(start);
  return { result, ms: (used.user + used.system) / 1000 };
}
