import { parseCommandLine, stringOptions, UsageError, type CliCommand } from './command.ts';
import { allSucceeded, sendHttp, sendUnix, type ControlRequest } from '../control/index.ts';
import { ControlClientError } from '../control/index.ts';

const HELP = `Usage: leasekeeper ctl COMMAND [--args JSON] (--socket PATH | --http URL [options])

Sends one command of the Kea-compatible control API and prints the answer as JSON.
Exits 0 when every answer's result is 0, 1 otherwise, 2 on bad usage.

  --args JSON        the command's arguments, a JSON object
  --socket PATH      the UNIX control socket (default: $LEASEKEEPER_CONTROL_SOCKET)
  --http URL         the HTTP control listener, e.g. http://127.0.0.1:8000/
  --service NAME     HTTP only: target service, repeatable (default dhcp4); --service '' asks the agent
  --user U           HTTP basic authentication user
  --password P       HTTP basic authentication password
  --ca FILE          HTTPS: CA to verify the server with
  --cert FILE        HTTPS: client certificate
  --key FILE         HTTPS: client key
  --timeout MS       give up after this long (default 10000)

Examples:
  leasekeeper ctl list-commands --socket /run/leasekeeper/control.sock
  leasekeeper ctl leases-reclaim --args '{"remove": true}' --http http://127.0.0.1:8000/`;

export const ctlCommand: CliCommand = {
  name: 'ctl',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parse(argv);
    const command = positionals[0];
    if (command === undefined || positionals.length > 1) throw new UsageError('expected exactly one COMMAND');
    let args: unknown;
    if (values.args !== undefined) {
      try {
        args = JSON.parse(values.args);
      } catch {
        throw new UsageError('--args must be JSON');
      }
    }
    const timeoutMs = values.timeout === undefined ? 10_000 : Number(values.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
      throw new UsageError('--timeout must be a positive integer');
    const socket =
      values.socket ?? (values.http === undefined ? process.env['LEASEKEEPER_CONTROL_SOCKET'] : undefined);
    if ((socket === undefined) === (values.http === undefined)) {
      throw new UsageError('give exactly one of --socket PATH or --http URL');
    }
    const services = (values.service ?? ['dhcp4']).filter((s) => s !== '');
    const message: ControlRequest = {
      command,
      ...(args === undefined ? {} : { arguments: args }),
      ...(values.http !== undefined && services.length > 0 ? { service: services } : {}),
    };
    let answer: unknown;
    try {
      answer =
        socket !== undefined
          ? await sendUnix(socket, message, timeoutMs)
          : await sendHttp(values.http ?? '', message, {
              ...(values.user === undefined ? {} : { user: values.user }),
              ...(values.password === undefined ? {} : { password: values.password }),
              ...(values.ca === undefined ? {} : { ca: values.ca }),
              ...(values.cert === undefined ? {} : { cert: values.cert }),
              ...(values.key === undefined ? {} : { key: values.key }),
              timeoutMs,
            });
    } catch (err) {
      if (err instanceof ControlClientError) {
        console.error(`leasekeeper ctl: ${err.message}`);
        return 1;
      }
      throw err;
    }
    console.log(JSON.stringify(answer, null, 2));
    return allSucceeded(answer) ? 0 : 1;
  },
};

function parse(argv: readonly string[]) {
  return parseCommandLine({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...stringOptions('args', 'socket', 'http', 'user', 'password', 'ca', 'cert', 'key', 'timeout'),
      service: { type: 'string', multiple: true },
    },
  });
}
