import { createConnection } from 'node:net';
import { parseCommandLine, stringOptions, UsageError } from './command.ts';
import { sendUnix } from '../control/index.ts';
import { ControlClientError } from '../control/index.ts';

const VERBS = ['status', 'renew', 'release', 'inform', 'statistics', 'events'] as const;

/** `leasekeeper client ctl VERB [--socket PATH] [--count N] [--timeout MS] [--address IP] [--server IP]`. */
export async function runClientCtl(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine({
    args: [...argv],
    allowPositionals: true,
    options: stringOptions('socket', 'count', 'timeout', 'address', 'server'),
  });
  const verb = positionals[0];
  if (positionals.length !== 1 || !VERBS.includes(verb as (typeof VERBS)[number])) {
    throw new UsageError(`client ctl needs one of ${VERBS.join(', ')}`);
  }
  const socket = values.socket ?? process.env['LEASEKEEPER_CLIENT_SOCKET'];
  if (socket === undefined)
    throw new UsageError('client ctl needs --socket PATH (or $LEASEKEEPER_CLIENT_SOCKET)');
  const timeoutMs = values.timeout === undefined ? 10_000 : Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new UsageError('--timeout must be a positive integer');
  if (verb === 'events') {
    const count = values.count === undefined ? Infinity : Number(values.count);
    if (!(count === Infinity || (Number.isInteger(count) && count > 0))) {
      throw new UsageError('--count must be a positive integer');
    }
    return streamEvents(socket, count);
  }
  try {
    const informArgs = {
      ...(values.address === undefined ? {} : { address: values.address }),
      ...(values.server === undefined ? {} : { server: values.server }),
    };
    const request =
      verb === 'inform' && Object.keys(informArgs).length > 0
        ? { command: verb, arguments: informArgs }
        : { command: verb ?? '' };
    const answer = await sendUnix(socket, request, timeoutMs);
    console.log(JSON.stringify(answer, null, 2));
    return (answer as { result?: unknown }).result === 0 ? 0 : 1;
  } catch (err) {
    if (err instanceof ControlClientError) {
      console.error(`leasekeeper client ctl: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** Subscribes and prints one JSON event per line until `count` events, SIGINT, or the client going away. */
function streamEvents(path: string, count: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    let buffered = '';
    let answered = false;
    let printed = 0;
    let code = 0;
    const onSigint = (): void => void socket.end();
    process.once('SIGINT', onSigint);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify({ command: 'subscribe' })));
    socket.on('data', (chunk: string) => {
      // end() closes our side only: what the daemon sends meanwhile is not asked for.
      if (printed >= count) return;
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!answered) {
          answered = true;
          if (!line.includes('"result":0')) {
            console.error(`leasekeeper client ctl: ${line}`);
            code = 1;
            socket.end();
          }
          continue;
        }
        console.log(line);
        printed += 1;
        if (printed >= count) {
          socket.end();
          return;
        }
      }
    });
    socket.on('error', (err) => {
      console.error(`leasekeeper client ctl: cannot talk to ${path}: ${err.message}`);
      code = 1;
    });
    socket.on('close', () => {
      process.off('SIGINT', onSigint);
      resolve(code);
    });
  });
}
