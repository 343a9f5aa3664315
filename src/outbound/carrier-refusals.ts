/**
 * Refusals of a create that are the operator's to fix, not the citizen's: the account's
 * credentials, standing, balance or caller number. Calling the next number would be refused the
 * same way, so outbound calling pauses with the queue kept, and staff are told what to fix.
 *
 * Somleng (github.com/somleng/somleng):
 * - 401 from every Twilio-API request before it is read (app/controllers/twilio_api_controller.rb
 *   `authorize_account!` / `unauthorized_render_options`): code "20003" "Authenticate" for wrong
 *   credentials (a rotated auth token), "30002" for a disabled account (`account_suspended`),
 *   "S1004" when the carrier is not in good standing (`carrier_standing`); codes from
 *   app/errors/application_error/errors.rb.
 * - 400 from the create's request schema (app/controllers/api_controller.rb `validate_request_schema`,
 *   lib/invalid_request_schema_responder.rb `status: :bad_request`, code from
 *   app/serializers/twilio_api/request_errors_serializer.rb): "21210" when From is not an active
 *   number of the account (app/request_schemas/twilio_api/phone_call_request_schema.rb rule(:From)),
 *   "S1005" insufficient balance and "S1006" no tariff plan for calls
 *   (app/models/account_billing_policy.rb, through schema_rules/phone_call_destination_schema_rules.rb).
 * Twilio: 401 with 20003 (twilio.com/docs/errors/20003), 400 with 21210 (twilio.com/docs/errors/21210),
 * 400 with 21215 when the account's geographic permissions do not allow the country
 * (twilio.com/docs/errors/21215).
 */
export type OperatorProblemKind = 'credentials' | 'suspended' | 'carrier-standing' | 'balance' | 'subscription' | 'from-number' | 'geo-permissions';

export interface OperatorProblem {
  kind: OperatorProblemKind;
  httpStatus: number;
  code: string;
  /** What is wrong and what to do, in English for the log (the staff page says it in the reader's language). */
  what: string;
  fix: string;
}

const BY_CODE: Record<string, OperatorProblemKind> = {
  20003: 'credentials', 30002: 'suspended', S1004: 'carrier-standing', S1005: 'balance', S1006: 'subscription', 21210: 'from-number', 21215: 'geo-permissions',
};

const TEXT: Record<OperatorProblemKind, (from: string) => { what: string; fix: string }> = {
  credentials: () => ({
    what: 'the carrier refused the account\'s credentials',
    fix: 'copy the account SID and the current auth token from the carrier\'s console into TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (a rotated token must be copied again) and restart',
  }),
  suspended: () => ({ what: 'the carrier account is suspended', fix: 'ask the carrier to enable the account again' }),
  'carrier-standing': () => ({ what: 'the carrier (the Somleng operator) is not in good standing', fix: 'ask the Somleng operator to restore its standing (plan or payment)' }),
  balance: () => ({ what: 'the carrier account has too little balance', fix: 'top up the account\'s balance at the carrier' }),
  subscription: () => ({ what: 'the carrier account has no tariff plan for outbound calls', fix: 'ask the carrier to subscribe the account to outbound calls' }),
  'from-number': (from) => ({
    what: `OUTBOUND_FROM_NUMBER ${from} is not an active number of the carrier account`,
    fix: 'set OUTBOUND_FROM_NUMBER to one of the account\'s numbers (npm run doctor checks it) and restart',
  }),
  'geo-permissions': () => ({ what: 'the carrier account may not call this country', fix: 'allow calls to Cambodia in the account\'s geographic permissions at the carrier' }),
};

/** The operator problem a refused create stands for, or null when it concerns this call only. */
export function operatorProblemOf(httpStatus: number | undefined, code: string | number | undefined, fromNumber: string): OperatorProblem | null {
  const c = code === undefined || code === null ? '' : String(code);
  let kind: OperatorProblemKind | undefined = BY_CODE[c];
  // Every 401 is about the account, whatever its code: nothing else can be called either.
  if (httpStatus === 401 && (!kind || !['credentials', 'suspended', 'carrier-standing'].includes(kind))) kind = 'credentials';
  if (!kind || (httpStatus !== 401 && httpStatus !== 400)) return null;
  return { kind, httpStatus, code: c || String(httpStatus), ...TEXT[kind](fromNumber) };
}
