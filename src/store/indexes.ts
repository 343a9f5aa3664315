import { IndexSpec } from './store';

/** Every index the app needs, declared in one place and created at start-up on both engines. */
export const INDEXES: readonly IndexSpec[] = [
  { collection: 'calls', keys: { updatedAt: 1 } },
  { collection: 'call_status', keys: { updatedAt: 1 } },
  { collection: 'ratings', keys: { communeCode: 1, ratedAt: 1 } },
  { collection: 'ratings', keys: { provinceCode: 1, ratedAt: 1 } },
  { collection: 'ratings', keys: { ratedAt: 1 } },
  { collection: 'ratings', keys: { callSid: 1 } },
];
