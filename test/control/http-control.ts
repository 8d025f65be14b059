/**
 * The HTTP control listener as an operator's tools use it: a listener behind basic authentication,
 * commands POSTed as JSON, and /metrics read with a real Prometheus text-format parser.
 */
import assert from 'node:assert/strict';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { VirtualLab } from '../runtime/helpers.ts';

export interface MetricSample {
  readonly value: string;
  readonly labels?: Record<string, string>;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: string;
  readonly metrics: readonly MetricSample[];
}

export const parseMetrics = parsePrometheusTextFormat as (text: string) => MetricFamily[];

/** The family `name`, failing the test when /metrics has none. */
export function metricFamily(families: readonly MetricFamily[], name: string): MetricFamily {
  const f = families.find((x) => x.name === name);
  assert.ok(f, `no family ${name}`);
  return f;
}

/** Every sample of the family `name` as [labels, value]; none when the family is absent. */
export function metricSamples(
  families: readonly MetricFamily[],
  name: string,
): [Record<string, string> | undefined, string][] {
  return (families.find((f) => f.name === name)?.metrics ?? []).map((m) => [m.labels, m.value]);
}

export interface BasicCredentials {
  readonly user: string;
  readonly password: string;
}

export const OPERATOR: BasicCredentials = { user: 'ops', password: 's3cret' };

/** Configuration: one HTTP control socket on 127.0.0.1, a free port, basic authentication for `who`. */
export function httpControlSocket(who: BasicCredentials = OPERATOR): Record<string, unknown> {
  return {
    'control-sockets': [
      {
        'socket-type': 'http',
        'socket-address': '127.0.0.1',
        'socket-port': 0,
        authentication: { type: 'basic', realm: 'lk', clients: [{ user: who.user, password: who.password }] },
      },
    ],
  };
}

export function basicAuthorization(who: BasicCredentials = OPERATOR): { Authorization: string } {
  return { Authorization: `Basic ${Buffer.from(`${who.user}:${who.password}`).toString('base64')}` };
}

export interface HttpControlClient {
  /** The listener's base URL (ends in `/`). */
  readonly url: string;
  /** POSTs `name` for dhcp4 and resolves the answer's `arguments`. */
  command(name: string, args?: unknown): Promise<Record<string, unknown>>;
  /** GET /metrics, parsed. */
  metrics(): Promise<MetricFamily[]>;
}

/** A client of the lab server's first HTTP control listener, sending `who`'s credentials. */
export function httpControlClient(lab: VirtualLab, who: BasicCredentials = OPERATOR): HttpControlClient {
  const http = lab.server.control?.http[0];
  assert.ok(http, 'the lab runs an HTTP control listener');
  const auth = basicAuthorization(who);
  return {
    url: http.url,
    command: async (name, args) => {
      const res = await fetch(http.url, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ command: name, service: ['dhcp4'], ...(args ? { arguments: args } : {}) }),
      });
      const [answer] = (await res.json()) as { arguments: Record<string, unknown> }[];
      return answer!.arguments;
    },
    metrics: async () => parseMetrics(await (await fetch(`${http.url}metrics`, { headers: auth })).text()),
  };
}
