import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefinitionError } from '../errors';
import { AUDIO_EXTENSION } from './prompt-audio';

/**
 * Where each prompt file came from, told by its checksum: a file whose sha256 is listed in
 * audio/placeholders.json is still a placeholder, one listed in audio/machine-voice.json is a
 * synthesized draft, anything else is a human recording. Checksums (not flags) so that replacing
 * a file by any means, even a plain copy, changes what coverage reports.
 */
export type AudioSource = 'recording' | 'machine' | 'placeholder';

export const PLACEHOLDERS_FILE = 'placeholders.json';
export const MACHINE_VOICE_FILE = 'machine-voice.json';

export interface MachineVoiceEntry {
  sha256: string;
  voice: string;
  synthesizedAt: string;
}

export function sha256Of(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** sha256Of without blocking: for re-reads while calls are answered. */
export async function sha256OfAsync(file: string): Promise<string> {
  return crypto.createHash('sha256').update(await fs.promises.readFile(file)).digest('hex');
}

/** `<lang>/<promptId>`: the key both manifests use. */
export const audioKey = (language: string, promptId: string) => `${language}/${promptId}`;

export class AudioSources {
  private constructor(
    readonly audioDir: string,
    private readonly placeholders: Record<string, string>,
    private readonly machine: Record<string, MachineVoiceEntry>,
  ) {}

  static load(audioDir: string): AudioSources {
    return new AudioSources(
      audioDir,
      readManifest<Record<string, string>>(path.join(audioDir, PLACEHOLDERS_FILE)),
      readManifest<Record<string, MachineVoiceEntry>>(path.join(audioDir, MACHINE_VOICE_FILE)),
    );
  }

  /** load without blocking: for re-reads while calls are answered. */
  static async loadAsync(audioDir: string): Promise<AudioSources> {
    return new AudioSources(
      audioDir,
      await readManifestAsync<Record<string, string>>(path.join(audioDir, PLACEHOLDERS_FILE)),
      await readManifestAsync<Record<string, MachineVoiceEntry>>(path.join(audioDir, MACHINE_VOICE_FILE)),
    );
  }

  fileOf(language: string, promptId: string): string {
    return path.join(this.audioDir, language, `${promptId}.${AUDIO_EXTENSION}`);
  }

  /** The source of a prompt's file, or null when there is no file. */
  sourceOf(language: string, promptId: string): AudioSource | null {
    const file = this.fileOf(language, promptId);
    if (!fs.existsSync(file)) return null;
    return this.classify(language, promptId, sha256Of(file));
  }

  /** sourceOf without blocking. */
  async sourceOfAsync(language: string, promptId: string): Promise<AudioSource | null> {
    try {
      return this.classify(language, promptId, await sha256OfAsync(this.fileOf(language, promptId)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  classify(language: string, promptId: string, sha256: string): AudioSource {
    const key = audioKey(language, promptId);
    if (this.placeholders[key] === sha256) return 'placeholder';
    if (this.machine[key]?.sha256 === sha256) return 'machine';
    return 'recording';
  }

  machineVoiceOf(language: string, promptId: string): MachineVoiceEntry | undefined {
    return this.machine[audioKey(language, promptId)];
  }

  /** Notes a synthesized file; saved by saveMachineVoices(). */
  markMachine(language: string, promptId: string, entry: MachineVoiceEntry): void {
    this.machine[audioKey(language, promptId)] = entry;
  }

  saveMachineVoices(): void {
    const file = path.join(this.audioDir, MACHINE_VOICE_FILE);
    const body = {
      $comment: 'Prompts drafted by `npm run prompts -- synthesize` (Google Cloud Text-to-Speech). A file whose checksum is listed here is still a machine voice; coverage reports it until a person records it.',
      files: Object.fromEntries(Object.entries(this.machine).sort(([a], [b]) => a.localeCompare(b))),
    };
    writeFileAtomic(file, JSON.stringify(body, null, 2) + '\n');
  }
}

function readManifest<T>(file: string): T {
  if (!fs.existsSync(file)) return {} as T;
  try {
    return manifestFiles<T>(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DefinitionError(`cannot read the audio manifest ${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function readManifestAsync<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {} as T;
    throw new DefinitionError(`cannot read the audio manifest ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return manifestFiles<T>(text);
  } catch (err) {
    throw new DefinitionError(`cannot read the audio manifest ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function manifestFiles<T>(text: string): T {
  return (JSON.parse(text) as { files?: T }).files ?? ({} as T);
}

/** Writes beside the target then renames, so a reader never sees half a file. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(3).toString('hex')}.tmp`);
  fs.writeFileSync(temp, data);
  fs.renameSync(temp, file);
}
