import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { CarrierModel, GatherAttrs, RecordingApi } from './carrier-model';
import { collectKeys } from './twilio-model';

/**
 * Somleng, as its source shows it. Read from github:somleng/somleng-switch (commit 3442ba84,
 * the TwiML executor) and github:somleng/somleng (commit dcdc7557, the REST API and callbacks);
 * paths below are in those repositories. Where Somleng does the same as Twilio the behaviour
 * is not repeated here: only what it posts and how it times keys differ.
 */
export class SomlengModel implements CarrierModel {
  readonly name = 'somleng' as const;
  /** Accounts, calls and recordings have UUID ids (somleng db/schema.rb: `create_table "accounts", id: :uuid`, same for phone_calls and recordings). */
  readonly accountSid = randomUUID();
  readonly authToken = 'somleng-model-auth-token-0123456789';
  readonly api = new SomlengApi(this.accountSid);

  env(): Record<string, string> {
    return {
      // Both buckets a recording's media is redirected to (see SomlengApi): as README tells operators.
      CARRIER: 'somleng', CARRIER_API_URL: this.api.url, CARRIER_MEDIA_HOSTS: `${this.api.storageHost},${this.api.rawRecordingsHost}`,
      TWILIO_ACCOUNT_SID: this.accountSid, TWILIO_AUTH_TOKEN: this.authToken,
    };
  }

  newCallSid(): string {
    return randomUUID();
  }

  newRecordingSid(): string {
    return randomUUID();
  }

  /**
   * Every request: Caller, Called, From, To, CallSid, Direction, AccountSid, ApiVersion, and
   * CallStatus `ringing` on the voice URL request, `in-progress` on every redirect after it
   * (somleng-switch components/app/app/call_controllers/call_controller.rb, request_twiml,
   * prepare_twiml and redirect).
   */
  callParams(call: { callSid: string; from: string }, callStatus: string): Record<string, string> {
    return {
      Caller: call.from, Called: '+85523000000', From: call.from, To: '+85523000000', CallSid: call.callSid,
      Direction: 'inbound', AccountSid: this.accountSid, ApiVersion: '2010-04-01', CallStatus: callStatus,
    };
  }

  /**
   * <Gather> runs adhearsion's `ask` with only `timeout`, `limit` (numDigits) and `terminator`
   * (finishOnKey) (components/app/app/workflows/execute_gather.rb, ask_options), so the gap
   * between keys is adhearsion's default `inter_digit_timeout 2` seconds
   * (github:somleng/adhearsion lib/adhearsion/configuration.rb; used as inter_digit_timeout in
   * lib/adhearsion/call_controller/input/prompt_builder.rb), whatever `timeout` says. Keys
   * after a longer pause land in whatever Gather comes next. No key: `return if digits.blank?`
   * and the next verb runs. Digits is the only parameter added (build_callback_params).
   */
  collect(g: GatherAttrs, queue: { key: string; gapSeconds: number }[]) {
    return collectKeys(g, queue, () => 2);
  }

  /**
   * <Record> always redirects to the action with exactly RecordingUrl and RecordingDuration
   * (components/app/app/workflows/execute_record.rb, build_callback_params): no RecordingSid,
   * no Digits, and no exception for an empty or silent recording. RecordingDuration is
   * `duration.to_i / 1000`: whole seconds, 0 under one second. RecordingUrl is the `url` of the
   * recording the call platform created (somleng app/serializers/services/recording_serializer.rb:
   * api_twilio_account_phone_call_recording_url, i.e.
   * /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}/Recordings/{RecordingSid}, no extension).
   */
  recordAction(call: { callSid: string }, rec: { sid: string; seconds: number; silent: boolean }) {
    return { RecordingUrl: this.recordingUrl(call.callSid, rec.sid), RecordingDuration: String(Math.floor(rec.seconds)) };
  }

  /**
   * Once the audio is processed, every recording with a status callback URL is reported
   * (somleng app/workflows/process_recording.rb -> notify_recording_status_callback.rb), with
   * ApiVersion, CallSid, AccountSid, RecordingSid, RecordingUrl (the /Calls/ form),
   * RecordingStatus `completed`, RecordingDuration, RecordingChannels 1, RecordingStartTime,
   * RecordingSource RecordVerb (app/serializers/twilio_api/webhook/recording_status_callback_serializer.rb,
   * app/decorators/recording_decorator.rb).
   */
  recordingStatus(call: { callSid: string }, rec: { sid: string; seconds: number; silent: boolean }) {
    // ProcessRecording has attached the file by now (process_recording.rb:18-24, then :27 queues this callback).
    this.api.processed.add(rec.sid);
    return {
      ApiVersion: '2010-04-01', CallSid: call.callSid, AccountSid: this.accountSid, RecordingSid: rec.sid,
      RecordingUrl: this.recordingUrl(call.callSid, rec.sid), RecordingStatus: 'completed', RecordingDuration: String(Math.floor(rec.seconds)),
      RecordingChannels: '1', RecordingStartTime: new Date().toUTCString(), RecordingSource: 'RecordVerb',
    };
  }

