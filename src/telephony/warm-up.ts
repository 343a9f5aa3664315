import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { Logger } from '../logging/logger';
import { CallSimulator, parseScript } from '../simulator/call-simulator';
import { TRY_THE_LINE_NUMBER } from '../staff/try-the-line';
import { TEST_CALL_SID_PREFIX } from '../store/ratings';

/** The caller of the warm-up call: the test calls' number, which no phone can have. */
const WARM_UP_NUMBER = TRY_THE_LINE_NUMBER;

/**
 * One test call through the app before the line listens. The first requests after a start would
 * otherwise run code for the first time (compiling it, the store's first queries: 100-200 ms of
 * CPU for the first turn), and callers ringing together after a restart would queue behind it.
 * The call goes over a loopback port of its own, signed as the carrier signs, so it takes the path
 * of a real one; its CallSid marks it a test call, kept out of every figure, and it only chooses a
 * language and hangs up. A failure is logged and the line starts anyway: it only costs speed.
 */
export async function warmUpLine(
  app: http.RequestListener,
  o: { publicBaseUrl: string; authToken: string; accountSid: string; logger: Logger },
): Promise<void> {
  const server = http.createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const callSid = `${TEST_CALL_SID_PREFIX}${crypto.randomBytes(11).toString('hex')}`;
    const sim = new CallSimulator({
      serverUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, publicBaseUrl: o.publicBaseUrl, authToken: o.authToken,
      from: WARM_UP_NUMBER, callSid, accountSid: o.accountSid || 'ACwarmup',
    });
    const t = await sim.run(parseScript('1,hangup'));
    const status = await sim.post('/voice/status', {
      CallSid: callSid, AccountSid: o.accountSid || 'ACwarmup', From: WARM_UP_NUMBER, To: 'warm-up', CallStatus: 'completed', CallDuration: '1', Direction: 'inbound',
    });
    const problems = [...t.errors, ...(status.status >= 400 ? [`${status.status} /voice/status`] : [])];
    if (problems.length) o.logger.warn({ problems }, 'the warm-up call before listening did not go through; the first callers may wait longer');
  } catch (err) {
    o.logger.warn({ err: (err as Error).message }, 'the warm-up call before listening failed; the first callers may wait longer');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
