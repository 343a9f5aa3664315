import { DefinitionError } from '../errors';
import { numberPromptIds } from '../prompts/number-words';
import {
  CommuneResults, ConditionName, Effect, FlowContext, FlowDefinition, FlowInput, FlowNode, FlowState, FlowVars, PromptRef,
  PromptTemplate, ReadBack, SpokenShare, StepResult, TurnEnd,
} from './types';

/**
 * The pure call engine: (definition, state, input, context) -> (new state, what to play, what
 * to keep). It never touches the network, the database or the clock.
 */

const MAX_HOPS = 64;

type Interactive = Extract<FlowNode, { type: 'menu' | 'language-menu' | 'commune-code' | 'place-list' | 'rate-indicators' | 'question' | 'record' | 'place-record' | 'resume-offer' | 'area-list' | 'facility-choice' | 'info-pieces' | 'provider-pin' | 'results' | 'alert-offer' | 'promise-news' }>;

/** Names read in one menu of a programme list: short enough to remember which key was which. */
const NAMES_PER_MENU = 4;

class Turn {
  readonly prompts: PromptRef[] = [];
  readonly effects: Effect[] = [];
  end: TurnEnd | null = null;
  constructor(readonly def: FlowDefinition, readonly ctx: FlowContext, public state: FlowState) {}

  get vars(): FlowVars {
    return this.state.vars;
  }

