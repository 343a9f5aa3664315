import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createLogger } from '../../src/logging/logger';
import { requireCarrierSignature, signWebhook } from '../../src/telephony/signature';

/** The refusal an operator reads in the log when webhooks are turned away (issue 23). */
function appWithLog(publicBaseUrl: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.post('/voice/incoming', requireCarrierSignature({ enabled: true, authToken: 'the-real-token', publicBaseUrl, logger: createLogger('info', sink) }), (_req, res) => {
    res.type('text/xml').send('<Response><Hangup/></Response>');
  });
  return { app, lines };
}

describe('a refused webhook signature tells the operator which settings to check', () => {
  it('a signature made with another token names TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL and the URL checked, never the token', async () => {
    const { app, lines } = appWithLog('https://hotline.example.org');
    const params = { CallSid: 'CA1' };
    const r = await request(app).post('/voice/incoming?lang=km').type('form').send(params)
      .set('X-Twilio-Signature', signWebhook('an-old-token', 'https://hotline.example.org/voice/incoming?lang=km', params));
    expect(r.status).toBe(403);
    expect(lines).toHaveLength(1);
    expect(lines[0].msg).toMatch(/TWILIO_AUTH_TOKEN/);
    expect(lines[0].msg).toMatch(/PUBLIC_BASE_URL/);
    expect(lines[0].msg).toContain('https://hotline.example.org/voice/incoming?lang=km');
    expect(lines[0].checkedUrl).toBe('https://hotline.example.org/voice/incoming?lang=km');
    expect(JSON.stringify(lines)).not.toMatch(/the-real-token|an-old-token/);
  });

  it('a PUBLIC_BASE_URL that is not the address the carrier signed shows in the line: the URL checked is on it', async () => {
    // The carrier signed https://hotline.example.org/...; the server was set up with http://.
    const { app, lines } = appWithLog('http://hotline.example.org');
    const params = { CallSid: 'CA2' };
    await request(app).post('/voice/incoming').type('form').send(params)
      .set('X-Twilio-Signature', signWebhook('the-real-token', 'https://hotline.example.org/voice/incoming', params));
    expect(lines[0].msg).toContain('does not match http://hotline.example.org/voice/incoming');
    expect(lines[0].msg).toMatch(/PUBLIC_BASE_URL/);
  });

  it('a request with no signature at all says so (not the carrier, or a proxy drops the header)', async () => {
    const { app, lines } = appWithLog('https://hotline.example.org');
    const r = await request(app).post('/voice/incoming').type('form').send({ CallSid: 'CA3' });
    expect(r.status).toBe(403);
    expect(lines[0].msg).toMatch(/no X-Twilio-Signature header.*proxy/);
  });
});
