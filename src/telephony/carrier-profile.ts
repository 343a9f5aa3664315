/**
 * The few real differences between the carriers the hotline runs on, named once by the CARRIER
 * setting. Everything else (TwiML, webhook parameters, signatures) is read the same way for both;
 * differences in what a carrier *posts* are handled where webhooks are read, whatever CARRIER says.
 */
export type CarrierName = 'twilio' | 'somleng';
export const CARRIER_NAMES: readonly CarrierName[] = ['twilio', 'somleng'];

export interface CarrierProfile {
  name: CarrierName;
  /**
   * Seconds of pause between keys after which the carrier ends a <Gather> early, whatever its
   * `timeout`; undefined when `timeout` also covers the gaps between keys.
   * Somleng: 2 (adhearsion lib/adhearsion/configuration.rb `inter_digit_timeout 2`, used by
   * somleng-switch components/app/app/workflows/execute_gather.rb through `context.ask`, which
   * passes only `timeout` = the initial timeout). Twilio: the Gather `timeout` "between digits"
   * (https://www.twilio.com/docs/voice/twiml/gather#timeout).
   */
  keyGapSeconds?: number;
  /**
   * Whether the carrier's API can delete a recording. Somleng cannot: config/routes.rb declares
   * `resources :recordings, only: %i[index show]`, so a DELETE is answered 404 and the audio stays.
   */
  deletesRecordings: boolean;
}

export const CARRIER_PROFILES: Record<CarrierName, CarrierProfile> = {
  twilio: { name: 'twilio', deletesRecordings: true },
  somleng: { name: 'somleng', keyGapSeconds: 2, deletesRecordings: false },
};

/** Why recordings stay at a carrier that cannot delete them (shown to staff, logged at start-up). */
export const SOMLENG_KEEPS_RECORDINGS = "Somleng's API has no DELETE for recordings; remove them in the Somleng dashboard or ask its operator";
