/** An error as a rate-limited log line carries it: the error for the logger's serializer, its message for the text. */
export interface LoggedFailure {
  readonly err: unknown;
  readonly message: string;
}

export function loggedFailure(err: unknown): LoggedFailure {
  return { err, message: err instanceof Error ? err.message : String(err) };
}
