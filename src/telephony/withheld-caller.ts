/**
 * Caller IDs that stand for "the caller withheld their number", not for a person. Each of them
 * is treated as withheld: the call gets a caller id of its own, so nothing is remembered from one
 * such call to the next (no welcome.back, no commune of another caller).
 *
 * Twilio: a withheld caller ID arrives in `From` either as a word or as that word spelled on a
 * phone keypad. Twilio's changelog "Upcoming changes to withheld caller ID behavior for <Dial>
 * calls" (2022-11-16, twilio.com/changelog/upcoming-changes-to-withheld-caller-ids-behavior-for-dial-calls)
 * says Programmable Voice "translates the alpha string into digits" for ANONYMOUS, RESTRICTED
 * etc. and will pass the alpha string on instead; so both forms occur:
 *   ANONYMOUS +266696687, RESTRICTED +7378742833, UNAVAILABLE +86282452253,
 *   UNKNOWN +8656696, BLOCKED +2562533.
 *
 * Somleng (github:somleng/somleng, app/request_schemas/services/inbound_phone_call_request_schema.rb):
 * `from` is reduced to its digits (ApplicationRequestSchema::Types::Number) and must be filled
 * and a plausible E.164 number not starting with 0 (app/models/phone_number_validator.rb), or
 * the inbound call is refused before any webhook. Its gateways take `from` from the SIP From
 * user part (somleng-switch components/gateway/public_gateway/opensips.cfg:
 * X-Somleng-Caller-Identity: $fU), which for a withheld SIP caller is "anonymous" (RFC 3323):
 * Somleng has no numeric placeholder of its own, and the words below cover what else reaches us.
 */
export const KEYPAD_PLACEHOLDERS: readonly string[] = [
  '266696687', // ANONYMOUS
  '7378742833', // RESTRICTED
  '86282452253', // UNAVAILABLE
  '8656696', // UNKNOWN
  '2562533', // BLOCKED
];

/** Fewer digits than this is no one's phone number (an extension, a short code, a placeholder). */
const MIN_NUMBER_DIGITS = 7;

/** True when `from` does not identify a caller: missing, a word, too short, or a known placeholder. */
export function isWithheldCaller(from: string | undefined): boolean {
  if (!from) return true;
  const digits = from.replace(/[^0-9]/g, '');
  if (digits.length < MIN_NUMBER_DIGITS) return true; // "anonymous", "Restricted", "+1234", ""
  if (/[A-Za-z]/.test(from.replace(/^(tel|sip):/i, '').split('@')[0])) return true; // "anonymous1234567" is not a number
  return KEYPAD_PLACEHOLDERS.includes(digits);
}
