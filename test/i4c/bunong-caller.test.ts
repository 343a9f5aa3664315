import * as fs from 'node:fs';
import * as path from 'node:path';
import { probeAudio } from '../../src/audio/probe';
import { CallTranscript, HeardPrompt, parseScript } from '../../src/simulator/call-simulator';
import { makeRecording } from '../audio/encoded-fixtures';
import { ENGINE, tempDir } from '../support/engine';
import { startHotline, TestHotline } from '../support/hotline';
import { ROOT, runPromptsCli } from '../prompts/prompts-cli';

/**
 * Done when: a simulated caller in Bunong, with only some Bunong recordings present, hears the
 * I4C fees for health centres, with Khmer filling the gaps, and the coverage report names those
 * gaps. The Bunong recordings arrive as people send them (m4a, mp3, amr) and go through the
 * real import command.
 */

const BUNONG_RECORDED = ['language.option.cmo', 'main.menu', 'info.health.fees.1'];

function afterEachKey(t: CallTranscript): HeardPrompt[][] {
  const out: HeardPrompt[][] = [[]];
  for (const e of t.events) {
    if (e.type === 'pressed') out.push([]);
    if (e.type === 'heard') out[out.length - 1].push(e.prompt);
  }
  return out;
}
const heardAs = (ps: HeardPrompt[]) => ps.map((p) => `${p.language}/${p.id}`);

describe(`a Bunong caller hears the health centre fees (${ENGINE} store)`, () => {
  let h: TestHotline;
  let audioDir: string;
  let importRun: ReturnType<typeof runPromptsCli>;

  beforeAll(async () => {
    audioDir = tempDir('audio-');
    fs.cpSync(path.join(ROOT, 'audio'), audioDir, { recursive: true });
    const inbox = tempDir('bunong-inbox-');
    await makeRecording('amr', inbox, 'language.option.cmo.cmo', 500);
    await makeRecording('mp3', path.join(inbox, 'cmo'), 'main.menu', 600);
    await makeRecording('m4a', path.join(inbox, 'cmo'), 'info.health.fees.1', 700);
    importRun = runPromptsCli(['import', inbox], { AUDIO_DIR: audioDir });
    h = await startHotline({ AUDIO_DIR: audioDir });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
  });

  it('the Bunong recordings are imported by the prompts command', async () => {
    expect(importRun.stderr).toMatch(/3 imported, 0 failed/);
    expect(importRun.status).toBe(0);
    for (const id of BUNONG_RECORDED) {
      expect(await probeAudio(path.join(audioDir, 'cmo', `${id}.wav`))).toMatchObject({ codec: 'pcm_mulaw', sampleRate: 8000, channels: 1 });
    }
  });

  it('hears the fees in Bunong and every unrecorded prompt around them in Khmer', async () => {
    // New caller: Bunong (2), information (1), health centre (2), official fees (2), hear again (*).
    const t = await h.call(parseScript('2,1,2,2,*,hangup'), { from: '+85512000201' });
    expect(t.errors).toEqual([]);
    const turns = afterEachKey(t).map(heardAs);
    // Before any key: the language menu, each option in its own language (Bunong's is recorded).
    expect(turns[0]).toContain('cmo/language.option.cmo');
    expect(turns[0]).toContain('km/language.option.km');
    expect(turns[1]).toEqual(['cmo/main.menu']);
    expect(turns[2]).toEqual(['km/info.service.menu']);
    expect(turns[3]).toEqual(['km/info.health.menu']);
    expect(turns[4]).toEqual(['cmo/info.health.fees.1', 'km/info.more']);
    expect(turns[5]).toEqual(['cmo/info.health.fees.1', 'km/info.more']);
    // The fallbacks are logged, once per prompt and language.
    const fallbacks = h.logs.filter((l) => l.includes('playing the fallback')).map((l) => JSON.parse(l) as { promptId: string; language: string });
    expect(fallbacks.filter((f) => f.language === 'cmo').map((f) => f.promptId).sort()).toEqual(['info.health.menu', 'info.more', 'info.service.menu']);
  });

  it('the fees prompt served to the caller is the imported Bunong recording', async () => {
    const t = await h.call(parseScript('2,1,2,2,hangup'), { from: '+85512000202' });
    const fees = t.heard.find((p) => p.id === 'info.health.fees.1')!;
    const res = await fetch(fees.url);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.equals(fs.readFileSync(path.join(audioDir, 'cmo', 'info.health.fees.1.wav')))).toBe(true);
  });

  it('the coverage report names the Bunong gaps the caller heard in Khmer, and refuses to go live', () => {
    const r = runPromptsCli(['coverage', '--require', 'cmo'], { AUDIO_DIR: audioDir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/NOT READY: cmo has \d+ gap\(s\)/);
    expect(r.stdout).toMatch(/^cmo \(Bunong\): 3\/\d+ recorded, 0 machine voice, 0 placeholder, \d+ missing/m);
    const missingLine = r.stdout.split('\n').find((l, i, all) => l.startsWith('  missing, played in km instead') && all[i - 1].startsWith('cmo '))!;
    for (const gap of ['info.service.menu', 'info.health.menu', 'info.after']) expect(missingLine).toContain(gap);
    for (const recorded of BUNONG_RECORDED) expect(missingLine.split(': ')[1].split(', ')).not.toContain(recorded);

    const json = JSON.parse(runPromptsCli(['coverage', '--json'], { AUDIO_DIR: audioDir }).stdout) as { languages: { language: string; recorded: string[]; missing: string[] }[] };
    const bunong = json.languages.find((l) => l.language === 'cmo')!;
    expect(bunong.recorded.sort()).toEqual([...BUNONG_RECORDED].sort());
    expect(bunong.missing).toEqual(expect.arrayContaining(['info.service.menu', 'info.health.menu', 'info.after']));
  });
});
