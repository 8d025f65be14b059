/** Base of every control-channel error; `code` is stable and meant for programs. */
export class ControlError extends Error {
  override name = 'ControlError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * A command's arguments were missing or malformed. Handlers throw it with Kea's wording; the registry turns
 * it into result 1 without logging it as a fault.
 */
export class CommandArgumentError extends ControlError {
  override name = 'CommandArgumentError';
  constructor(message: string) {
    super('ERR_CONTROL_ARGUMENT', message);
  }
}

/** The control-socket settings in the configuration or on the command line are not usable. */
export class ControlConfigError extends ControlError {
  override name = 'ControlConfigError';
  constructor(message: string) {
    super('ERR_CONTROL_CONFIG', message);
  }
}

/** A listener could not be opened (socket path in use, port taken, bad certificate). */
export class ControlListenError extends ControlError {
  override name = 'ControlListenError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONTROL_LISTEN', message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The client side (`leasekeeper ctl`) could not get an answer. */
export class ControlClientError extends ControlError {
  override name = 'ControlClientError';
  constructor(message: string) {
    super('ERR_CONTROL_CLIENT', message);
  }
}

/**
 * Thrown by a ControlTarget when a lease or reservation to add already exists, so the handler can answer
 * with Kea's text for that case.
 */
export class ControlConflictError extends ControlError {
  override name = 'ControlConflictError';
  constructor(message: string) {
    super('ERR_CONTROL_CONFLICT', message);
  }
}
