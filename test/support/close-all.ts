/** Anything a test starts and must end: a browser, a Mailroom, a mail server, a worker. */
export type Closable = { close(): Promise<unknown> } | { stop(): Promise<unknown> } | undefined;

/**
 * Ends what a test file started, in the order given, each one whatever happened to those before
 * it: a server left running would outlive the test run and hold its port. Parts never started
 * (before() failed first) are undefined and skipped. The first failure is thrown at the end.
 */
export async function closeAll(...parts: Closable[]): Promise<void> {
  let failure: { error: unknown } | undefined;
  for (const part of parts) {
    if (part === undefined) continue;
    try {
      await ('close' in part ? part.close() : part.stop());
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}
