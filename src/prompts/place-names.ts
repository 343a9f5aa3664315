import * as fs from 'node:fs';
import { Gazetteer } from '../gazetteer/gazetteer';
import { AudioSources, sha256Of, sha256OfAsync } from './audio-sources';

/**
 * Place names, done once. A place name is a Khmer proper noun, so one recording per place,
 * `<default language>/place.<code>` (Khmer), serves every language.
 *
 * A caller browses by name only where every name is recorded: a province is listed only when its
 * own name and those of all its districts and communes are. While any is missing, that
 * province's communes are chosen by their code (from the poster), never read out digit by digit
 * in long pages.
 */

export const placePromptId = (code: string) => `place.${code}`;

/** Every place a caller can hear by name when browsing: provinces, then districts, then communes. */
export function allPlaceCodes(gazetteer: Gazetteer): string[] {
  const districts = gazetteer.provinces.flatMap((p) => gazetteer.childrenOf(p.code));
  const communes = districts.flatMap((d) => gazetteer.childrenOf(d.code));
  return [...gazetteer.provinces, ...districts, ...communes].map((p) => p.code);
}

export interface ProvinceNames {
  code: string;
  /** Places of the province (itself, districts, communes) and how many of them have a name recorded. */
  places: number;
  named: number;
  missing: string[];
}

export class PlaceNames {
  private browsable: { codes: string[]; generation: number } | null = null;

  /**
   * @param isNamed whether a place's name is recorded (the hotline passes its prompt library, which
   *   re-reads the audio folder, so a new recording counts without a restart).
   * @param namesGeneration changes whenever the recordings may have changed (the prompt library's
   *   re-reads): every browsing turn asks for the browsable provinces, and working them out checks
   *   all 1,900 place names, so they are kept until then.
   */
  constructor(
    private readonly gazetteer: Gazetteer,
    private readonly isNamed: (code: string) => boolean,
    private readonly namesGeneration: () => number = () => NaN,
  ) {}

  /** Per province: how many of its names are recorded, and which are missing. */
  provinces(): ProvinceNames[] {
    return this.gazetteer.provinces.map((p) => {
      const codes = [p.code, ...this.gazetteer.childrenOf(p.code).flatMap((d) => [d.code, ...this.gazetteer.childrenOf(d.code).map((c) => c.code)])];
      const missing = codes.filter((c) => !this.isNamed(c));
      return { code: p.code, places: codes.length, named: codes.length - missing.length, missing };
    });
  }

  browsableProvinces(): string[] {
    const generation = this.namesGeneration();
    // NaN (no generation given) never equals itself: worked out afresh each time.
    if (!this.browsable || this.browsable.generation !== generation) {
      this.browsable = { codes: this.provinces().filter((p) => p.missing.length === 0).map((p) => p.code), generation };
    }
    return this.browsable.codes;
  }

  /** The places a browsing caller is offered: all named, in code order. */
  offered(level: 'province' | 'district' | 'commune', parentCode?: string): string[] {
    if (level === 'province') return this.browsableProvinces();
    // Districts and communes are only reached through a listed (fully named) province.
    return this.gazetteer.childrenOf(parentCode ?? '').map((p) => p.code);
  }

  /** How many places at this level are left out of the spoken list. */
  unlisted(level: 'province' | 'district' | 'commune'): number {
    return level === 'province' ? this.gazetteer.provinces.length - this.browsableProvinces().length : 0;
  }
}

/**
 * Place names that are still machine-voice drafts (`npm run prompts -- synthesize --places`):
 * the ones listed in machine-voice.json whose file is still that draft. Where machine voice does
 * not count as recorded (production without ACCEPT_KHMER_MACHINE_VOICE), they are not offered
 * for browsing. Read at start-up and again off callers' turns (src/prompts/recordings-watch.ts);
 * a file is only hashed again when its size or time changed.
 */
export class DraftPlaceNames {
  private drafts = new Set<string>();
  private readonly hashes = new Map<string, { stamp: string; sha256: string }>();

  constructor(
    private readonly audioDir: string,
    private readonly language: string,
    private readonly codes: readonly string[],
  ) {
    const sources = AudioSources.load(this.audioDir);
    const drafts = new Set<string>();
    for (const { code, id, entry } of this.listed(sources)) {
      const file = sources.fileOf(this.language, id);
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        continue;
      }
      if (this.hashOf(id, st, () => sha256Of(file)) === entry.sha256) drafts.add(code);
    }
    this.drafts = drafts;
  }

  has(code: string): boolean {
    return this.drafts.has(code);
  }

  /** Reads the manifest and the listed files without blocking; the answer changes only when the returned function is called. */
  async readDrafts(): Promise<() => void> {
    const sources = await AudioSources.loadAsync(this.audioDir);
    const drafts = new Set<string>();
    for (const { code, id, entry } of this.listed(sources)) {
      const file = sources.fileOf(this.language, id);
      let st: fs.Stats;
      try {
        st = await fs.promises.stat(file);
      } catch {
        continue;
      }
      const cached = this.hashes.get(id);
      const sha256 = cached?.stamp === stampOf(st) ? cached.sha256 : await sha256OfAsync(file);
      if (this.hashOf(id, st, () => sha256) === entry.sha256) drafts.add(code);
    }
    return () => {
      this.drafts = drafts;
    };
  }

  private *listed(sources: AudioSources) {
    for (const code of this.codes) {
      const id = placePromptId(code);
      const entry = sources.machineVoiceOf(this.language, id);
      if (entry) yield { code, id, entry };
    }
  }

  /** The file's checksum, from the cache while its size and time are unchanged. */
  private hashOf(id: string, st: fs.Stats, hash: () => string): string {
    const stamp = stampOf(st);
    const cached = this.hashes.get(id);
    const sha256 = cached?.stamp === stamp ? cached.sha256 : hash();
    this.hashes.set(id, { stamp, sha256 });
    return sha256;
  }
}

const stampOf = (st: fs.Stats) => `${st.size}:${st.mtimeMs}`;
