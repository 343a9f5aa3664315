import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AudioInputError, convertToTelephony } from '../audio/telephony-conversion';
import { AppError } from '../errors';
import { AudioSources } from './audio-sources';

/**
 * Drafts Khmer prompts with Google Cloud Text-to-Speech, straight into the telephony format
 * (through the same conversion as a human recording, so loudness and trimming match). Every
 * file made is listed in audio/machine-voice.json so coverage reports it as a machine voice
 * until a person records it. A person's recording is never overwritten.
 */

export const KHMER_TTS_LANGUAGE = 'km-KH';

/** The part of the Google client this uses; tests inject a fake. */
export interface SpeechClient {
  listVoices(request: { languageCode?: string }): Promise<[{ voices?: { name?: string | null; languageCodes?: string[] | null }[] | null }, ...unknown[]]>;
  synthesizeSpeech(request: {
    input: { text: string };
    voice: { languageCode: string; name: string };
    audioConfig: { audioEncoding: 'LINEAR16'; sampleRateHertz: number };
  }): Promise<[{ audioContent?: Uint8Array | string | null }, ...unknown[]]>;
}

export class SynthesisError extends AppError {
  constructor(override readonly code: 'TTS_NO_CREDENTIALS' | 'TTS_NO_VOICE' | 'TTS_FAILED', message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const CREDENTIALS_HELP = 'set GOOGLE_APPLICATION_CREDENTIALS (environment or .env) to a Google Cloud service-account key file (JSON) of a project with the Cloud Text-to-Speech API enabled';

/**
 * The real client, after checking the key file. The check comes first and needs no network:
 * without an explicit key file the Google library would probe the cloud metadata server.
 */
export function createGoogleSpeechClient(keyFile: string): SpeechClient {
  if (!keyFile) throw new SynthesisError('TTS_NO_CREDENTIALS', `no Google Cloud credentials: ${CREDENTIALS_HELP}`);
  let key: { type?: string; client_email?: string; private_key?: string };
  try {
    key = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
  } catch (err) {
    throw new SynthesisError('TTS_NO_CREDENTIALS', `cannot read the Google Cloud key file ${keyFile} (${(err as Error).message}): ${CREDENTIALS_HELP}`, { cause: err });
  }
  if (key.type !== 'service_account' || !key.client_email || !key.private_key) {
    throw new SynthesisError('TTS_NO_CREDENTIALS', `${keyFile} is not a service-account key (it needs type "service_account", client_email and private_key): ${CREDENTIALS_HELP}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { TextToSpeechClient } = require('@google-cloud/text-to-speech') as typeof import('@google-cloud/text-to-speech');
  return new TextToSpeechClient({ keyFilename: keyFile }) as unknown as SpeechClient;
}

/** A Khmer voice the service offers (the preferred one if it exists), or a clear error. */
export async function findKhmerVoice(client: SpeechClient, preferred?: string): Promise<string> {
  let voices: { name?: string | null; languageCodes?: string[] | null }[];
  try {
    const [res] = await client.listVoices({ languageCode: KHMER_TTS_LANGUAGE });
    voices = res.voices ?? [];
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const code = /credential|auth|permission|unauthenticated|403|401/i.test(message) ? 'TTS_NO_CREDENTIALS' : 'TTS_FAILED';
    throw new SynthesisError(code, `Google Cloud Text-to-Speech refused to list voices: ${message}`, { cause: err });
  }
  const khmer = voices.filter((v) => v.name && (v.languageCodes ?? []).includes(KHMER_TTS_LANGUAGE)).map((v) => v.name!).sort();
  if (khmer.length === 0) throw new SynthesisError('TTS_NO_VOICE', `Google Cloud Text-to-Speech offers no Khmer (${KHMER_TTS_LANGUAGE}) voice to this project; nothing was synthesized`);
  if (preferred && !khmer.includes(preferred)) throw new SynthesisError('TTS_NO_VOICE', `voice ${preferred} is not offered; Khmer voices: ${khmer.join(', ')}`);
  return preferred ?? khmer[0];
}

export interface SynthesisItem {
  promptId: string;
  text: string;
}

export type SynthesisOutcome =
  | { promptId: string; status: 'synthesized'; durationSeconds: number; replaced: 'placeholder' | 'machine' | null }
  | { promptId: string; status: 'skipped'; reason: string }
  | { promptId: string; status: 'failed'; reason: string };

export interface SynthesisOptions {
  client: SpeechClient;
  voice: string;
  audioDir: string;
  /** Language folder the drafts go to (Khmer). */
  language?: string;
  /** Re-synthesize prompts that are already machine voice (after a text change). */
  redoMachine?: boolean;
  onItemDone?(outcome: SynthesisOutcome, done: number, total: number): void;
}

export async function synthesizePrompts(items: readonly SynthesisItem[], opts: SynthesisOptions): Promise<SynthesisOutcome[]> {
  const language = opts.language ?? 'km';
  const sources = AudioSources.load(opts.audioDir);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'prompt-synthesis-'));
  const outcomes: SynthesisOutcome[] = [];
  const done = (o: SynthesisOutcome) => {
    outcomes.push(o);
    opts.onItemDone?.(o, outcomes.length, items.length);
  };
  try {
    for (const item of items) {
      const existing = sources.sourceOf(language, item.promptId);
      if (existing === 'recording') {
        done({ promptId: item.promptId, status: 'skipped', reason: 'a person has recorded it' });
        continue;
      }
      if (existing === 'machine' && !opts.redoMachine) {
        done({ promptId: item.promptId, status: 'skipped', reason: 'already a machine voice (use --redo-machine after a text change)' });
        continue;
      }
      let audio: Buffer;
      try {
        const [res] = await opts.client.synthesizeSpeech({
          input: { text: item.text },
          voice: { languageCode: KHMER_TTS_LANGUAGE, name: opts.voice },
          audioConfig: { audioEncoding: 'LINEAR16', sampleRateHertz: 16000 },
        });
        if (!res.audioContent || res.audioContent.length === 0) throw new Error('the service returned no audio');
        audio = typeof res.audioContent === 'string' ? Buffer.from(res.audioContent, 'base64') : Buffer.from(res.audioContent);
      } catch (err) {
        done({ promptId: item.promptId, status: 'failed', reason: `synthesis failed: ${(err as Error).message}` });
        continue;
      }
      const raw = path.join(scratch, 'speech.wav');
      fs.writeFileSync(raw, audio);
      try {
        const result = await convertToTelephony(raw, sources.fileOf(language, item.promptId));
        sources.markMachine(language, item.promptId, { sha256: result.sha256, voice: opts.voice, synthesizedAt: new Date().toISOString() });
        // Saved after each file: an interrupted run still knows which files are machine voice.
        sources.saveMachineVoices();
        done({ promptId: item.promptId, status: 'synthesized', durationSeconds: result.probe.durationSeconds, replaced: existing });
      } catch (err) {
        if (!(err instanceof AudioInputError)) throw err;
        done({ promptId: item.promptId, status: 'failed', reason: `the synthesized audio is unusable: ${err.message}` });
      }
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return outcomes;
}
