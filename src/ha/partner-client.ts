import { sendHttp } from '../control/index.ts';
import type { HaPeerConfig } from '../config/index.ts';
import { isJsonObject, type JsonObject } from '../control/index.ts';
import { escapeControls } from '../server/index.ts';
import { HaError } from './errors.ts';

/** One answer of a peer: Kea's `{result, text, arguments}`. */
export interface PeerAnswer {
  readonly result: number;
  readonly text: string;
  readonly arguments: unknown;
}

/** Sends one command to a peer; rejects on transport errors and malformed answers, never on `result`. */
export type PeerSender = (
  peer: HaPeerConfig,
  command: string,
  args: JsonObject | undefined,
) => Promise<PeerAnswer>;

/** Kea's HA client gives a peer 10 s to answer (TIMEOUT_DEFAULT_HTTP_CLIENT_REQUEST). */
export const PEER_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Commands go to the peer's URL in the Control Agent's envelope (`service: ["dhcp4"]`), which Kea's agent
 * forwards and leasekeeper's HTTP listener answers itself; the answer is a list of one.
 */
export function httpPeerSender(timeoutMs = PEER_REQUEST_TIMEOUT_MS): PeerSender {
  return async (peer, command, args) => {
    const raw = await sendHttp(
      peer.url,
      { command, service: ['dhcp4'], ...(args === undefined ? {} : { arguments: args }) },
      {
        timeoutMs,
        ...(peer.trustAnchor === undefined ? {} : { ca: peer.trustAnchor }),
        ...(peer.certFile === undefined ? {} : { cert: peer.certFile }),
        ...(peer.keyFile === undefined ? {} : { key: peer.keyFile }),
        ...(peer.basicAuthUser === undefined
          ? {}
          : { user: peer.basicAuthUser, password: peer.basicAuthPassword ?? '' }),
      },
    );
    return parsePeerAnswer(raw);
  };
}

export function parsePeerAnswer(raw: unknown): PeerAnswer {
  const first = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  if (!isJsonObject(first))
    throw new HaError('ERR_HA_PEER_ANSWER', 'the peer answered something that is not a command answer');
  const result = first['result'];
  if (typeof result !== 'number')
    throw new HaError('ERR_HA_PEER_ANSWER', "the peer's answer has no numeric 'result'");
  const text = first['text'];
  return { result, text: typeof text === 'string' ? quoted(text) : '', arguments: first['arguments'] };
}

/** A peer's text as it goes into logs and answers: bounded, control characters escaped. */
function quoted(text: string): string {
  return escapeControls(text.length > 300 ? `${text.slice(0, 300)}...` : text);
}

/** An error's message, for logs and answers. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
