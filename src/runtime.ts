import { logCallEnd } from './calls/call-end';
import { CallStatusJournal } from './calls/call-status-journal';
import { CallTurns, reportingYear } from './calls/call-turns';
import { AppConfig } from './config/config';
import { LanguageConfig, loadLanguages } from './config/languages';
import { loadFlow } from './flow/definition';
import { FlowContext, FlowDefinition } from './flow/types';
import { Gazetteer, loadGazetteer } from './gazetteer/gazetteer';
import { checkI4cContent } from './i4c/content';
import { createLogger, Logger } from './logging/logger';
import { MessagesRepository } from './messages/messages';
import { Health } from './ops/health';
import { HotlineMetrics } from './ops/metrics';
import { buildOutbound, Outbound } from './outbound/outbound';
import { PromptCatalog } from './prompts/catalog';
import { LanguageReadiness } from './prompts/language-readiness';
import { loadSiteCatalog, prepareSiteAudio } from './site/site-folder';
import { allPlaceCodes, DraftPlaceNames, PlaceNames, placePromptId } from './prompts/place-names';
import { PromptAudio } from './prompts/prompt-audio';
import { RecordingsWatch } from './prompts/recordings-watch';
import { PhoneSelfAssessments, ProviderSelfAssessmentLine } from './rounds/phone-self-assessment';
import { ProviderPinsRepository } from './rounds/provider-pins';
import { RoundRegister } from './rounds/round-register';
import { JaapRegister } from './jaap/jaap-register';
import { PublishedResultsLine } from './public/phone-results';
import { PublicResults } from './public/public-results';
import { AuditLog } from './staff/audit-log';
import { indicatorIds, loadScorecard, Scorecard } from './scorecard/scorecard';
import { loadProgrammeAreas, offeredProgramme, ProgrammePlaces } from './site/programme-areas';
import { CallersRepository } from './store/callers';
import { CallsRepository } from './store/calls';
import { ensureRepeatRatingsMarked } from './store/repeat-ratings';
import { openStore } from './store/open-store';
import { PlacesToConfirmRepository } from './store/places-to-confirm';
import { RatingsRepository } from './store/ratings';
import { Store } from './store/store';
import { CARRIER_PROFILES } from './telephony/carrier-profile';

/** Everything the app is made of, built once from the config. */
export interface Runtime {
  config: AppConfig;
  logger: Logger;
  store: Store;
  flow: FlowDefinition;
  languages: LanguageConfig;
  scorecard: Scorecard;
  catalog: PromptCatalog;
  gazetteer: Gazetteer;
  audio: PromptAudio;
  /** The languages the language menu offers now (only fully recorded ones in production). */
  languageReadiness: LanguageReadiness;
  /** Which provinces a caller can browse by name (every name in them recorded). */
  placeNames: PlaceNames;
  /** The programme's communes and facilities callers choose by name (site folder config/programme-areas.json). */
  programme: ProgrammePlaces;
  /** Re-reads what is recorded when the audio folder changes, off callers' turns; refreshNow() after a studio save. */
  recordings: RecordingsWatch;
  callers: CallersRepository;
  calls: CallsRepository;
  /** Call statuses kept on disk while the database would not take them (src/calls/call-status-journal.ts). */
  callStatusJournal: CallStatusJournal;
  ratings: RatingsRepository;
  messages: MessagesRepository;
  /** Places callers said instead of a code, for staff to confirm (src/store/places-to-confirm.ts). */
  places: PlacesToConfirmRepository;
  /** Scorecard rounds, service providers' PINs and their phone self-assessment answers. */
  rounds: RoundRegister;
  providerPins: ProviderPinsRepository;
  selfAssessments: PhoneSelfAssessments;
  /** Published results (fixed periods' snapshots) and citizens' checks of JAAP items (src/public). */
  publicResults: PublicResults;
  turns: CallTurns;
  /** Callbacks: the queue and the shared limits on outbound calling (src/outbound). */
  outbound: Outbound;
  /** Each dependency the line needs, as GET /health answers (src/ops/health.ts). */
  health: Health;
  /** This instance's counters and the queue depths, for Prometheus (src/ops/metrics.ts; served only when METRICS_PORT is set). */
  metrics: HotlineMetrics;
  /** Stops the runtime's own timers and folder watches (the recordings watch, the status replay); the store stays open. */
  stopBackgroundWork(): void;
  /** stopBackgroundWork, then closes the store. */
  close(): Promise<void>;
}