  /**
   * The status callback comes once, when the call ends (somleng app/jobs/complete_phone_call_job.rb,
   * notify_status_callback_url), with the Twilio names and statuses
   * (app/serializers/twilio_api/webhook/voice_status_callback_serializer.rb, app/decorators/phone_call_decorator.rb).
   */
  endStatus(call: { callSid: string; from: string }, seconds: number) {
    return {
      CallSid: call.callSid, AccountSid: this.accountSid, From: call.from, To: '+85523000000', CallStatus: 'completed', ApiVersion: '2010-04-01',
      Direction: 'inbound', CallDuration: String(seconds), SipResponseCode: '200', CallbackSource: 'call-progress-events',
      Timestamp: new Date().toUTCString(), SequenceNumber: '0',
    };
  }

  recordingUrl(callSid: string, sid: string): string {
    return `${this.api.url}/2010-04-01/Accounts/${this.accountSid}/Calls/${callSid}/Recordings/${sid}`;
  }
}

/**
 * The Twilio-compatible API (somleng config/routes.rb): Recordings are routed `only: %i[index]`
 * and `only: %i[show]` (with `defaults: { format: "wav" }`), under the account and under
 * Calls/{id}; there is no destroy route, so a DELETE is a 404 and the recording stays. `show`
 * needs no credentials (app/controllers/twilio_api/recordings_controller.rb skips
 * doorkeeper_authorize! for :show) and answers the audio with a redirect to its storage
 * (`redirect_to(recording.file.url, allow_other_host: true)`, an S3 URL in production:
 * config/storage.yml `amazon`). The storage is a second loopback server here.
 *
 * Until its ProcessRecording job has attached the file (app/workflows/process_recording.rb:18-24),
 * a recording has only its raw_recording_url, and `show` redirects to a presigned URL in a
 * second bucket, RAW_RECORDINGS_BUCKET (recordings_controller.rb:31-36 and :49-51,
 * app/models/raw_recording_presigned_url.rb:9-13, config/app_settings.yml:18). The status
 * callback comes only after that job (process_recording.rb:27), so while the caller is still on
 * the line the audio is in the raw bucket: a third loopback server here, another origin again.
 */
class SomlengApi extends RecordingApi {
  private storage!: http.Server;
  private rawStorage!: http.Server;
  storageHost = '';
  rawRecordingsHost = '';
  /** Recordings whose ProcessRecording job has run: served from the uploads bucket. */
  readonly processed = new Set<string>();

  constructor(private readonly accountSid: string) {
    super();
  }

  override async start(): Promise<void> {
    await super.start();
    this.storage = http.createServer((req, res) => {
      const rec = this.recordings.get((req.url ?? '').replace(/^\/uploads\//, '').split('?')[0]);
      this.requests.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0], status: rec ? 200 : 404, host: req.headers.host ?? '' });
      res.writeHead(rec ? 200 : 404, { 'content-type': rec ? 'audio/x-wav' : 'application/xml' });
      res.end(rec?.audio ?? '<Error><Code>NoSuchKey</Code></Error>');
    });
    await new Promise<void>((resolve) => this.storage.listen(0, '127.0.0.1', resolve));
    // "localhost" is another origin than the API's 127.0.0.1, as an S3 bucket host is.
    this.storageHost = `localhost:${(this.storage.address() as AddressInfo).port}`;
    this.rawStorage = http.createServer((req, res) => {
      const key = (req.url ?? '').split('?')[0].replace(/^\//, '');
      const rec = this.recordings.get(key.replace(/\.(wav|mp3)$/, ''));
      this.requests.push({ method: req.method ?? '', path: `/${key}`, status: rec ? 200 : 404, host: req.headers.host ?? '' });
      res.writeHead(rec ? 200 : 404, { 'content-type': rec ? 'audio/x-wav' : 'application/xml' });
      res.end(rec?.audio ?? '<Error><Code>NoSuchKey</Code></Error>');
    });
    await new Promise<void>((resolve) => this.rawStorage.listen(0, '127.0.0.1', resolve));
    // The raw-recordings bucket: its own host, as <RAW_RECORDINGS_BUCKET>.s3.<region>.amazonaws.com is.
    this.rawRecordingsHost = `localhost:${(this.rawStorage.address() as AddressInfo).port}`;
  }

  override async stop(): Promise<void> {
    this.storage.closeAllConnections?.();
    await new Promise<void>((resolve) => this.storage.close(() => resolve()));
    this.rawStorage.closeAllConnections?.();
    await new Promise<void>((resolve) => this.rawStorage.close(() => resolve()));
    await super.stop();
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const path = (req.url ?? '').split('?')[0];
    const m = /^\/2010-04-01\/Accounts\/([^/]+)(?:\/Calls\/([^/]+))?\/Recordings\/([^/.]+)(\.wav|\.mp3|\.json)?$/.exec(path);
    if (!m || m[1] !== this.accountSid || req.method !== 'GET') return this.answer(req, res, 404, '{"message":"Not Found"}', { 'content-type': 'application/json' });
    const rec = this.recordings.get(m[3]);
    if (!rec) return this.answer(req, res, 404, '', {});
    if (m[4] === '.json') return this.answer(req, res, 200, JSON.stringify({ sid: rec.sid }), { 'content-type': 'application/json' });
    // recordings_controller.rb:28-29 once the file is attached; :31-35 and :49-51 before (the raw object, presigned).
    if (!this.processed.has(rec.sid)) return this.answer(req, res, 302, '', { location: `http://${this.rawRecordingsHost}/${rec.sid}.wav?X-Amz-Signature=presigned` });
    return this.answer(req, res, 302, '', { location: `http://${this.storageHost}/uploads/${rec.sid}?X-Amz-Signature=presigned` });
  }
}
