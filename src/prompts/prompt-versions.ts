import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Store } from '../store/store';
import { AudioSources, sha256Of, writeFileAtomic } from './audio-sources';
import { importRecordings, ImportOptions, ImportOutcome } from './prompt-import';

/**
 * Recordings saved from the studio: each save runs the import pipeline (the same as
 * `npm run prompts -- import`), keeps the file it replaces (or the fact that there was none) so
 * one click undoes it, and notes who saved it and when. Earlier versions live beside the prompts
 * in AUDIO_DIR/.history/<language>/<promptId>/ (a dot folder: neither served nor scanned as a
 * language); who and when are in the database, so every app instance sees the same.
 */

export const HISTORY_DIR = '.history';

export interface PromptVersion {
  /** File name under the prompt's history folder, or null when there was no file before. */
  file: string | null;
  savedBy: string;
  savedAt: Date;
}

export interface PromptRecordingDoc {
  /** `<language>/<promptId>` */
  _id: string;
  language: string;
  promptId: string;
  /** Who saved the current file from the studio, and its checksum (a file changed since by other means no longer matches). */
  savedBy: string;
  savedAt: Date;
  sha256: string;
  /** What each save replaced, oldest first: the last one is what undo puts back. */
  previous: PromptVersion[];
}

export type SaveResult = { ok: true; outcome: Extract<ImportOutcome, { status: 'imported' }> } | { ok: false; outcome: Extract<ImportOutcome, { status: 'failed' }> };

export class PromptVersions {
  constructor(
    private readonly store: Store,
    private readonly importOptions: Omit<ImportOptions, 'dryRun' | 'onFileDone' | 'concurrency'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get collection() {
    return this.store.collection<PromptRecordingDoc>('prompt_recordings');
  }

  private historyDir(language: string, promptId: string) {
    return path.join(this.importOptions.audioDir, HISTORY_DIR, language, promptId);
  }

  /** Who saved each prompt of a language from the studio (only entries whose file is still that save). */
  async savedIn(language: string): Promise<Map<string, PromptRecordingDoc>> {
    const docs = await this.collection.find({ language });
    return new Map(docs.map((d) => [d.promptId, d]));
  }

  find(language: string, promptId: string): Promise<PromptRecordingDoc | null> {
    return this.collection.findOne({ _id: `${language}/${promptId}` });
  }

  /** Runs the import pipeline on an uploaded recording; the file it replaces is kept for undo. */
  async save(language: string, promptId: string, upload: Buffer, extension: string, savedBy: string): Promise<SaveResult> {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'studio-'));
    try {
      const input = path.join(scratch, `${promptId}.${language}.${extension}`);
      fs.writeFileSync(input, upload);
      const sources = AudioSources.load(this.importOptions.audioDir);
      const current = sources.fileOf(language, promptId);
      const at = this.now();
      // Check the recording first (a dry run), so a refused file leaves no history entry behind.
      const [checked] = await importRecordings([input], { ...this.importOptions, dryRun: true });
      if (checked.status === 'failed') return { ok: false, outcome: checked };
      let kept: string | null = null;
      if (fs.existsSync(current)) {
        fs.mkdirSync(this.historyDir(language, promptId), { recursive: true });
        kept = `${at.getTime()}.wav`;
        fs.copyFileSync(current, path.join(this.historyDir(language, promptId), kept));
      }
      const [outcome] = await importRecordings([input], this.importOptions);
      if (outcome.status === 'failed') return { ok: false, outcome };
      const doc = await this.find(outcome.language, outcome.promptId);
      const previous = [...(doc?.previous ?? []), { file: kept, savedBy, savedAt: at }];
      await this.collection.updateOne(
        { _id: `${outcome.language}/${outcome.promptId}` },
        { $set: { language: outcome.language, promptId: outcome.promptId, savedBy, savedAt: at, sha256: sha256Of(outcome.output), previous } },
        { upsert: true },
      );
      return { ok: true, outcome };
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Puts back what the last save replaced (removing the prompt if there was none). False when there is nothing to undo. */
  async undo(language: string, promptId: string): Promise<boolean> {
    const doc = await this.find(language, promptId);
    const last = doc?.previous[doc.previous.length - 1];
    if (!doc || !last) return false;
    const current = AudioSources.load(this.importOptions.audioDir).fileOf(language, promptId);
    if (last.file) {
      const kept = path.join(this.historyDir(language, promptId), last.file);
      writeFileAtomic(current, fs.readFileSync(kept));
      fs.rmSync(kept, { force: true });
    } else {
      fs.rmSync(current, { force: true });
    }
    const previous = doc.previous.slice(0, -1);
    // After an undo the prompt is as it was before that save: by whoever saved it before, if anyone.
    const before = previous[previous.length - 1];
    if (last.file || previous.length) {
      await this.collection.updateOne({ _id: doc._id }, { $set: {
        previous, savedBy: before?.savedBy ?? '', savedAt: before?.savedAt ?? doc.savedAt,
        sha256: fs.existsSync(current) ? sha256Of(current) : '',
      } });
    } else {
      await this.collection.deleteOne({ _id: doc._id });
    }
    return true;
  }
}
