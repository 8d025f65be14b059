/** What `status-get` and the dashboard show about the lease store. */
export interface LeaseStoreHealth {
  readonly state: 'ok' | 'failing';
  /** ISO time of the first failure of the outage going on now (state `failing`). */
  readonly failingSince?: string;
  /** Writes failed since `failingSince`. */
  readonly failedWrites?: number;
  /** The last failure's message (the store's words: a path, an errno name, never a client's string). */
  readonly lastError?: string;
  /** The last outage that ended: when it began and ended, and how many writes failed meanwhile. */
  readonly lastOutage?: { readonly from: string; readonly to: string; readonly failedWrites: number };
  /**
   * PostgreSQL's LISTEN connection (the other servers' lease changes), once it failed: whether it is back, how
   * many times it failed since start, and the last failure.
   */
  readonly listen?: {
    readonly state: 'ok' | 'reconnecting';
    readonly failures: number;
    readonly lastError: string;
    readonly lastErrorAt: string;
  };
  /**
   * The store's warnings since start (`LeaseStoreWarning`: conditions that failed no write), once there was one:
   * how many events, the last warning's words and when it came.
   */
  readonly warnings?: { readonly count: number; readonly last: string; readonly lastAt: string };
}

/**
 * A condition of the store an operator should know of that failed no write: the SQLite worker writer's
 * checkpoint thread stalled or failing, the writer checkpointing the WAL itself. Reported at most once per
 * interval (5 s) per store, `count` saying how many events the report stands for.
 */
export interface LeaseStoreWarning {
  /** The store's words: the database path, SQLite's error message, never a client's string. */
  readonly message: string;
  /** Events since the previous warning (at least 1). */
  readonly count: number;
}
