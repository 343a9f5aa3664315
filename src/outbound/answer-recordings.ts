import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convertToTelephony } from '../audio/telephony-conversion';
import { Store } from '../store/store';

/** A one-off answer is at most this long as uploaded (a minute of browser Opus is far less). */
export const ANSWER_UPLOAD_MAX_BYTES = 4 * 1024 * 1024;
/** The browser's recorder stops at 60 s (public/staff/answer-recorder.js); a longer upload is refused before it is converted. */
export const ANSWER_MAX_SECONDS = 90;

/**
 * A short answer a staff member recorded in the browser for one message: converted like any
 * prompt (mono 8 kHz mu-law, loudness-normalised, silence trimmed; src/audio) and kept in the
 * store's files as `answer-<entryId>-<random>.wav`: each upload its own file, so when two staff
 * members send an answer to one message at once, the one whose call is not queued removes only
 * its own file, never the audio of the call that was. Throws AudioInputError for silence,
 * garbage, or more than ANSWER_MAX_SECONDS. `extension` names the upload's format (src/staff/audio-upload.ts).
 */
export async function storeAnswerRecording(store: Store, entryId: string, upload: Buffer, extension: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'answer-'));
  try {
    // Decoded as the format it was sent as (`extension`, e.g. webm from MediaRecorder), never guessed.
    const input = path.join(dir, `upload.${extension}`);
    const output = path.join(dir, 'answer.wav');
    fs.writeFileSync(input, upload);
    await convertToTelephony(input, output, { timeoutMs: 60_000, maxSeconds: ANSWER_MAX_SECONDS });
    const fileId = `answer-${entryId}-${crypto.randomBytes(6).toString('hex')}.wav`;
    await store.files.write(fileId, fs.readFileSync(output), { contentType: 'audio/wav', kind: 'answer' });
    return fileId;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The carrier fetches the recorded answer without our credentials, so its URL carries a keyed
 * token for the entry: unguessable, and served only while that call is under way.
 */
export function answerAudioToken(key: Buffer, entryId: string): string {
  return crypto.createHmac('sha256', key).update(`answer-audio:${entryId}`).digest('base64url');
}
