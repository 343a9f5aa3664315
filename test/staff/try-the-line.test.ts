import { Rating, TEST_CALL_SID_PREFIX } from '../../src/store/ratings';
import { AuditEntry } from '../../src/staff/audit-log';
import { TurnView } from '../../src/staff/try-the-line';
import { startHotline, TestHotline } from '../support/hotline';
import { addAccount, seedMessage, StaffClient } from './staff-support';

describe('try the line: a keypad call through the signed webhooks', () => {
  let h: TestHotline;
  let c: StaffClient;
  beforeEach(async () => {
    h = await startHotline();
    await addAccount(h.store, 'view1', 'viewer');
    c = await new StaffClient(h).signedIn('view1');
    await c.page('/staff/try-the-line');
  });
  afterEach(async () => {
    await h.stop();
  });

  const start = async (client = c, body: object = {}) => {
    const res = await client.request('/staff/try-the-line/calls', { json: body, headers: { 'x-csrf-token': client.csrf } });
    expect(res.status).toBe(200);
    return (await res.json()) as TurnView;
  };
  const act = async (sid: string, body: object, client = c) => {
    const res = await client.request(`/staff/try-the-line/calls/${sid}`, { json: body, headers: { 'x-csrf-token': client.csrf } });
    expect(res.status).toBe(200);
    return (await res.json()) as TurnView;
  };

  test('the call starts with the welcome and the language menu, each prompt a same-origin recording with its text', async () => {
    const first = await start();
    expect(first.callSid.startsWith(TEST_CALL_SID_PREFIX)).toBe(true);
    expect(first.prompts.map((p) => p.id).slice(0, 3)).toEqual(['welcome', 'keys.intro', 'language.menu']);
    expect(first.expects).toBe('keys');
    expect(first.gather?.numDigits).toBe(1);
    expect(first.prompts[0].url).toBe('/audio/km/welcome.wav');
    expect(first.prompts[0].text.length).toBeGreaterThan(10);
    const audio = await fetch(h.url + first.prompts[0].url);
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toMatch(/audio/);
    // The hotline saw a signed carrier request: the call is in the call store.
    expect(await h.rt.calls.find(first.callSid)).not.toBeNull();
    expect(await h.store.collection<AuditEntry>('staff_audit').countDocuments({ action: 'try-the-line', username: 'view1' })).toBe(1);
  });

  test('the language is chosen on the call\'s own menu and ratings from the test call are marked as test ratings', async () => {
    const { callSid } = await start();
    let turn = await act(callSid, { action: 'keys', digits: '2' }); // Bunong
    expect((await h.rt.calls.find(callSid))?.flow.language).toBe('cmo');
    for (const digits of ['2', '120101', '1', '2', '1', '4']) turn = await act(callSid, { action: 'keys', digits });
    expect(turn.expects).toBe('keys');
    const ratings = await h.store.collection<Rating>('ratings').find({ callSid });
    expect(ratings).toHaveLength(1);
    expect(ratings[0]).toMatchObject({ indicatorId: 'staff-attitude', score: 4, language: 'cmo', testCall: true });
    const ended = await act(callSid, { action: 'hangup' });
    expect(ended.expects).toBe('ended');
  });

  test('silence follows the hotline\'s redirect: at the language menu it chooses Khmer, then the main menu replays after a no-input prompt', async () => {
    const { callSid } = await start();
    expect((await act(callSid, { action: 'silence' })).prompts.map((p) => p.id)).toEqual(['main.menu']);
    const turn = await act(callSid, { action: 'silence' });
    expect(turn.prompts.map((p) => p.id)).toEqual(['error.noinput', 'main.menu']);
    expect(turn.expects).toBe('keys');
  });

  test('a message recorded on a test call is never listed for staff', async () => {
    const real = await seedMessage(h.store, { referenceNumber: '424242' });
    const { callSid } = await start();
    for (const digits of ['1', '3', '120101', '1', '1']) await act(callSid, { action: 'keys', digits });
    const recorded = await act(callSid, { action: 'record', seconds: 4 });
    expect(recorded.prompts.map((p) => p.id)).toContain('message.confirm');
    const saved = await act(callSid, { action: 'keys', digits: '1' });
    expect(saved.prompts.map((p) => p.id)).toContain('message.saved');
    const stored = await h.store.collection<{ _id: string; callSid: string; testCall?: boolean }>('messages').find({ callSid });
    expect(stored).toHaveLength(1);
    expect(stored[0].testCall).toBe(true);
    const list = await c.page('/staff/messages');
    expect(list.text).toContain('424242');
    expect(list.text).toContain('1 message');
    expect((await c.request(`/staff/messages/${stored[0]._id}`)).status).toBe(404);
    expect(real._id).not.toBe(stored[0]._id);
  });

  test('another session cannot drive the call, and a relay without the CSRF header is refused', async () => {
    const { callSid } = await start();
    await addAccount(h.store, 'view2', 'viewer');
    const other = await new StaffClient(h).signedIn('view2');
    const res = await other.request(`/staff/try-the-line/calls/${callSid}`, { json: { action: 'keys', digits: '1' }, headers: { 'x-csrf-token': other.csrf } });
    expect(res.status).toBe(404);
    const noCsrf = await c.request(`/staff/try-the-line/calls/${callSid}`, { json: { action: 'keys', digits: '1' } });
    expect(noCsrf.status).toBe(403);
  });
});