/** Loads and checks every definition file, then opens the store. Throws ConfigError/DefinitionError naming what is wrong. */
export async function buildRuntime(config: AppConfig, opts: { logger?: Logger; store?: Store } = {}): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const languages = loadLanguages(config.languagesFile);
  const scorecard = loadScorecard(config.scorecardFile);
  // The site folder's prompt audio is seeded from (and upgraded with) the shipped placeholders.
  const siteAudio = prepareSiteAudio(config);
  if (siteAudio?.added.length || siteAudio?.upgraded.length) {
    logger.info({ siteAudio: config.audioDir, added: siteAudio.added.length, upgraded: siteAudio.upgraded.length }, 'site prompt audio brought up to date with the shipped placeholders');
  }
  const catalog = loadSiteCatalog(config);
  const services = indicatorIds(scorecard);
  const flow = loadFlow(config.flowFile, {
    services,
    languages: languages.languages.map((l) => l.code),
    hasPrompt: (id) => id in catalog.prompts,
  });
  const i4c = checkI4cContent(config.i4cContentDir, flow, Object.keys(services), catalog, languages.default, logger);
  const gazetteer = loadGazetteer(config.gazetteerDir);
  const programmeAreas = offeredProgramme(loadProgrammeAreas(config.programmeAreasFile, { gazetteer, services: Object.keys(services) }));
  if (programmeAreas.sample) logger.warn({ file: config.programmeAreasFile }, 'the programme areas are the shipped sample: callers are offered no communes or facilities by name until the site folder has config/programme-areas.json');
  const audio = new PromptAudio(config.audioDir, config.publicBaseUrl, languages.default, logger);
  const languageReadiness = new LanguageReadiness({
    audioDir: config.audioDir, catalog, languages, enforce: config.onlyReadyLanguages, acceptKhmerMachineVoice: config.acceptKhmerMachineVoice, logger,
  });

  // Where machine voice does not count as recorded, a synthesized place name does not either.
  const drafts = config.onlyReadyLanguages && !config.acceptKhmerMachineVoice
    ? new DraftPlaceNames(config.audioDir, languages.default, allPlaceCodes(gazetteer))
    : null;
  // A programme name is offered once recorded (a Khmer proper noun, one recording in the default language).
  const programme = new ProgrammePlaces(programmeAreas, (id) => audio.has(id, languages.default) && !(id.startsWith('place.') && drafts?.has(id.slice('place.'.length))));
  const placeNames = new PlaceNames(gazetteer, (code) => audio.has(placePromptId(code), languages.default) && !drafts?.has(code), () => audio.generation());
  // What is recorded is worked out now, before the line listens, and again only off callers' turns.
  placeNames.browsableProvinces();
  const recordings = new RecordingsWatch({
    audioDir: config.audioDir, languages: languages.languages.map((l) => l.code), logger,
    readers: [() => audio.readListing(), ...(drafts ? [() => drafts.readDrafts()] : []), () => languageReadiness.readCoverage()],
    afterUse: () => placeNames.browsableProvinces(),
  });
  recordings.start();

  let store: Store;
  try {
    store = opts.store ?? (await openStore(config));
    await ensureRepeatRatingsMarked(store, (msg, fields) => logger.info(fields ?? {}, msg));
  } catch (err) {
    // No runtime is returned to close: the watch would outlive the failed start.
    recordings.stop();
    throw err;
  }
  const callers = new CallersRepository(store);
  const calls = new CallsRepository(store);
  const outbound = buildOutbound(store, config);
  const health = new Health({ store, dataDir: config.dataDir, logger, outbound });
  // Counted whether or not they are served (a few additions per call); the queue depths are /health's counts.
  const metrics = new HotlineMetrics(() => health.backlog());
  // A status kept during an outage that ends a call writes its call-end line when saved.
  const callStatusJournal = new CallStatusJournal(config.dataDir, calls, logger, (e) => void logCallEnd({ calls, logger, flow, metrics }, e.callSid, e.status, e.durationSeconds));
  const ratings = new RatingsRepository(store);
  const messages = new MessagesRepository(store);
  const places = new PlacesToConfirmRepository(store);
  const rounds = new RoundRegister(store);
  const providerPins = new ProviderPinsRepository(store, config.callerHashSecret, { maxFailures: config.providerPinMaxFailures, lockoutMinutes: config.providerPinLockoutMinutes });
  const selfAssessments = new PhoneSelfAssessments(store, rounds);
  const publicResults = new PublicResults(store);
  const providers = new ProviderSelfAssessmentLine(providerPins, rounds, selfAssessments, new AuditLog(store), reportingYear);

  const context: Omit<FlowContext, 'caller'> = {
    defaultLanguage: languages.default,
    // A getter: each turn reads the menu as it is now, so a language that loses a recording
    // leaves it without a restart, and a caller who remembered it gets the language menu.
    get languages() {
      return languageReadiness.offered().map((l) => ({ code: l.code, key: l.key }));
    },
    isCommune: (code) => gazetteer.isCommune(code),
    places: (level, parent) => placeNames.offered(level, parent),
    unlistedPlaces: (level) => placeNames.unlisted(level),
    indicators: (service) => services[service] ?? [],
    hasRecording: (id, lang) => audio.has(id, lang),
    keyGapSeconds: CARRIER_PROFILES[config.carrier].keyGapSeconds,
    programmeCommunes: () => programme.communes(),
    facilities: (communeCode, service) => programme.choosable(communeCode, service),
    // The pieces of the language whose audio plays: the caller's where recorded, else the default language's.
    infoPieces: (service, topic, lang) => {
      const own = audio.has(`info.${service}.${topic}.1`, lang) ? i4c.pieceCount(service, topic, lang) : 0;
      return own || i4c.pieceCount(service, topic, languages.default);
    },
  };
  const groups = new Map(languages.languages.map((l) => [l.code, l.group]));
  const turns = new CallTurns({
    flow, context, callers, calls, ratings, messages, places, providers, logger, answerCalls: outbound, promiseAlerts: outbound, metrics,
    results: new PublishedResultsLine(publicResults, new JaapRegister(store)),
    languageGroup: (code) => groups.get(code) ?? 'other',
  });

  const stopBackgroundWork = () => {
    recordings.stop();
    callStatusJournal.stop();
  };
  return {
    config, logger, store, flow, languages, scorecard, catalog, gazetteer, audio, languageReadiness, placeNames, programme, recordings, callers, calls, callStatusJournal, ratings, messages, places, rounds, providerPins, selfAssessments, publicResults, turns, outbound, health, metrics,
    stopBackgroundWork,
    close: () => {
      stopBackgroundWork();
      return store.close();
    },
  };
}
