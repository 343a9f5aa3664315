import { Logger } from '../logging/logger';
import { CarrierRecordings } from './carrier-recordings';
import { checkRecording, recordingIsSilent } from './recording-audio-check';
import { RECORDING_MAX_BYTES } from './recording-download-worker';

/** How long the Record action may spend listening to the recording before the caller hears the next question. */
export const IN_CALL_CHECK_MS = 4000;

/**
 * Listens to a recording while the caller waits, so one with no speech is asked again in the same
 * call instead of being "saved". Twilio never posts an empty recording to the action
 * (https://www.twilio.com/docs/voice/twiml/record#action: "if Twilio receives an empty recording,
 * it will not make a request to the action URL"); Somleng posts every one (somleng-switch
 * components/app/app/workflows/execute_record.rb redirects to the action unconditionally).
 * Gives up (undefined) after `budgetMs` or on any failure: the download worker checks the audio
 * again before anything is kept, so a recording missed here is still never saved.
 */
export function inCallSilenceCheck(carrier: CarrierRecordings, logger: Logger, budgetMs = IN_CALL_CHECK_MS) {
  return async (recordingUrl: string): Promise<boolean | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), budgetMs); });
    const listen = (async () => {
      const { data } = await carrier.download(recordingUrl);
      const checked = await checkRecording(data, { maxBytes: RECORDING_MAX_BYTES });
      return recordingIsSilent(data, checked.format, { timeoutMs: budgetMs });
    })().catch((err: unknown) => {
      logger.info({ err: (err as Error).message }, 'recording could not be listened to during the call; the download worker will check it');
      return undefined;
    });
    try {
      return await Promise.race([listen, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}
