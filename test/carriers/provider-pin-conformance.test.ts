import * as fs from 'node:fs';
import * as path from 'node:path';
import { reportingYear } from '../../src/calls/call-turns';
import { roundId, ScorecardRound } from '../../src/rounds/scorecard-round';
import { CountersRepository } from '../../src/store/counters';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { acts, CallerAct, CarrierCall, CarrierModel, slowKeys } from './carrier-model';
import { SomlengModel } from './somleng-model';
import { TwilioModel } from './twilio-model';

/**
 * The providers' entry on each carrier model (./twilio-model.ts, ./somleng-model.ts): # at the
 * main menu reaches it (a menu's Gather has an explicit empty finishOnKey), a PIN typed with a
 * pause is whole before it is checked (Somleng posts the first keys after its 2 s inter-digit
 * wait), # ends the PIN early, and a retried webhook counts a wrong PIN once.
 */

const ROOT = path.resolve(__dirname, '../..');

/** A site folder with the sample programme as the operator's own, its facility names recorded. */
function siteWithProgramme(): string {
  const siteDir = tempDir('site-');
  fs.mkdirSync(path.join(siteDir, 'config'), { recursive: true });
  const { sample: _sample, ...own } = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/programme-areas.json'), 'utf8'));
  fs.writeFileSync(path.join(siteDir, 'config/programme-areas.json'), JSON.stringify(own));
  const audioDir = path.join(siteDir, 'audio');
  fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
  const voice = fs.readFileSync(path.join(ROOT, 'audio/km/digit.1.wav'));
  for (const f of own.facilities as { id: string }[]) fs.writeFileSync(path.join(audioDir, 'km', `facility.${f.id}.wav`), voice);
  return siteDir;
}

const FACILITY = 'hc-ampov-prey'; // a health centre serving 080101, 080102 and 080103

function facilityRound(commune: string, year: number): ScorecardRound {
  return {
    _id: roundId(commune, FACILITY, year), communeCode: commune, districtCode: commune.slice(0, 4), provinceCode: commune.slice(0, 2), service: 'health', facilityId: FACILITY, year,
    phoneFrom: `${year}-01-01`, phoneTo: `${year + 1}-01-01`, state: 'open', history: [], createdAt: new Date(), createdBy: 'admin',
  };
}

describe.each([
  ['Twilio', () => new TwilioModel()],
  ['Somleng', () => new SomlengModel()],
] as const)(`a provider's self-assessment on %s (${ENGINE} store)`, (_name, makeModel) => {
  let model: CarrierModel;
  let h: TestHotline;
  let number: string;
  let pin: string;
  const year = reportingYear(new Date());

  beforeEach(async () => {
    model = makeModel();
    await model.api.start();
    h = await startHotline({ ...model.env(), SITE_DIR: siteWithProgramme() });
    ({ providerNumber: number, pin } = await h.rt.providerPins.setPin({ facilityId: FACILITY }, 'health', 'admin', new Date(), new CountersRepository(h.store)));
    // The health centre has rounds in two of the communes it serves: a provider's scores go to both.
    await h.rt.rounds.addRound(facilityRound('080101', year));
    await h.rt.rounds.addRound(facilityRound('080102', year));
  });
  afterEach(async () => {
    await h?.stop();
    await model?.api.stop();
  });

  const call = (script: CallerAct[], opts: { retryEveryRequest?: boolean; from?: string } = {}) => new CarrierCall(model, h, script, opts).run();

  it('a provider who pauses 3 s inside the PIN, every webhook delivered twice, signs in once and scores the health centre in both its rounds', async () => {
    const r = await call([...acts(`1,#,${number}`), slowKeys(pin, 3, 3), ...acts('4,5,hangup')], { retryEveryRequest: true });
    expect(r.inconsistentRetries).toEqual([]);
    expect(r.exchanges.every((e) => e.status < 300)).toBe(true);
    expect(r.heard).not.toContain('provider.pin.wrong');
    // The first keys of the PIN were never checked on their own (a wrong try that nobody heard).
    expect(await h.store.collection('staff_audit').countDocuments({ action: 'provider-pin-refused' })).toBe(0);
    const accepted = r.heard.indexOf('provider.pin.accepted');
    expect(r.heard.slice(accepted, accepted + 4)).toEqual(['provider.pin.accepted', 'rate.service.chosen.health', `facility.${FACILITY}`, 'provider.rate.intro']);
    for (const commune of ['080101', '080102']) {
      const results = await h.rt.rounds.resultsOf(roundId(commune, FACILITY, year), 'self-assessment');
      expect(results.map((x) => [x.indicatorKey, x.counts])).toEqual([['staff-attitude', [0, 0, 0, 1, 0]], ['waiting-time', [0, 0, 0, 0, 1]]]);
    }
    if (model.name === 'somleng') expect(r.posted.length).toBeGreaterThan(6); // the PIN did come in pieces
  });

  it('a provider who hangs up halfway through the PIN leaves no keys of it in the call record', async () => {
    const r = await call([...acts(`1,#,${number}`), { do: 'keys', keys: pin.slice(0, 3) }, { do: 'hangup' }]);
    expect(r.heard).not.toContain('provider.pin.accepted');
    const record = await h.store.collection<{ _id: string; flow: { partialKeys?: string } }>('calls').findOne({});
    expect(record?.flow.partialKeys).toBeUndefined();
    if (model.name === 'somleng') expect(r.posted).toContain(pin.slice(0, 3)); // the first keys did arrive on their own
  });

  it('# after the PIN ends it at once, # after the whole number is harmless (never a wrong try); a wrong PIN delivered twice counts as one wrong try', async () => {
    const wrong = (pin[0] === '9' ? '1' : '9') + pin.slice(1);
    const r = await call(acts(`1,#,${number}#,${wrong}#,${number}#,${pin}#,3,hangup`), { retryEveryRequest: true });
    expect(r.heard.filter((id) => id === 'provider.pin.wrong')).toHaveLength(1);
    expect(r.heard).toContain('provider.pin.accepted');
    const results = await h.rt.rounds.resultsOf(roundId('080101', FACILITY, year), 'self-assessment');
    expect(results.map((x) => x.counts)).toEqual([[0, 0, 1, 0, 0]]);
    // The right PIN cleared the phone's wrong tries: nothing is left to lock it.
    expect(await h.store.collection('provider_pin_failures').countDocuments({})).toBe(0);
  });
});
