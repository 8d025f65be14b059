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
}
