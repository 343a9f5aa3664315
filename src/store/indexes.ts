import { IndexSpec } from './store';

/** Every index the app needs, declared in one place and created at start-up on both engines. */
export const INDEXES: readonly IndexSpec[] = [
  // Scorecard rounds: listed by year and area; a round's stored results (meeting, self-assessment) by round.
  { collection: 'scorecard_rounds', keys: { year: -1, communeCode: 1 } },
  { collection: 'scorecard_rounds', keys: { provinceCode: 1, year: -1 } },
  { collection: 'round_results', keys: { roundId: 1, channel: 1, indicatorKey: 1 } },
  // Providers' PINs: found by the provider number keyed on the phone; phone self-assessment answers by round.
  { collection: 'provider_pins', keys: { providerNumber: 1 }, unique: true },
  { collection: 'phone_self_assessments', keys: { roundId: 1 } },
  // JAAP register: one plan per commune and year; a period's items by agreement day; overdue items by deadline.
  { collection: 'jaaps', keys: { communeCode: 1, year: 1 }, unique: true },
  { collection: 'jaap_items', keys: { jaapId: 1, section: 1, no: 1 }, unique: true },
  { collection: 'jaap_items', keys: { agreedOn: 1 } },
  { collection: 'jaap_items', keys: { status: 1, deadline: 1 } },
  // Published results: a period's areas of one level; citizens' checks of JAAP items by item.
  { collection: 'public_snapshots', keys: { periodId: 1, level: 1, code: 1 } },
  { collection: 'jaap_item_checks', keys: { itemId: 1 } },
  { collection: 'calls', keys: { updatedAt: 1 } },
  { collection: 'call_status', keys: { updatedAt: 1 } },
  { collection: 'ratings', keys: { communeCode: 1, ratedAt: 1 } },
  { collection: 'ratings', keys: { provinceCode: 1, ratedAt: 1 } },
  { collection: 'ratings', keys: { ratedAt: 1 } },
  { collection: 'ratings', keys: { callSid: 1 } },
  // Places callers said (no code): the ratings waiting for staff, counted apart per period, and moved on confirmation.
  { collection: 'ratings', keys: { placeToConfirm: 1, ratedAt: 1 } },
  // Sparse on the embedded store: almost every rating and message has a code, not a said place (IndexSpec).
  { collection: 'ratings', keys: { spokenPlaceId: 1 }, sparseOnEmbedded: true },
  { collection: 'messages', keys: { spokenPlaceId: 1 }, sparseOnEmbedded: true },
  { collection: 'places_to_confirm', keys: { state: 1, createdAt: 1 } },
  // Saving a rating reads the caller's other ratings of the same key (src/store/repeat-ratings.ts).
  { collection: 'ratings', keys: { callerId: 1, communeCode: 1, service: 1, indicatorId: 1 } },
  // Voice messages: the download queue (due work by nextAttemptAt), the missed-callback sweep, a call's messages.
  { collection: 'messages', keys: { 'download.nextAttemptAt': 1 } },
  { collection: 'messages', keys: { callerChoice: 1, createdAt: 1 } },
  { collection: 'messages', keys: { callSid: 1 } },
  // Staff app: sessions and sign-in failure counters are deleted by the database once expired.
  { collection: 'staff_sessions', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  // /health's heartbeats: each instance (hostname and process) writes its own; a day after the last, gone.
  { collection: 'ops_heartbeats', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { collection: 'staff_sessions', keys: { username: 1 } },
  { collection: 'staff_sign_in_failures', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { collection: 'staff_sign_in_failures', keys: { key: 1 } },
  // An admin's unlock clears an account's counters; places that signed in to an account are forgotten after 90 days.
  { collection: 'staff_sign_in_failures', keys: { account: 1 } },
  { collection: 'staff_sign_in_places', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  // The public pages' rate limit: one counter per client address and minute, gone two minutes later.
  { collection: 'public_rate_limits', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { collection: 'staff_audit', keys: { at: 1 } },
  // "Audited once" claims (one play per session and message) expire with the session.
  { collection: 'staff_audit_once', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { collection: 'staff_test_calls', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { collection: 'staff_audit', keys: { messageId: 1, at: 1 } },
  { collection: 'messages', keys: { createdAt: 1 } },
  { collection: 'messages', keys: { communeCode: 1, createdAt: 1 } },
  // Audit log pages sort newest first by time then id: MongoDB walks this index backwards, no sort in memory.
  { collection: 'staff_audit', keys: { at: 1, _id: 1 } },
  // Staff find a message by the number the hotline read to the caller.
  { collection: 'messages', keys: { referenceNumber: 1 } },
  // Callbacks: one owed per caller (activeKey is unique while owed), due work, a caller's day, the staff list.
  { collection: 'outbound_callbacks', keys: { activeKey: 1 }, unique: true },
  { collection: 'outbound_callbacks', keys: { state: 1, nextAttemptAt: 1 } },
  { collection: 'outbound_callbacks', keys: { callerId: 1, createdAt: 1 } },
  { collection: 'outbound_callbacks', keys: { createdAt: 1 } },
  { collection: 'outbound_callbacks', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { collection: 'outbound_pace', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { collection: 'outbound_rings', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { collection: 'outbound_queue_hours', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { collection: 'outbound_callbacks', keys: { kind: 1, state: 1 } },
  // The review desk: a message's answer call, and "mine" (the messages one staff member works on).
  { collection: 'outbound_callbacks', keys: { messageId: 1 }, sparseOnEmbedded: true },
  // Promise news sign-ups: a commune's subscribers at a status change; deleted (number and all) when they expire.
  { collection: 'promise_alerts', keys: { communeCode: 1, expiresAt: 1 } },
  { collection: 'promise_alerts', keys: { callerId: 1 } },
  { collection: 'promise_alerts', keys: { expiresAt: 1 }, expireAfterSeconds: 0 },
  { collection: 'messages', keys: { 'review.owner': 1, createdAt: 1 } },
];
