import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rating } from '../../src/store/ratings';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { acts, CallerAct, CarrierCall, CarrierModel } from './carrier-model';
import { SomlengModel } from './somleng-model';
import { TwilioModel } from './twilio-model';

/**
 * The programme-name nodes (area-list, facility-choice) on each carrier model
 * (./twilio-model.ts, ./somleng-model.ts: each behaviour with its source): the commune and the
 * school chosen by name with one key each, also with every webhook delivered twice.
 */

const ROOT = path.resolve(__dirname, '../..');

/** A site folder with the sample as the operator's own programme and its names recorded. */
function siteWithProgramme(): string {
  const siteDir = tempDir('site-');
  fs.mkdirSync(path.join(siteDir, 'config'), { recursive: true });
  const { sample: _sample, ...own } = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/programme-areas.json'), 'utf8'));
  fs.writeFileSync(path.join(siteDir, 'config/programme-areas.json'), JSON.stringify(own));
  const audioDir = path.join(siteDir, 'audio');
  fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
  const voice = fs.readFileSync(path.join(ROOT, 'audio/km/digit.1.wav'));
  for (const id of [...own.communes.map((c: string) => `place.${c}`), ...own.facilities.map((f: { id: string }) => `facility.${f.id}`)]) {
    fs.writeFileSync(path.join(audioDir, 'km', `${id}.wav`), voice);
  }
  return siteDir;
}

describe.each([
  ['Twilio', () => new TwilioModel()],
  ['Somleng', () => new SomlengModel()],
] as const)(`choosing by name, on %s (${ENGINE} store)`, (_name, makeModel) => {
  let model: CarrierModel;
  let h: TestHotline;

  beforeEach(async () => {
    model = makeModel();
    await model.api.start();
    h = await startHotline({ ...model.env(), SITE_DIR: siteWithProgramme() });
  });
  afterEach(async () => {
    await h?.stop();
    await model?.api.stop();
  });

  const call = (script: CallerAct[], opts: { retryEveryRequest?: boolean } = {}) => new CarrierCall(model, h, script, opts).run();
  // Language 1, rate 2, commune 1 (080101), right 1, school 3, the second school 2, used it 1, two answers.
  const SCRIPT = '1,2,1,1,3,2,1,4,5,hangup';

  it('the commune and the school by name, one key each; the ratings carry both', async () => {
    const r = await call(acts(SCRIPT));
    expect(r.exchanges.every((e) => e.status < 300)).toBe(true);
    expect(r.heard).toContain('rate.area.menu');
    expect(r.heard).toContain('rate.facility.menu');
    const ratings = await h.store.collection<Rating>('ratings').find({ callSid: r.callSid });
    expect(ratings.map((x) => [x.communeCode, x.facilityId, x.score])).toEqual([['080101', 'ps-prey-toteung', 4], ['080101', 'ps-prey-toteung', 5]]);
  });

  it('every webhook delivered twice: the same answers, one rating per indicator', async () => {
    const r = await call(acts(SCRIPT), { retryEveryRequest: true });
    expect(r.inconsistentRetries).toEqual([]);
    const ratings = await h.store.collection<Rating>('ratings').find({ callSid: r.callSid });
    expect(ratings.map((x) => [x.facilityId, x.score])).toEqual([['ps-prey-toteung', 4], ['ps-prey-toteung', 5]]);
  });
});
