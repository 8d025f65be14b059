import type { Transport } from '../../transport/index.ts';
import { LinuxTransport } from '../../transport/index.ts';

/** What the client runtime needs of a transport: the contract, plus the interface's MAC and link state. */
export interface ClientTransport extends Transport {
  /** Frames refused before decoding (bad checksums, truncation...), by reason (the linux transport's). */
  readonly drops?: ReadonlyMap<string, number>;
  interfaceInfo?(
    name: string,
  ): { readonly mac: string; readonly up: boolean; readonly carrier: boolean } | undefined;
}

export interface OpenClientTransportOptions {
  readonly interface: string;
  readonly port: number;
  readonly netns?: string;
}

export type OpenClientTransport = (o: OpenClientTransportOptions) => Promise<ClientTransport>;

/** Per-interface UDP + AF_PACKET sockets: sends from 0.0.0.0, receives before the interface has an address. */
export const openLinuxClientTransport: OpenClientTransport = (o) =>
  LinuxTransport.open({
    interfaces: [o.interface],
    port: o.port,
    ...(o.netns === undefined ? {} : { netns: o.netns }),
  });
