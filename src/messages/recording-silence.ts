import { Logger } from '../logging/logger';
import { CarrierRecordings, MediaRedirectRefusedError } from './carrier-recordings';
import { checkRecording, recordingIsSilent } from './recording-audio-check';
import { RECORDING_MAX_BYTES } from './recording-download-worker';

/** How long the Record action may spend listening to the recording before the caller hears the next question. */
export const IN_CALL_CHECK_MS = 4000;

/** The log line of a check that did not happen (a silent caller then hears "message saved"). */
export const SKIPPED_CHECK = 'recording not listened to during the call: a silent caller was told their message was saved; the download worker will still drop it';

/**
 * Listens to a recording while the caller waits, so one with no speech is asked again in the same
 * call instead of being "saved". Twilio never posts an empty recording to the action
 * (https://www.twilio.com/docs/voice/twiml/record#action: "if Twilio receives an empty recording,
 * it will not make a request to the action URL"); Somleng posts every one (somleng-switch
 * components/app/app/workflows/execute_record.rb redirects to the action unconditionally).
 * Gives up (undefined) after `budgetMs` or on any failure: the download worker checks the audio
 * again before anything is kept, so a recording missed here is still never saved. But the caller
 * then hears "message saved" and a reference number for a message that will be dropped, so a
 * skipped check is a warning for the operator, with what to fix when it is the setting: Somleng
 * serves a recording from a second, raw-recordings bucket until its ProcessRecording job ends
 * (somleng app/controllers/twilio_api/recordings_controller.rb:31-36,49-51,
 * app/models/raw_recording_presigned_url.rb:9-13), which is exactly while the caller waits.
 */
export function inCallSilenceCheck(carrier: CarrierRecordings, logger: Logger, budgetMs = IN_CALL_CHECK_MS) {
  return async (recordingUrl: string): Promise<boolean | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        logger.warn({ budgetMs }, SKIPPED_CHECK);
        resolve(undefined);
      }, budgetMs);
    });
    const listen = (async () => {
      const { data } = await carrier.download(recordingUrl);
      const checked = await checkRecording(data, { maxBytes: RECORDING_MAX_BYTES });
      return recordingIsSilent(data, checked.format, { timeoutMs: budgetMs });
    })().catch((err: unknown) => {
      const fix = err instanceof MediaRedirectRefusedError
        ? `add ${err.host.replace(/^https?:\/\//, '')} to CARRIER_MEDIA_HOSTS (on Somleng list both its uploads bucket and its raw-recordings bucket; README "Connecting a Somleng account")`
        : undefined;
      // After the time-out the caller was already answered (and it was logged once).
      if (!timedOut) logger.warn({ err: (err as Error).message, ...(fix ? { fix } : {}) }, SKIPPED_CHECK);
      return undefined;
    });
    try {
      return await Promise.race([listen, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}
