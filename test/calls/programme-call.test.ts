import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseScript } from '../../src/simulator/call-simulator';
import { Rating } from '../../src/store/ratings';
import { ENGINE, tempDir } from '../support/engine';
import { ids, startHotline, TestHotline } from '../support/hotline';

/**
 * Programme areas through the real webhooks (signed, as the carrier sends them): with the site's
 * own config/programme-areas.json and its names recorded, a caller picks the commune and the
 * school by name, hears both read back, and each rating carries the facility.
 */

const ROOT = path.resolve(__dirname, '../..');

describe(`choosing the commune and the school by name (${ENGINE} store)`, () => {
  let h: TestHotline;
  beforeAll(async () => {
    const siteDir = tempDir('site-');
    fs.mkdirSync(path.join(siteDir, 'config'), { recursive: true });
    const { sample: _sample, ...own } = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/programme-areas.json'), 'utf8'));
    fs.writeFileSync(path.join(siteDir, 'config/programme-areas.json'), JSON.stringify(own));
    // The names recorded (any audio will do for the test): communes, their district, facilities.
    const audioDir = path.join(siteDir, 'audio');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    const voice = fs.readFileSync(path.join(ROOT, 'audio/km/digit.1.wav'));
    for (const id of [...own.communes.map((c: string) => `place.${c}`), 'place.0801', ...own.facilities.map((f: { id: string }) => `facility.${f.id}`)]) {
      fs.writeFileSync(path.join(audioDir, 'km', `${id}.wav`), voice);
    }
    h = await startHotline({ SITE_DIR: siteDir });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('the commune from a list of four names, confirmed by name; the school from its two names; both carried by the ratings', async () => {
    const t = await h.call(parseScript('1,2,1,1,3,2,1,4,5,hangup'), { from: '+85512999001' });
    expect(t.errors).toEqual([]);
    const heard = ids(t);
    const list = heard.indexOf('rate.area.menu');
    expect(heard.slice(list, list + 9)).toEqual(['rate.area.menu', 'place.080101', 'digit.1', 'place.080102', 'digit.2', 'place.080103', 'digit.3', 'place.080104', 'digit.4']);
    const confirm = heard.indexOf('rate.commune.confirm');
    expect(heard.slice(confirm, confirm + 4)).toEqual(['rate.commune.confirm', 'place.080101', 'place.0801', 'rate.commune.confirm.press']);
    const facility = heard.indexOf('rate.facility.menu');
    expect(heard.slice(facility, facility + 5)).toEqual(['rate.facility.menu', 'facility.ps-ampov-prey', 'digit.1', 'facility.ps-prey-toteung', 'digit.2']);
    const said = heard.indexOf('rate.service.chosen.school');
    expect(heard.slice(said, said + 3)).toEqual(['rate.service.chosen.school', 'facility.ps-prey-toteung', 'rate.used']);
    const ratings = await h.store.collection<Rating>('ratings').find({ callSid: t.callSid });
    expect(ratings.map((r) => [r.communeCode, r.service, r.facilityId, r.score])).toEqual([
      ['080101', 'school', 'ps-prey-toteung', 4], ['080101', 'school', 'ps-prey-toteung', 5],
    ]);
  });

  it('a rating broken off at a school resumes at that school: offered back by name, and the next answers carry it', async () => {
    const from = '+85512999002';
    const first = await h.call(parseScript('1,2,1,1,3,2,1,4,5,hangup'), { from });
    expect(first.errors).toEqual([]);
    const again = await h.call(parseScript('1,3,hangup'), { from });
    expect(again.errors).toEqual([]);
    const heard = ids(again);
    expect(heard.slice(0, 5)).toEqual(['welcome.back', 'keys.intro', 'rate.resume.school', 'place.080101', 'facility.ps-prey-toteung']);
    const ratings = await h.store.collection<Rating>('ratings').find({ callSid: again.callSid });
    expect(ratings.map((r) => [r.communeCode, r.service, r.facilityId, r.indicatorId, r.score])).toEqual([
      ['080101', 'school', 'ps-prey-toteung', 'informal-fees', 3],
    ]);
  });
});
