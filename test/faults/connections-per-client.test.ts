import * as http from 'node:http';
import * as net from 'node:net';
import { clientKey, createHttpServer } from '../../src/http-server';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';

jest.setTimeout(60_000);

/** A connection from `localAddress` that sends half a request and holds on; resolves once connected. */
function slowClient(port: number, localAddress: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write('POST /voice/incoming HTTP/1.1\r\nHost: hotline\r\n');
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue 21: one client holding many slow connections used up HTTP_MAX_CONNECTIONS and 7 of 10
 * call webhooks failed. Real sockets on loopback: the "attacker" connects from 127.0.0.2 (all of
 * 127/8 is this machine on Linux), the carrier from 127.0.0.1. Numbers are kept small.
 */
describe(`HTTP_MAX_CONNECTIONS_PER_CLIENT (${ENGINE} store)`, () => {
  let h: TestHotline | undefined;
  let held: { socket: net.Socket; closed: Promise<void> }[] = [];
  afterEach(async () => {
    for (const c of held) c.socket.destroy();
    held = [];
    await h?.stop();
    h = undefined;
  });

  it('a client holding more slow connections than its cap is cut to the cap, and every call webhook from another address is answered', async () => {
    // The carrier here (one simulator per call, fetching prompts too) opens up to about 30 connections from 127.0.0.1.
    const hotline = await startHotline({ HTTP_MAX_CONNECTIONS: '80', HTTP_MAX_CONNECTIONS_PER_CLIENT: '40' });
    h = hotline;
    const port = Number(new URL(hotline.url).port);
    held = await Promise.all(Array.from({ length: 100 }, () => slowClient(port, '127.0.0.2')));
    const openCount = () => held.filter((c) => !c.socket.destroyed && c.socket.readyState === 'open').length;
    for (let i = 0; i < 30 && openCount() > 40; i++) await settle(100);
    expect(openCount()).toBe(40);

    const answered = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      try {
        const t = await hotline.call([{ type: 'hangup' }], { from: `+8551200077${i}` });
        return t.errors.length === 0 && ids(t)[0] === 'welcome';
      } catch {
        return false;
      }
    }));
    expect(answered.filter(Boolean)).toHaveLength(10);
  });

  it('the proxy TRUST_PROXY trusts is not capped as one client, and an IPv6 client is counted by its /64', async () => {
    const server = createHttpServer({ maxConnections: 100, maxConnectionsPerClient: 4, isTrustedProxy: (a) => a === '127.0.0.1' || a === '::ffff:127.0.0.1' });
    server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      held = await Promise.all(Array.from({ length: 10 }, () => slowClient(port, '127.0.0.1')));
      const other = await Promise.all(Array.from({ length: 10 }, () => slowClient(port, '127.0.0.3')));
      held.push(...other);
      const otherOpen = () => other.filter((c) => !c.socket.destroyed).length;
      for (let i = 0; i < 30 && otherOpen() > 4; i++) await settle(100);
      expect(held.slice(0, 10).every((c) => !c.socket.destroyed)).toBe(true);
      expect(other.filter((c) => !c.socket.destroyed)).toHaveLength(4);
    } finally {
      for (const c of held) c.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('2001:db8:0:1::5')).toBe(clientKey('2001:0db8:0000:0001:ffff:0:0:9'));
    expect(clientKey('2001:db8:0:1::5')).not.toBe(clientKey('2001:db8:0:2::5'));
  });
});
