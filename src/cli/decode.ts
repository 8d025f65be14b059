import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from './command.ts';
import { decodeMessage, DhcpDecodeError, fromHex, messageToJSON } from '../protocol/index.ts';
import { PcapError, readPcap } from '../transport/index.ts';
import { parseConfigText } from '../config/text.ts';
import { describeOptions } from '../config/describe-options.ts';
import type { OptionDefs } from '../config/option-defs.ts';
import type { DhcpMessage } from '../protocol/index.ts';

/** messageToJSON, with the configuration's option names when one was given. */
function packetJSON(msg: DhcpMessage, defs: OptionDefs | undefined): Record<string, unknown> {
  const json = messageToJSON(msg);
  if (defs !== undefined) describeOptions(json.options as Record<string, unknown>, msg, defs);
  return json;
}

const HELP = `Usage: leasekeeper decode [HEX...] | --pcap FILE [--config FILE] [--compact]

Prints DHCPv4 packets as JSON: header fields, chaddr as a MAC address, options by their Kea names.

  HEX              the packet (BOOTP header onwards) as hex; spaces, colons, newlines and # comments are
                   ignored. Without HEX and without --pcap, the hex is read from stdin.
  --pcap FILE      every DHCP packet (UDP port 67 or 68) of a classic pcap file: Ethernet, Linux cooked
                   (SLL) or raw IPv4 captures, as tcpdump -w writes them. Other frames are skipped;
                   broken ones are reported with their frame number.
  --config FILE    a Kea Dhcp4 configuration: its option-def names and spaces show custom options,
                   option 43's sub-options and option 125's vendor blocks by name
  --compact        one line of JSON per packet

Exits 0 when every packet decoded, 1 when one did not, 2 on bad usage.

Examples:
  leasekeeper decode 0101060039...
  tcpdump -i eth0 -w dhcp.pcap port 67 or port 68; leasekeeper decode --pcap dhcp.pcap`;

/** Removes '#' comments to the end of each line, then parses what is left as hex. */
export function parseHexDump(text: string): Uint8Array | undefined {
  const stripped = text
    .split('\n')
    .map((line) => {
      const hash = line.indexOf('#');
      return hash >= 0 ? line.slice(0, hash) : line;
    })
    .join('\n')
    .replace(/\b0x/gi, '');
  return fromHex(stripped);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function errorJSON(err: unknown): Record<string, unknown> {
  if (err instanceof DhcpDecodeError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.offset === undefined ? {} : { offset: err.offset }),
    };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

async function decodePcap(
  path: string,
  print: (v: unknown) => void,
  defs: OptionDefs | undefined,
): Promise<number> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (err) {
    console.error(`leasekeeper decode: cannot read ${path}: ${(err as Error).message}`);
    return 1;
  }
  let dhcp = 0;
  let broken = 0;
  let skipped = 0;
  try {
    for (const f of readPcap(file)) {
      if (f.kind === 'skipped') {
        skipped++;
        continue;
      }
      if (f.kind === 'broken') {
        broken++;
        print({ frame: f.frame, error: { code: 'ERR_BAD_FRAME', message: f.reason } });
        continue;
      }
      const where = {
        frame: f.frame,
        time: new Date(f.timeUs / 1000).toISOString(),
        source: `${f.srcIp}:${f.srcPort}`,
        destination: `${f.dstIp}:${f.dstPort}`,
      };
      try {
        print({ ...where, ...packetJSON(decodeMessage(f.payload), defs) });
        dhcp++;
      } catch (err) {
        broken++;
        print({ ...where, error: errorJSON(err) });
      }
    }
  } catch (err) {
    if (err instanceof PcapError) {
      console.error(`leasekeeper decode: ${path}: ${err.message}`);
      return 1;
    }
    throw err;
  }
  console.error(`${dhcp} DHCP packet(s) decoded, ${broken} broken, ${skipped} other frame(s) skipped`);
  return broken === 0 ? 0 : 1;
}

export const decodeCommand: CliCommand = {
  name: 'decode',
  help: HELP,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...argv],
        options: {
          pcap: { type: 'string' },
          config: { type: 'string' },
          compact: { type: 'boolean', default: false },
        },
        allowPositionals: true,
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    const print = (v: unknown): void =>
      console.log(values.compact ? JSON.stringify(v) : JSON.stringify(v, null, 2));
    let defs: OptionDefs | undefined;
    if (values.config !== undefined) {
      let text: string;
      try {
        text = await readFile(values.config, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read ${values.config}: ${(err as Error).message}`);
      }
      const r = parseConfigText(text);
      if (!r.ok) throw new UsageError(`${values.config}: ${r.error.message}`);
      defs = r.config.optionDefs;
    }
    if (values.pcap !== undefined) {
      if (positionals.length > 0) throw new UsageError('give either HEX or --pcap FILE, not both');
      return decodePcap(values.pcap, print, defs);
    }
    const text = positionals.length > 0 ? positionals.join(' ') : await readStdin();
    const bytes = parseHexDump(text);
    if (bytes === undefined)
      throw new UsageError('the input is not hex (an odd digit count or a stray character)');
    if (bytes.length === 0) throw new UsageError('no packet given');
    try {
      print(packetJSON(decodeMessage(bytes), defs));
      return 0;
    } catch (err) {
      if (!(err instanceof DhcpDecodeError)) throw err;
      console.error(`leasekeeper decode: ${err.code}: ${err.message}`);
      return 1;
    }
  },
};
