/**
 * An AF_UNIX datagram socket a test listens on (systemd's NOTIFY_SOCKET, syslog's /dev/log stand-ins).
 * Node cannot bind one, so a small python3 program does: it prints each datagram as one JSON line with the
 * sender's PID from SCM_CREDENTIALS, which is what systemd checks for NotifyAccess=main.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Datagram {
  readonly pid: number;
  readonly text: string;
}

const PROGRAM = `
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\\0" + sys.argv[1][1:] if sys.argv[1].startswith("@") else sys.argv[1])
print(json.dumps({"bound": True}), flush=True)
for _ in range(int(sys.argv[2])):
    data, anc, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = 0
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
    print(json.dumps({"pid": pid, "text": data.decode("utf-8", "replace")}), flush=True)
`;

export interface DatagramListener {
  readonly received: Datagram[];
  /** Resolves with the first datagram (counting from `from`) whose text matches. */
  waitFor(pattern: RegExp, timeoutMs: number, from?: number): Promise<Datagram>;
  close(): void;
}

/** Binds `path` (`@name`: the abstract namespace) and collects at most `limit` datagrams. */
export async function listenDatagrams(path: string, limit = 1000): Promise<DatagramListener> {
  const child: ChildProcess = spawn('python3', ['-c', PROGRAM, path, String(limit)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const received: Datagram[] = [];
  const waiters = new Set<() => void>();
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`datagram listener exited with ${code}`)));
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { bound?: boolean; pid?: number; text?: string };
      if (msg.bound === true) return resolve();
      received.push({ pid: msg.pid ?? 0, text: msg.text ?? '' });
      for (const w of waiters) w();
    });
  });
  return {
    received,
    waitFor: (pattern, timeoutMs, from = 0) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = received.slice(from).find((d) => pattern.test(d.text));
          if (hit === undefined) return false;
          waiters.delete(onMessage);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const onMessage = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(onMessage);
          reject(
            new Error(`no datagram matching ${pattern} in ${timeoutMs} ms; got ${JSON.stringify(received)}`),
          );
        }, timeoutMs);
        waiters.add(onMessage);
        check();
      }),
    close: () => {
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGTERM');
    },
  };
}
