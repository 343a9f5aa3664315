import { parseScript } from '../../src/simulator/call-simulator';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';

/** The digits read back after message.saved (digit.N prompts up to the next menu). */
function digitsReadBack(heard: string[]): string {
  const at = heard.lastIndexOf('message.saved');
  const out: string[] = [];
  for (const id of heard.slice(at + 1)) {
    const m = /^digit\.(\d)$/.exec(id);
    if (!m) break;
    out.push(m[1]);
  }
  return out.join('');
}

describe(`a caller leaves a voice message (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeEach(async () => {
    h = await startHotline();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('when a new caller records and presses 1, the message is saved with commune, service, language and call, and its reference number is read back', async () => {
    const from = '+85512888444';
    const t = await h.call([...parseScript('1,3,120101,1,2'), { type: 'record', seconds: 20, recordingSid: 'RE00000000000000000000000000000001' }, ...parseScript('1,hangup')], { from });
    expect(t.errors).toEqual([]);
    const heard = ids(t);
    // No commune or service yet on this call: the message step asks for both first.
    expect(heard.indexOf('rate.commune.enter')).toBeGreaterThan(-1);
    expect(heard.indexOf('rate.commune.enter')).toBeLessThan(heard.indexOf('message.intro'));
    // ...in the message path's own words: a caller who wants to complain is not told they are rating.
    expect(heard.indexOf('message.service.menu')).toBeLessThan(heard.indexOf('message.intro'));
    expect(heard).not.toContain('rate.service.menu');
    expect(heard.indexOf('message.confirm')).toBeGreaterThan(heard.indexOf('message.intro'));
    expect(heard.indexOf('message.saved')).toBeGreaterThan(heard.indexOf('message.confirm'));
    // Read twice, then the offer to be called back with the answer (src/outbound).
    expect(heard[heard.length - 1]).toBe('message.answer.ask');

    const [m] = await h.rt.messages.forCall(t.callSid);
    expect(m).toMatchObject({
      _id: 'RE00000000000000000000000000000001', callSid: t.callSid, communeCode: '120101', districtCode: '1201', provinceCode: '12',
      service: 'health', language: 'km', durationSeconds: 20, callerChoice: 'sent', review: { state: 'new', notes: [] },
    });
    expect(m.referenceNumber).toMatch(/^\d{6,}$/);
    expect(digitsReadBack(heard)).toBe(m.referenceNumber);
    // Read twice, so it can be written down.
    const again = heard.slice(heard.lastIndexOf('message.reference.again') + 1).filter((id) => id.startsWith('digit.')).map((id) => id.slice(6)).join('');
    expect(again).toBe(m.referenceNumber);
    expect(m.createdAt).toBeInstanceOf(Date);
  });

  it('never ties the message to the caller: no number and no caller id in the message', async () => {
    const from = '+85512777555';
    const t = await h.call(parseScript('1,3,120101,1,1,record:8,1,hangup'), { from });
    const messages = await h.store.collection('messages').find({});
    expect(messages).toHaveLength(1);
    const text = JSON.stringify(messages) + h.logs.join('');
    expect(text).not.toContain('12777555');
    const call = await h.rt.calls.find(t.callSid);
    expect(text).not.toContain(call!.callerId);
    expect(Object.keys(messages[0])).not.toContain('callerId');
  });

  it('when the caller presses 2 to record again, the first recording is discarded and only the second is sent', async () => {
    const t = await h.call([
      ...parseScript('1,3,120101,1,3'),
      { type: 'record', seconds: 5, recordingSid: 'RE0000000000000000000000000000000a' },
      { type: 'keys', digits: '2' },
      { type: 'record', seconds: 9, recordingSid: 'RE0000000000000000000000000000000b' },
      ...parseScript('1,hangup'),
    ]);
    expect(t.errors).toEqual([]);
    expect(ids(t).filter((id) => id === 'message.intro')).toHaveLength(2);
    const first = await h.rt.messages.find('RE0000000000000000000000000000000a');
    const second = await h.rt.messages.find('RE0000000000000000000000000000000b');
    expect(first?.callerChoice).toBe('discarded');
    expect(second).toMatchObject({ callerChoice: 'sent', communeCode: '120101', service: 'school', durationSeconds: 9 });
    expect(digitsReadBack(ids(t))).toBe(second!.referenceNumber);
  });

  it('when the caller just rated a service, the message step uses that commune and service without asking again', async () => {
    const t = await h.call(parseScript('1,2,120101,1,2,1,4,5,3,4,2,5,1,2,2,3,2,1,record:12,1,hangup'));
    expect(t.errors).toEqual([]);
    const heard = ids(t);
    const afterThanks = heard.slice(heard.indexOf('rate.after'));
    expect(afterThanks.filter((id) => id.startsWith('rate.commune.enter'))).toEqual([]);
    expect(afterThanks).not.toContain('rate.service.menu');
    expect(afterThanks[1]).toBe('message.intro');
    const [m] = await h.rt.messages.forCall(t.callSid);
    expect(m).toMatchObject({ communeCode: '120101', service: 'health', callerChoice: 'sent' });
  });

  it('keeps the language the caller chose (Bunong) on the message', async () => {
    const t = await h.call(parseScript('2,3,120101,1,1,record:6,1,hangup'));
    const [m] = await h.rt.messages.forCall(t.callSid);
    expect(m).toMatchObject({ language: 'cmo', service: 'commune', callerChoice: 'sent' });
  });

  it('two messages get different reference numbers', async () => {
    const a = await h.call(parseScript('1,3,120101,1,1,record:6,1,hangup'), { from: '+85510000001' });
    const b = await h.call(parseScript('1,3,120101,1,1,record:6,1,hangup'), { from: '+85510000002' });
    const [ma] = await h.rt.messages.forCall(a.callSid);
    const [mb] = await h.rt.messages.forCall(b.callSid);
    expect(ma.referenceNumber).not.toBe(mb.referenceNumber);
  });
});