  fill(template: PromptTemplate, extra: Record<string, string> = {}): string {
    const values: Record<string, string | undefined> = {
      service: this.vars.service,
      topic: this.vars.topic,
      ...extra,
    };
    return template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const v = values[name];
      if (v === undefined) throw new DefinitionError(`prompt ${template} needs {${name}}, which this call has not set`);
      return v;
    });
  }

  play(template: PromptTemplate, extra?: Record<string, string>, language?: string) {
    this.prompts.push(language ? { id: this.fill(template, extra), language } : { id: this.fill(template, extra) });
  }

  playDigits(digits: string) {
    for (const d of digits) if (/[0-9]/.test(d)) this.play(this.def.prompts.digit, { digit: d });
  }

  /** Reads a commune back as its digits and, where recorded, its name; a reference number as digits. */
  readBack(what: ReadBack) {
    if (what === 'referenceNumber') {
      if (this.vars.referenceNumber) this.playDigits(this.vars.referenceNumber);
      return;
    }
    if (what === 'facility') {
      const id = this.vars.facility;
      if (id && this.ctx.hasRecording(`facility.${id}`, this.ctx.defaultLanguage)) this.play(`facility.${id}`, {}, this.ctx.defaultLanguage);
      return;
    }
    const code = this.vars[what];
    if (!code) return;
    // Content first: the commune and its district by name where recorded, else the code's digits.
    const name = this.fill(this.def.prompts.place, { code });
    if (!this.hasPlaceName(name)) {
      this.playDigits(code);
      return;
    }
    this.play(name, {}, this.ctx.defaultLanguage);
    const district = this.fill(this.def.prompts.place, { code: code.slice(0, 4) });
    if (code.length === 6 && this.hasPlaceName(district)) this.play(district, {}, this.ctx.defaultLanguage);
  }

  /** The programme communes to offer, the caller's last place first. */
  areaCommunes(): string[] {
    const all = [...(this.ctx.programmeCommunes?.() ?? [])];
    const last = this.vars.lastCommune;
    const at = last ? all.indexOf(last) : -1;
    if (at > 0) all.unshift(...all.splice(at, 1));
    return all;
  }

  /** The facilities to choose between for this call's commune and service. */
  facilityChoices(): readonly string[] {
    const { communeCode, service } = this.vars;
    return communeCode && service ? this.ctx.facilities?.(communeCode, service) ?? [] : [];
  }

  /** One menu of a name list: at most NAMES_PER_MENU, and whether there are more. */
  namePage<T>(all: readonly T[]) {
    const pages = Math.max(1, Math.ceil(all.length / NAMES_PER_MENU));
    const page = (this.vars.page ?? 0) % pages;
    return { items: all.slice(page * NAMES_PER_MENU, page * NAMES_PER_MENU + NAMES_PER_MENU), pages };
  }

  /** A place name is a Khmer proper noun: one recording, in the default language, serves every caller. */
  hasPlaceName(id: string): boolean {
    return this.ctx.hasRecording(id, this.ctx.defaultLanguage);
  }

  /** A place is named by its recording where one exists, else by its code read digit by digit. */
  playPlace(code: string) {
    const id = this.fill(this.def.prompts.place, { code });
    if (this.hasPlaceName(id)) this.play(id, {}, this.ctx.defaultLanguage);
    else this.playDigits(code);
  }

  node(id: string): FlowNode {
    const n = this.def.nodes[id];
    if (!n) throw new DefinitionError(`flow has no node ${id}`);
    return n;
  }

  condition(name: ConditionName): boolean {
    switch (name) {
      case 'callerHasLastCommune': return Boolean(this.vars.lastCommune);
      case 'hasCommuneAndService': return Boolean(this.where() && this.vars.service);
      case 'demographicsAsked': return Boolean(this.vars.demographicsAsked);
      case 'purposeIsMessage': return this.vars.purpose === 'message';
      // Known when the call starts (a callback to a caller who chose a language before).
      case 'callerLanguageKnown': return Boolean(this.ctx.caller.language);
      case 'purposeIsResults': return this.vars.purpose === 'results';
    }
  }

  /**
   * Where this call's rating or message is about: a commune, or a place the caller said (no code),
   * stored with an empty commune until staff confirm it. `key` names it in rating ids.
   */
  where(): { communeCode: string; spokenPlaceId?: string; key: string } | null {
    if (this.vars.communeCode) return { communeCode: this.vars.communeCode, key: this.vars.communeCode };
    if (this.vars.spokenPlace) return { communeCode: '', spokenPlaceId: this.vars.spokenPlace, key: spokenPlaceKey(this.vars.spokenPlace) };
    return null;
  }

  /** Moves to a node, running non-interactive nodes until one waits for the caller. */
  goTo(id: string) {
    for (let hops = 0; hops < MAX_HOPS; hops++) {
      const n = this.node(id);
      if (id !== this.state.node) this.state.invalids = 0;
      this.state.node = id;
      switch (n.type) {
        case 'start': {
          const branch = this.ctx.caller.promiseNews && n.promiseNews ? n.promiseNews
            : this.ctx.caller.callback && n.callback ? n.callback : this.ctx.caller.language ? n.knownCaller : n.newCaller;
          for (const p of branch.prompts) this.play(p);
          id = branch.next;
          continue;
        }
        case 'say':
          for (const p of n.prompts) this.play(p);
          if (n.readBack) this.readBack(n.readBack);
          id = n.next;
          continue;
        case 'branch':
          id = this.condition(n.condition) ? n.then : n.else;
          continue;
        case 'hangup':
          for (const p of n.prompts) this.play(p);
          this.hangUp();
          return;
        case 'rate-indicators':
          this.vars.indicatorIndex = 0;
          // A provider hears how to score their own service every time; a citizen once.
          if (n.selfAssessment) this.play(n.introPrompt);
          else if (!this.vars.introPlayed) {
            this.play(n.introPrompt);
            this.vars.introPlayed = true;
          }
          this.ask(n);
          return;
        case 'place-list':
          this.vars.page = 0;
          this.ask(n);
          return;
        case 'language-menu':
          this.vars.page = 0;
          // One language offered: nothing to choose, so no menu.
          if (this.ctx.languages.length === 1) {
            this.state.language = this.ctx.languages[0].code;
            id = n.next;
            continue;
          }
          this.ask(n);
          return;
        case 'area-list':
          if (this.areaCommunes().length === 0) {
            id = n.byCode;
            continue;
          }
          this.vars.page = 0;
          this.ask(n);
          return;
        case 'facility-choice': {
          const choices = this.facilityChoices();
          delete this.vars.facility;
          if (choices.length <= 1) {
            if (choices.length === 1) this.vars.facility = choices[0];
            id = n.next;
            continue;
          }
          this.vars.page = 0;
          this.ask(n);
          return;
        }
        case 'info-pieces':
          this.vars.piece = 1;
          this.ask(n);
          return;
        case 'results':
          this.speakResults(n);
          return;
        case 'provider-pin':
          delete this.vars.providerNumber;
          delete this.vars.selfAssessment;
          this.play(n.introPrompt);
          this.ask(n);
          return;
        case 'alert-offer': {
          const commune = this.vars.communeCode;
          if (!commune || this.vars.numberWithheld || this.vars.alertCommunes?.includes(commune)) {
            id = n.next;
            continue;
          }
          // Offered once per call and commune: a caller who said no is not asked again after the next rating.
          this.vars.alertCommunes = [...(this.vars.alertCommunes ?? []), commune];
          this.ask(n);
          return;
        }
        case 'promise-news':
          if (!this.vars.promiseNews?.items.length) {
            // The news call was withdrawn meanwhile (the caller stopped, staff blocked): nothing to tell.
            this.play(this.def.prompts.goodbye);
            this.hangUp();
            return;
          }
          this.ask(n);
          return;
        case 'resume-offer':
          if (!this.vars.resumable || !this.ctx.indicators(this.vars.resumable.service)[this.vars.resumable.indicatorIndex]) {
            delete this.vars.resumable;
            id = n.next;
            continue;
          }
          this.ask(n);
          return;
        default:
          this.ask(n);
          return;
      }
    }
    throw new DefinitionError(`flow loops without asking the caller anything (at ${id})`);
  }

  hangUp() {
    this.end = { type: 'hangup' };
    this.state.ended = true;
  }

  private gather(numDigits: number, timeoutSeconds = this.def.settings.menuTimeoutSeconds, finishOnKey = '') {
    this.end = { type: 'gather', numDigits, finishOnKey, timeoutSeconds };
  }

  /** Plays the question of the current node and waits for the caller. */
  ask(n: Interactive) {
    switch (n.type) {
      case 'menu':
        this.play(n.prompt);
        if (n.readBack) {
          this.readBack(n.readBack);
          if (n.readBackAgain) {
            this.play(n.readBackAgain);
            this.readBack(n.readBack);
          }
        }
        if (n.closingPrompt) this.play(n.closingPrompt);
        this.gather(1);
        return;
      case 'language-menu': {
        this.play(n.prompt);
        const { items, hasMore } = this.languagePage(n);
        for (const l of items) this.play(n.optionPrompt, { language: l.code }, l.code);
        if (hasMore && n.morePrompt) this.play(n.morePrompt);
        this.gather(1);
        return;
      }
      case 'commune-code':
        this.play(n.codeOnlyPrompt && !n.dontKnow && !this.canBrowse() ? n.codeOnlyPrompt : n.prompt);
        this.gather(this.def.settings.codeLength, this.def.settings.codeTimeoutSeconds, '#');
        return;
      case 'place-list': {
        this.play(n.prompt);
        const { items, hasMore } = this.page(n.level);
        items.forEach((code, i) => {
          this.playPlace(code);
          this.play(this.def.prompts.digit, { digit: String(i + 1) });
        });
        if (hasMore) this.play(n.morePrompt);
        if (n.unlistedPrompt && this.unlisted(n.level)) this.play(n.unlistedPrompt);
        this.gather(1);
        return;
      }
      case 'rate-indicators': {
        if (this.vars.leaving && n.leavePrompt) {
          this.play(n.leavePrompt);
          this.gather(1);
          return;
        }
        const indicator = this.currentIndicator();
        this.play(n.indicatorPrompt, { indicator });
        if (n.scaleHintPrompt) this.play(n.scaleHintPrompt);
        this.gather(1);
        return;
      }
      case 'question':
        // Asked once per call: a caller who leaves the questions (0) is not asked them again.
        this.vars.demographicsAsked = true;
        this.play(n.prompt);
        this.gather(1);
        return;
      case 'record':
      case 'place-record':
        this.play(n.prompt);
        this.end = { type: 'record', maxLengthSeconds: n.maxLengthSeconds };
        return;
      case 'area-list': {
        this.play(n.prompt);
        const { items, pages } = this.namePage(this.areaCommunes());
        items.forEach((code, i) => {
          this.playPlace(code);
          this.play(this.def.prompts.digit, { digit: String(i + 1) });
        });
        if (pages > 1) this.play(n.morePrompt);
        this.play(n.notListedPrompt);
        this.gather(1);
        return;
      }
      case 'facility-choice': {
        this.play(n.prompt);
        const { items, pages } = this.namePage(this.facilityChoices());
        items.forEach((id, i) => {
          this.play(`facility.${id}`, {}, this.ctx.defaultLanguage);
          this.play(this.def.prompts.digit, { digit: String(i + 1) });
        });
        if (pages > 1) this.play(n.morePrompt);
        this.gather(1);
        return;
      }
      case 'info-pieces': {
        const piece = this.vars.piece ?? 1;
        this.play(n.piecePrompt, { piece: String(piece) });
        this.play(piece < this.infoPieces() ? n.morePrompt : n.closingPrompt);
        this.gather(1);
        return;
      }
      case 'results':
        // The question waiting: "was it done?" after an item, or what to do once all was heard.
        this.play((this.vars.resultsItem ?? -1) >= 0 ? n.checkPrompt : n.afterPrompt);
        this.gather(1);
        return;
      case 'provider-pin':
        // The number first, then its PIN; both end early on # and wait as long as a commune code.
        if (this.vars.providerNumber === undefined) {
          this.play(n.numberPrompt);
          this.gather(n.numberDigits, this.def.settings.codeTimeoutSeconds, '#');
        } else {
          this.play(n.pinPrompt);
          this.gather(n.pinDigits, this.def.settings.codeTimeoutSeconds, '#');
        }
        return;
      case 'alert-offer':
        this.play(n.prompt);
        this.gather(1);
        return;
      case 'promise-news':
        for (const item of this.vars.promiseNews?.items ?? []) {
          this.play(n.servicePrompt, { service: item.service });
          this.play(n.statusPrompt, { status: item.status });
        }
        this.play(n.stopPrompt);
        this.gather(1);
        return;
      case 'resume-offer': {
        const r = this.vars.resumable!;
        this.play(n.prompt, { service: r.service });
        this.playPlace(r.communeCode);
        if (r.facilityId) this.play(`facility.${r.facilityId}`, {}, this.ctx.defaultLanguage);
        this.play(n.pressPrompt);
        this.gather(1);
        return;
      }
    }
  }

  parentAt(level: 'province' | 'district' | 'commune'): string | undefined {
    return level === 'district' ? this.vars.provinceCode : level === 'commune' ? this.vars.districtCode : undefined;
  }

  placesAt(level: 'province' | 'district' | 'commune'): readonly string[] {
    return this.ctx.places(level, this.parentAt(level));
  }

  unlisted(level: 'province' | 'district' | 'commune'): number {
    return this.ctx.unlistedPlaces?.(level, this.parentAt(level)) ?? 0;
  }

  /** Browsing by name needs at least one province whose names are all recorded. */
  canBrowse(): boolean {
    return this.placesAt('province').length > 0;
  }

  page(level: 'province' | 'district' | 'commune') {
    const all = this.placesAt(level);
    const size = this.def.settings.pageSize;
    const pages = Math.max(1, Math.ceil(all.length / size));
    const page = (this.vars.page ?? 0) % pages;
    return { items: all.slice(page * size, page * size + size), hasMore: pages > 1, pages };
  }

  /** The languages read on the current page of a language menu: `pageSize` at a time when set, all otherwise. */
  languagePage(n: Extract<FlowNode, { type: 'language-menu' }>) {
    const all = this.ctx.languages;
    const size = n.pageSize ?? all.length;
    const pages = Math.max(1, Math.ceil(all.length / size));
    const page = (this.vars.page ?? 0) % pages;
    return { items: all.slice(page * size, page * size + size), hasMore: pages > 1, pages };
  }

  /** How many pieces the current I4C topic is played in (at least one). */
  infoPieces(): number {
    const { service, topic } = this.vars;
    if (!service || !topic) throw new DefinitionError('an I4C topic reached without a service and topic');
    return Math.max(1, this.ctx.infoPieces?.(service, topic, this.state.language) ?? 1);
  }

  currentIndicator(): string {
    const list = this.ctx.indicators(this.vars.service ?? '');
    const i = this.vars.indicatorIndex ?? 0;
    if (!list[i]) throw new DefinitionError(`no indicator ${i} for service ${this.vars.service}`);
    return list[i];
  }

  /** Answers a key on the current node: the next node, or null when the key is not an option. */
  answer(n: Interactive, digits: string): boolean {
    switch (n.type) {
      case 'menu': {
        const option = n.options[digits];
        if (!option) return false;
        if (option.set) Object.assign(this.vars, option.set);
        if (option.action && !this.act(option.action)) return false;
        this.goTo(option.next);
        return true;
      }
      case 'language-menu': {
        const choice = this.ctx.languages.find((l) => l.key === digits);
        if (!choice && digits === '9' && this.languagePage(n).pages > 1) {
          // "For other languages, press 9": the next few (each keeps its own key, so any key works on any page).
          this.vars.page = ((this.vars.page ?? 0) + 1) % this.languagePage(n).pages;
          this.ask(n);
          return true;
        }
        if (!choice) return false;
        this.state.language = choice.code;
        this.effects.push({ type: 'remember-language', language: choice.code });
        this.goTo(n.next);
        return true;
      }
      case 'commune-code': {
        if (digits.includes('*')) {
          // Where whole provinces are named, * lists them (until programme areas replace the lists);
          // elsewhere the caller says the place, or (with no place-record node) is asked for the code only.
          if (n.dontKnow && !this.canBrowse()) this.goTo(n.dontKnow);
          else if (n.codeOnlyPrompt && !this.canBrowse()) this.ask(n);
          else this.goTo(n.browse);
          return true;
        }
        const code = digits.replace(/#/g, '');
        if (/^[0-9]+$/.test(code) && code.length === this.def.settings.codeLength && this.ctx.isCommune(code)) {
          this.vars.pendingCommune = code;
          this.goTo(n.next);
          return true;
        }
        this.play(n.unknownPrompt);
        this.playDigits(code);
        return false;
      }
      case 'place-list': {
        const { items, pages } = this.page(n.level);
        if (digits === '#' && n.byCode && this.unlisted(n.level)) {
          this.goTo(n.byCode);
          return true;
        }
        if (digits === '9' && pages > 1) {
          this.vars.page = ((this.vars.page ?? 0) + 1) % pages;
          this.ask(n);
          return true;
        }
        const index = Number(digits) - 1;
        const code = /^[1-8]$/.test(digits) ? items[index] : undefined;
        if (!code) return false;
        if (n.level === 'province') this.vars.provinceCode = code;
        else if (n.level === 'district') this.vars.districtCode = code;
        else this.vars.pendingCommune = code;
        this.goTo(n.next);
        return true;
      }
      case 'rate-indicators': {
        if (this.vars.leaving) {
          // The caller pressed 0: 0 again leaves (every answer given is saved), 1 goes on.
          if (digits !== '0' && digits !== '1') return false;
          delete this.vars.leaving;
          if (digits === '0') this.goTo(this.def.mainMenu);
          else this.ask(n);
          return true;
        }
        if (n.selfAssessment) return this.answerSelfAssessment(n, digits);
        const dontKnow = n.dontKnowKey !== undefined && digits === n.dontKnowKey;
        if (!dontKnow && !/^[1-5]$/.test(digits)) return false;
        // "Don't know / did not use" is kept as an answer without a score: counted apart, never averaged.
        const score = dontKnow ? null : Number(digits);
        const { service } = this.vars;
        const where = this.where();
        if (!where || !service) throw new DefinitionError('rate-indicators reached without a commune and service');
        const { communeCode, spokenPlaceId } = where;
        const facilityId = this.vars.facility;
        this.effects.push({
          type: 'save-rating', communeCode, service, indicatorId: this.currentIndicator(), score,
          ...(dontKnow ? { noScore: 'dont-know' as const } : {}), ...(spokenPlaceId ? { spokenPlaceId } : {}), ...(facilityId ? { facilityId } : {}),
        });
        const key = `${where.key}:${service}:${this.currentIndicator()}${facilityId ? `:${facilityId}` : ''}`;
        if (!this.vars.rated?.includes(key)) this.vars.rated = [...(this.vars.rated ?? []), key];
        if (dontKnow) {
          if (n.dontKnowPrompt) this.play(n.dontKnowPrompt);
        } else {
          this.play(n.scalePrompt, { score: digits });
        }
        this.vars.indicatorIndex = (this.vars.indicatorIndex ?? 0) + 1;
        this.state.invalids = 0;
        if (this.vars.indicatorIndex >= this.ctx.indicators(service).length) {
          this.effects.push({ type: 'forget-unfinished-rating' });
          delete this.vars.unfinishedNoted;
          this.goTo(n.next);
        } else {
          // Noted once per service rated; later answers are found among the call's ratings. A place
          // still to confirm has no commune to offer back on the next call.
          const noted = `${communeCode}:${service}:${facilityId ?? ''}`;
          if (!spokenPlaceId && this.vars.unfinishedNoted !== noted) {
            this.effects.push({ type: 'remember-unfinished-rating', rating: { communeCode, service, indicatorIndex: this.vars.indicatorIndex, ...(facilityId ? { facilityId } : {}) } });
            this.vars.unfinishedNoted = noted;
          }
          this.ask(n);
        }
        return true;
      }
      case 'area-list':
      case 'facility-choice':
        return this.answerNameList(n, digits);
      case 'info-pieces': {
        const piece = this.vars.piece ?? 1;
        if (digits === '1' && piece < this.infoPieces()) {
          this.vars.piece = piece + 1;
          this.state.invalids = 0;
          this.ask(n);
          return true;
        }
        const option = n.options[digits];
        if (!option) return false;
        delete this.vars.piece;
        this.goTo(option.next);
        return true;
      }
      case 'resume-offer': {
        const r = this.vars.resumable;
        if (!r || (digits !== '1' && digits !== '2')) return false;
        delete this.vars.resumable;
        if (digits === '2') {
          this.effects.push({ type: 'forget-unfinished-rating' });
          this.goTo(n.next);
          return true;
        }
        const rate = this.node(n.rateNode);
        if (rate.type !== 'rate-indicators') throw new DefinitionError(`resume-offer ${this.state.node}: ${n.rateNode} is not a rate-indicators node`);
        // Straight to the next unanswered indicator: the scale was explained in the earlier call.
        Object.assign(this.vars, { communeCode: r.communeCode, service: r.service, purpose: 'rate', indicatorIndex: r.indicatorIndex, introPlayed: true, ...(r.facilityId ? { facility: r.facilityId } : {}) });
        this.state.node = n.rateNode;
        this.state.invalids = 0;
        this.ask(rate);
        return true;
      }
      case 'question': {
        const value = n.answers[digits];
        if (value === undefined) return false;
        this.vars.demographics = { ...this.vars.demographics, [n.field]: value };
        // The last question answered: kept on the caller for the reporting year.
        const done = this.node(n.next).type !== 'question';
        this.effects.push({ type: 'set-demographics', demographics: this.vars.demographics, ...(done ? { done } : {}) });
        this.goTo(n.next);
        return true;
      }
      case 'provider-pin':
        return this.answerProviderPin(n, digits);
      case 'results':
        return this.answerResults(n, digits);
      case 'alert-offer':
        // 1 signs up; any other key is "no" (never an invalid key: this is an offer, not a question).
        if (digits === '1' && this.vars.communeCode) {
          this.effects.push({ type: 'subscribe-promise-alerts', communeCode: this.vars.communeCode });
          this.play(n.yesPrompt);
        }
        this.goTo(n.next);
        return true;
      case 'promise-news':
        if (digits === '9' && this.vars.promiseNews) {
          this.effects.push({ type: 'stop-promise-alerts', newsCallId: this.vars.promiseNews.newsCallId, communeCode: this.vars.promiseNews.communeCode });
          this.play(n.stoppedPrompt);
        } else {
          this.play(this.def.prompts.goodbye);
        }
        this.hangUp();
        return true;
      case 'record':
      case 'place-record':
        return false;
    }
  }

  /** The results of this call's commune, read by the app before the turn. */
  communeResults(): CommuneResults | null {
    const code = this.vars.communeCode;
    if (!code) return null; // a place said aloud, not confirmed yet: nothing is published for it
    const found = this.ctx.communeResults?.(code);
    if (!found) throw new DefinitionError(`results of commune ${code} were not read before the turn`);
    return found;
  }

  /** A number in words of the caller's language, one recorded fragment after another. */
  playNumber(template: PromptTemplate, n: number) {
    for (const id of numberPromptIds(n, this.state.language)) this.play(template, { number: id.slice('number.'.length) });
  }

  /** From the start: the commune, each service's figure, the council's promises up to the first question. */
  speakResults(n: Extract<FlowNode, { type: 'results' }>) {
    const results = this.communeResults();
    if (!results?.services) this.play(n.noResultsPrompt);
    else {
      this.play(n.introPrompt);
      this.playPlace(results.communeCode);
      for (const s of results.services) {
        this.play(n.servicePrompt, { service: s.service });
        if (s.status === 'shown') this.speakShare(n, s);
        else if (s.status === 'no-ratings') this.play(n.noRatingsPrompt);
        else {
          this.play(n.tooFewPrompt);
          // The wider view the public page suggests: the whole district, where it has enough callers.
          if (s.district && n.districtPrompt) {
            this.play(n.districtPrompt);
            this.speakShare(n, s.district);
          }
        }
      }
    }
    if (!results?.promises?.length) {
      this.play(n.noPromisesPrompt);
      this.vars.resultsItem = -1;
      this.ask(n);
      return;
    }
    this.play(n.promisesPrompt);
    this.speakPromises(n, results, 0);
  }

  /** "7 of every 10 callers were satisfied", or fewer than 1 / more than 9 of every 10. */
  speakShare(n: Extract<FlowNode, { type: 'results' }>, share: SpokenShare) {
    if (share.underOne) this.play(n.underOnePrompt);
    else if (share.overNine) this.play(n.overNinePrompt);
    else {
      this.playNumber(n.numberPrompt, share.tenths);
      this.play(n.satisfiedPrompt);
    }
  }

  /** The promises from index `from` on, stopping at the first to ask about ("was it done?"), else at the end. */
  speakPromises(n: Extract<FlowNode, { type: 'results' }>, results: CommuneResults, from: number) {
    const promises = results.promises ?? [];
    for (let i = from; i < promises.length; i++) {
      const p = promises[i];
      this.play(n.promisedPrompt);
      // The item's own words where the studio recorded them (in Khmer, as the council wrote them), else what it is about.
      const own = this.fill(n.itemPrompt, { item: p.itemId.toLowerCase() });
      if (this.ctx.hasRecording(own, this.ctx.defaultLanguage)) this.play(own, {}, this.ctx.defaultLanguage);
      else {
        this.play(n.aboutPrompt, { service: p.service });
        if (p.indicatorId && this.ctx.indicators(p.service).includes(p.indicatorId)) this.play(n.indicatorPrompt, { service: p.service, indicator: p.indicatorId });
      }
      this.play(n.byPrompt);
      this.play(n.monthPrompt, { month: String(p.month) });
      this.play(n.statusPrompt);
      this.play(n.statusValuePrompt, { status: p.status });
      if (p.askCheck && !this.vars.checkedItems?.includes(p.itemId)) {
        this.vars.resultsItem = i;
        this.ask(n);
        return;
      }
    }
    this.vars.resultsItem = -1;
    this.ask(n);
  }

  /** "Was it done?" 1-3 (kept), 9 (not known): the next promises. At the end, 1 hears it all again. */
  answerResults(n: Extract<FlowNode, { type: 'results' }>, digits: string): boolean {
    const at = this.vars.resultsItem ?? -1;
    if (at < 0) {
      if (digits !== '1') return false;
      this.speakResults(n);
      return true;
    }
    const answer = ({ '1': 'yes', '2': 'partly', '3': 'no' } as const)[digits as '1' | '2' | '3'];
    if (!answer && digits !== '9') return false;
    const results = this.communeResults();
    const item = results?.promises?.[at];
    if (!results || !item) throw new DefinitionError(`results: no item ${at} to check in commune ${this.vars.communeCode}`);
    if (answer) {
      this.effects.push({ type: 'check-jaap-item', itemId: item.itemId, communeCode: results.communeCode, answer });
      this.play(n.checkThanksPrompt);
    }
    // Asked once in a call, answered or not: the caller who does not know is not asked again on "hear again".
    this.vars.checkedItems = [...(this.vars.checkedItems ?? []), item.itemId];
    this.state.invalids = 0;
    this.speakPromises(n, results, at + 1);
    return true;
  }

  /** The provider number, then the PIN, checked by the app (the context's providerSignIn). */
  answerProviderPin(n: Extract<FlowNode, { type: 'provider-pin' }>, digits: string): boolean {
    const keys = digits.replace(/#/g, '');
    if (keys === '') {
      // A # left over from the entry before (it was whole without it): the question again, nothing counted.
      this.ask(n);
      return true;
    }
    if (this.vars.providerNumber === undefined) {
      // Any number is taken: whether it exists is told only together with its PIN.
      if (!/^[0-9]+$/.test(keys)) return false;
      this.vars.providerNumber = keys;
      this.state.invalids = 0;
      this.ask(n);
      return true;
    }
    const found = this.ctx.providerSignIn?.(digits) ?? { result: 'refused' as const };
    delete this.vars.providerNumber;
    switch (found.result) {
      case 'accepted':
        this.vars.selfAssessment = { roundIds: found.roundIds };
        this.vars.service = found.service;
        if (found.facilityId) this.vars.facility = found.facilityId;
        else delete this.vars.facility;
        this.play(n.acceptedPrompt);
        this.goTo(n.next);
        return true;
      case 'no-round':
        this.play(n.noRoundPrompt);
        this.goTo(n.exit);
        return true;
      case 'locked':
        this.play(n.lockedPrompt);
        this.goTo(n.exit);
        return true;
      case 'refused':
        // Never which part was wrong: the same words, and the number asked again.
        this.play(n.wrongPrompt);
        this.state.invalids = 0;
        this.ask(n);
        return true;
    }
  }

  /** A provider's score of their own service: 1-5 only, kept for each current round, no rating and no resume offer. */
  answerSelfAssessment(n: Extract<FlowNode, { type: 'rate-indicators' }>, digits: string): boolean {
    const rounds = this.vars.selfAssessment?.roundIds;
    if (!rounds || !this.vars.service) throw new DefinitionError('a self-assessment reached without a provider signed in');
    if (!/^[1-5]$/.test(digits)) return false;
    this.effects.push({ type: 'save-self-assessment', roundIds: rounds, indicatorId: this.currentIndicator(), score: Number(digits) });
    this.play(n.scalePrompt, { score: digits });
    this.vars.indicatorIndex = (this.vars.indicatorIndex ?? 0) + 1;
    this.state.invalids = 0;
    if (this.vars.indicatorIndex >= this.ctx.indicators(this.vars.service).length) {
      delete this.vars.selfAssessment;
      this.goTo(n.next);
    } else {
      this.ask(n);
    }
    return true;
  }

  /** A key on a programme name list: 1-4 picks a name of this menu, 9 hears more, the not-listed key leaves for code entry. */
  answerNameList(n: Extract<FlowNode, { type: 'area-list' | 'facility-choice' }>, digits: string): boolean {
    const { items, pages } = this.namePage(n.type === 'area-list' ? this.areaCommunes() : this.facilityChoices());
    if (n.type === 'area-list' && digits === n.notListedKey) {
      this.goTo(n.byCode);
      return true;
    }
    if (digits === '9' && pages > 1) {
      this.vars.page = ((this.vars.page ?? 0) + 1) % pages;
      this.ask(n);
      return true;
    }
    const picked = /^[1-4]$/.test(digits) ? items[Number(digits) - 1] : undefined;
    if (!picked) return false;
    if (n.type === 'area-list') this.vars.pendingCommune = picked;
    else this.vars.facility = picked;
    this.goTo(n.next);
    return true;
  }

  act(action: string): boolean {
    switch (action) {
      case 'useLastCommune':
        if (!this.vars.lastCommune) return false;
        this.vars.communeCode = this.vars.lastCommune;
        delete this.vars.spokenPlace;
        return true;
      case 'confirmCommune':
        if (!this.vars.pendingCommune) return false;
        this.vars.communeCode = this.vars.pendingCommune;
        this.vars.lastCommune = this.vars.pendingCommune;
        delete this.vars.spokenPlace;
        this.effects.push({ type: 'remember-commune', communeCode: this.vars.pendingCommune });
        return true;
      case 'sendMessage': {
        const { recording, service } = this.vars;
        const where = this.where();
        if (!recording || !where || !service) return false;
        const { communeCode, spokenPlaceId } = where;
        this.effects.push({ type: 'save-message', communeCode, service, recording, ...(spokenPlaceId ? { spokenPlaceId } : {}), ...(this.vars.facility ? { facilityId: this.vars.facility } : {}) });
        this.vars.referenceNumber = recording.referenceNumber;
        this.vars.sentMessageId = recording.recordingSid;
        delete this.vars.recording;
        return true;
      }
      case 'recordAgain':
        if (this.vars.recording) this.effects.push({ type: 'discard-recording', recording: this.vars.recording });
        delete this.vars.recording;
        return true;
      case 'optInAnswerCall':
        if (!this.vars.sentMessageId) return false;
        this.effects.push({ type: 'request-answer-call', messageId: this.vars.sentMessageId });
        return true;
      default:
        throw new DefinitionError(`unknown action ${action}`);
    }
  }
}

/** How a place still to confirm is named in a rating's id (where a commune code would be). */
export function spokenPlaceKey(recordingSid: string): string {
  return `spoken-${recordingSid}`;
}

export function initialState(ctx: FlowContext): FlowState {
  return {
    node: '',
    language: ctx.caller.language ?? ctx.defaultLanguage,
    silences: 0,
    invalids: 0,
    vars: {
      ...(ctx.caller.lastCommune ? { lastCommune: ctx.caller.lastCommune } : {}),
      ...(ctx.caller.unfinishedRating ? { resumable: ctx.caller.unfinishedRating } : {}),
      // A caller who has rated before heard the scale then: each statement still ends with the short scale.
      ...(ctx.caller.lastCommune ? { introPlayed: true } : {}),
      // Answered (or skipped) this reporting year: stamped on this call's ratings, not asked again.
      ...(ctx.caller.demographics ? { demographics: ctx.caller.demographics, demographicsAsked: true } : {}),
      ...(ctx.caller.alertCommunes?.length ? { alertCommunes: ctx.caller.alertCommunes } : {}),
      ...(ctx.caller.withheld ? { numberWithheld: true } : {}),
      ...(ctx.caller.promiseNews ? { promiseNews: ctx.caller.promiseNews } : {}),
    },
    ended: false,
  };
}

/**
 * The keys a node's question waits for when it takes more than one (a commune code today, a
 * reference number tomorrow): how many, and the key that ends them early. Read from the Gather
 * the node itself asks with, so every multi-key input follows the same rule.
 */
type KeyEntry = { numDigits: number; finishOnKey: string; timeoutSeconds: number };

function multiKeyEntry(def: FlowDefinition, ctx: FlowContext, state: FlowState, n: Interactive): KeyEntry | null {
  const probe = new Turn(def, ctx, structuredClone(state));
  try {
    probe.ask(n);
  } catch {
    return null; // the question cannot be asked here; the turn itself will say why
  }
  const end = probe.end;
  return end?.type === 'gather' && end.numDigits > 1 ? { numDigits: end.numDigits, finishOnKey: end.finishOnKey, timeoutSeconds: end.timeoutSeconds } : null;
}

/**
 * Whether keys that arrived for a multi-key entry are only its beginning: fewer than it takes,
 * no finishing key, no `*`, nothing garbled, and a carrier that ends a Gather on a pause shorter
 * than the entry's own wait (so a short entry may be a caller who paused, not one who stopped).
 */
function entryIsShort(ctx: FlowContext, entry: KeyEntry, keys: string): boolean {
  if (ctx.keyGapSeconds === undefined || ctx.keyGapSeconds >= entry.timeoutSeconds) return false;
  if (entry.finishOnKey && keys.includes(entry.finishOnKey)) return false;
  return /^[0-9]*$/.test(keys) && keys.length < entry.numDigits;
}

function isInteractive(n: FlowNode): n is Interactive {
  return ['menu', 'language-menu', 'commune-code', 'place-list', 'rate-indicators', 'question', 'record', 'place-record', 'resume-offer', 'area-list', 'facility-choice', 'info-pieces', 'provider-pin', 'results', 'alert-offer', 'promise-news'].includes(n.type);
}

/**
 * The keys this turn will answer a provider-pin node's PIN question with, or null when it will
 * not (another node, the number still asked, the entry not whole yet after a pause, * or 0 alone).
 * The app checks them against the store before the turn (the check counts wrong tries), so this
 * follows step() exactly: the same multi-key rule, the same shared keys.
 */
export function providerPinEntry(def: FlowDefinition, state: FlowState | null, input: FlowInput, ctx: FlowContext): string | null {
  if (!state || state.ended || input.type === 'start') return null;
  const n = def.nodes[state.node];
  if (!n || n.type !== 'provider-pin' || state.vars.providerNumber === undefined) return null;
  const entry = multiKeyEntry(def, ctx, state, n);
  const partial = state.partialKeys;
  let keys: string;
  if (input.type === 'silence') {
    if (!entry || !partial) return null;
    keys = partial;
  } else if (input.type === 'digits') {
    keys = entry ? (partial ?? '') + input.digits : input.digits;
    if (entry && keys.length > 0 && entryIsShort(ctx, entry, keys)) return null;
  } else {
    return null;
  }
  // * and 0 alone are the shared keys; # alone (left over from the number) is asked again: none is a PIN.
  if (keys === '*' || keys === '0' || keys.replace(/#/g, '') === '') return null;
  return keys;
}

/** Runs one turn of the call. `state` is not modified; the new state is returned. */
export function step(def: FlowDefinition, state: FlowState | null, input: FlowInput, ctx: FlowContext, carriedEffects: Effect[] = []): StepResult {
  const turn = new Turn(def, ctx, state && input.type !== 'start' ? structuredClone(state) : initialState(ctx));
  turn.effects.push(...carriedEffects);
  if (input.type === 'start' || !state) {
    turn.goTo(def.start);
    return finish(turn);
  }
  if (turn.state.ended) {
    turn.hangUp();
    return finish(turn);
  }
  const current = turn.node(turn.state.node);
  if (!isInteractive(current)) throw new DefinitionError(`call waits on node ${turn.state.node}, which asks nothing`);

  // A multi-key entry in pieces: keep what came, gather the rest quietly, answer once it is whole.
  const entry = multiKeyEntry(def, ctx, turn.state, current);
  const partial = turn.state.partialKeys;
  delete turn.state.partialKeys;
  if (entry && partial && input.type === 'silence') {
    // The rest never came within the wait: the entry is what the caller typed.
    turn.state.silences = 0;
    if (!turn.answer(current, partial)) return invalid(turn, current);
    return finish(turn);
  }
  if (entry && input.type === 'digits') {
    const keys = (partial ?? '') + input.digits;
    if (keys.length > 0 && entryIsShort(ctx, entry, keys)) {
      turn.state.silences = 0;
      turn.state.partialKeys = keys;
      turn.end = { type: 'gather', numDigits: entry.numDigits - keys.length, finishOnKey: entry.finishOnKey, timeoutSeconds: entry.timeoutSeconds };
      return finish(turn);
    }
    input = { type: 'digits', digits: keys };
  }

  if (input.type === 'silence' && current.type === 'language-menu' && current.silenceChoosesDefault) {
    // "For Khmer, stay on the line": silence is an answer here, the default language.
    const choice = ctx.languages.find((l) => l.code === ctx.defaultLanguage) ?? ctx.languages[0];
    turn.state.silences = 0;
    if (!turn.answer(current, choice.key)) return invalid(turn, current);
    return finish(turn);
  }
  if (input.type === 'silence' && current.type === 'alert-offer') {
    // Silence is "no" to the offer: the call goes on, and it is not counted as a silence.
    turn.state.silences = 0;
    turn.answer(current, '');
    return finish(turn);
  }
  const resultsHeard = current.type === 'results' && (turn.vars.resultsItem ?? -1) < 0;
  if (input.type === 'silence' && ((current.type === 'menu' && current.silenceEnds) || current.type === 'info-pieces' || resultsHeard || current.type === 'promise-news')) {
    // After content the caller has heard: end politely rather than replay it.
    turn.play(def.prompts.goodbye);
    turn.hangUp();
    return finish(turn);
  }
  if (input.type === 'silence') {
    turn.state.silences += 1;
    if (turn.state.silences >= def.settings.maxSilences) {
      turn.play(def.prompts.silenceGoodbye ?? def.prompts.goodbye);
      turn.hangUp();
    } else {
      turn.play(def.prompts.noInput);
      turn.ask(current);
    }
    return finish(turn);
  }

  if (input.type === 'recording' && input.silent && (current.type === 'record' || current.type === 'place-record')) {
    // Nothing was said (0 s, or no speech in it): silence, and the recording is not kept.
    turn.effects.push({ type: 'discard-recording', recording: { recordingSid: input.recordingSid, recordingUrl: input.recordingUrl, durationSeconds: input.durationSeconds, referenceNumber: '' } });
    return step(def, state, { type: 'silence' }, ctx, turn.effects);
  }

  turn.state.silences = 0;
  if (input.type === 'recording' && current.type === 'place-record') {
    const recording = { recordingSid: input.recordingSid, recordingUrl: input.recordingUrl, durationSeconds: input.durationSeconds, referenceNumber: '' };
    turn.effects.push({ type: 'keep-spoken-place', recording, purpose: turn.vars.purpose ?? '' });
    turn.vars.spokenPlace = input.recordingSid;
    delete turn.vars.communeCode;
    turn.play(current.savedPrompt);
    turn.goTo(current.next);
    return finish(turn);
  }
  if (input.type === 'recording') {
    if (current.type !== 'record') return invalid(turn, current);
    turn.vars.recording = {
      recordingSid: input.recordingSid,
      recordingUrl: input.recordingUrl,
      durationSeconds: input.durationSeconds,
      referenceNumber: input.referenceNumber,
    };
    turn.goTo(current.next);
    return finish(turn);
  }

  const digits = input.digits;
  // Shared keys: * repeats, 0 returns to the main menu (in code entry both are part of the code).
  if (current.type !== 'commune-code') {
    if (digits === '*') {
      turn.ask(current);
      return finish(turn);
    }
    if (digits === '0' && current.type === 'rate-indicators' && current.leavePrompt && !turn.vars.leaving) {
      // Leaving a rating half-way is asked first: a slip of the finger must not end it.
      turn.vars.leaving = true;
      turn.ask(current);
      return finish(turn);
    }
    if (digits === '0' && current.type === 'question' && current.skipTo) {
      // 0 skips the questions about the caller: kept as asked for the reporting year.
      turn.effects.push({ type: 'set-demographics', demographics: turn.vars.demographics ?? {}, done: true });
      turn.goTo(current.skipTo);
      return finish(turn);
    }
    if (digits === '0' && turn.state.node !== def.mainMenu && !(current.type === 'rate-indicators' && turn.vars.leaving)) {
      turn.goTo(def.mainMenu);
      return finish(turn);
    }
  }
  if (!turn.answer(current, digits)) return invalid(turn, current);
  return finish(turn);
}

function invalid(turn: Turn, current: Interactive): StepResult {
  turn.state.invalids += 1;
  // At the main menu itself there is nowhere to start again from: the key map and the menu again.
  const atMainMenu = turn.state.node === turn.def.mainMenu;
  if (turn.state.invalids >= turn.def.settings.maxInvalid && !atMainMenu) {
    // Never a move without a word: say where the caller is going and that nothing is lost.
    if (turn.def.prompts.toMainMenu) turn.play(turn.def.prompts.toMainMenu);
    delete turn.vars.leaving;
    turn.goTo(turn.def.mainMenu);
    turn.state.invalids = 0;
  } else if (current.type === 'rate-indicators' && current.invalidPrompt && !turn.vars.leaving) {
    // A rating question names its scale: "press a number from 1 to 5, or 9 if you do not know".
    turn.play(current.invalidPrompt);
    turn.ask(current);
  } else {
    // The commune-code node has already said why the code was refused.
    if (current.type !== 'commune-code') turn.play(turn.def.prompts.invalid);
    turn.ask(current);
  }
  return finish(turn);
}

function finish(turn: Turn): StepResult {
  if (!turn.end) throw new DefinitionError(`turn at ${turn.state.node} ended without asking or hanging up`);
  return { state: turn.state, output: { prompts: turn.prompts, end: turn.end }, effects: turn.effects };
}
