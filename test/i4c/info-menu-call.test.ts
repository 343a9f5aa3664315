import { parseScript } from '../../src/simulator/call-simulator';
import { ENGINE } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';

describe(`the I4C menu by phone (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeAll(async () => {
    h = await startHotline();
  });
  afterAll(async () => {
    await h.stop();
  });

  it('service, topic, * to hear it again, 9 for other topics, 0 for the main menu', async () => {
    // Khmer, information, primary school, documents, again, more, other topics, rights, main menu.
    const t = await h.call(parseScript('1,1,3,3,*,1,9,4,0,hangup'), { from: '+85512000301' });
    expect(t.errors).toEqual([]);
    expect(ids(t).slice(ids(t).indexOf('main.menu'))).toEqual([
      'main.menu', 'info.service.menu', 'info.school.menu',
      'info.school.documents.1', 'info.more',
      'info.school.documents.1', 'info.more',
      'info.school.documents.2', 'info.more',
      'info.school.menu',
      'info.school.rights.1', 'info.more',
      'main.menu',
    ]);
  });

  it('a topic in pieces through the signed webhooks (issue 22, item 8): 1 for more until the last piece, then info.after; silence then ends politely', async () => {
    // Khmer, information, health centre, fees, then 1 after each piece but the last, then silence.
    const t = await h.call(parseScript('1,1,2,2,1,1,1,silence'), { from: '+85512000302' });
    expect(t.errors).toEqual([]);
    expect(ids(t).slice(ids(t).indexOf('info.health.menu'))).toEqual([
      'info.health.menu',
      'info.health.fees.1', 'info.more',
      'info.health.fees.2', 'info.more',
      'info.health.fees.3', 'info.more',
      'info.health.fees.4', 'info.after',
      'goodbye',
    ]);
  });

  it('warns at start-up that the I4C content is still a sample', () => {
    const warning = h.logs.map((l) => JSON.parse(l) as { msg: string; files?: string[] }).find((l) => /I4C content is still SAMPLE/.test(l.msg));
    expect(warning?.files).toEqual(expect.arrayContaining(['health.km', 'health.en', 'school.km', 'commune.km']));
  });
});
