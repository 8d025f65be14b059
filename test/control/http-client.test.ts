// The HTTP control client (leasekeeper ctl, HA partner calls) bounds what a peer can make it buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendHttp } from '../../src/control/client.ts';

test('an answer larger than maxResponseBytes is refused and the connection closed', async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let closed = false;
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('[{"result": 0, "text": "');
    // Endless spaces: only the client's limit ends this answer.
    const pump = (): void => {
      while (!closed && res.write(chunk));
      if (!closed) res.once('drain', pump);
    };
    res.on('close', () => (closed = true));
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await assert.rejects(
      sendHttp(`http://127.0.0.1:${port}/`, { command: 'status-get' }, { maxResponseBytes: 1024 * 1024 }),
      /exceeds 1048576 bytes/,
    );
    // The client hung up: the server sees its response closed.
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(closed, true);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('an answer within the limit is parsed as before', async () => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('[{"result": 0, "text": "ok"}]');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const answer = await sendHttp(
      `http://127.0.0.1:${port}/`,
      { command: 'status-get' },
      { maxResponseBytes: 1024 },
    );
    assert.deepEqual(answer, [{ result: 0, text: 'ok' }]);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
