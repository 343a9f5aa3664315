import { AppConfig } from '../config/config';
import { loadLanguages } from '../config/languages';
import { loadFlow } from '../flow/definition';
import { loadGazetteer } from '../gazetteer/gazetteer';
import { loadI4cContent, topicsOfFlow } from '../i4c/content';
import { indicatorIds, loadScorecard } from '../scorecard/scorecard';
import { loadProgrammeAreas } from '../site/programme-areas';
import { loadSiteCatalog } from '../site/site-folder';
import { DoctorDefinitions } from './doctor';

/** Loads the definitions the doctor judges, as the hotline loads them (site folder first). */
export function loadDoctorDefinitions(config: AppConfig): DoctorDefinitions {
  const languages = loadLanguages(config.languagesFile);
  const catalog = loadSiteCatalog(config);
  const services = indicatorIds(loadScorecard(config.scorecardFile));
  const flow = loadFlow(config.flowFile, { services, languages: languages.languages.map((l) => l.code), hasPrompt: (id) => id in catalog.prompts });
  const content = loadI4cContent(config.i4cContentDir, { services: Object.keys(services), topics: topicsOfFlow(flow.nodes), requiredLanguages: ['en', languages.default] });
  const gazetteer = loadGazetteer(config.gazetteerDir);
  const programmeAreas = loadProgrammeAreas(config.programmeAreasFile, { gazetteer, services: Object.keys(services) });
  return { languages, catalog, flow, content, gazetteer, programmeAreas };
}
