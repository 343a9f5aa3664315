import { newPin, ProviderPin, ProviderPinsRepository } from '../../src/rounds/provider-pins';
import { CountersRepository } from '../../src/store/counters';
import { Store } from '../../src/store/store';
import { closeTestStore, ENGINE, openTestStore } from '../support/engine';

describe('a new provider PIN', () => {
  it('is 6 random digits, never one digit repeated nor a run', () => {
    expect(newPin()).toMatch(/^[0-9]{6}$/);
    // A source that first gives 111111, then 345678, then 987654, then something else.
    const feeds = [[1, 1, 1, 1, 1, 1], [3, 4, 5, 6, 7, 8], [9, 8, 7, 6, 5, 4], [2, 7, 1, 8, 2, 8]].flat();
    expect(newPin(() => feeds.shift()!)).toBe('271828');
  });
});

describe(`providers' PINs in the store (${ENGINE} store)`, () => {
  let store: Store;
  let pins: ProviderPinsRepository;
  const T0 = new Date('2026-03-01T03:00:00Z');
  const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
  beforeEach(async () => {
    store = await openTestStore();
    pins = new ProviderPinsRepository(store, 'test-secret', { maxFailures: 3, lockoutMinutes: 30 });
  });
  afterEach(() => closeTestStore(store));

  it('keeps only a keyed hash of the PIN; the provider number stays across a reset and the old PIN stops working', async () => {
    const counters = new CountersRepository(store);
    const first = await pins.setPin({ facilityId: 'hc-1' }, 'health', 'admin1', T0, counters);
    const other = await pins.setPin({ communeCode: '120101', service: 'school' }, 'school', 'admin1', T0, counters);
    expect(other.providerNumber).not.toBe(first.providerNumber);
    const stored = await store.collection<ProviderPin>('provider_pins').find({});
    expect(JSON.stringify(stored)).not.toContain(first.pin);
    expect(stored.every((p) => /^[0-9a-f]{64}$/.test(p.pinHash))).toBe(true);
    const again = await pins.setPin({ facilityId: 'hc-1' }, 'health', 'admin2', minutes(1), counters);
    expect(again.providerNumber).toBe(first.providerNumber);
    expect((await pins.check('caller-a', first.providerNumber, again.pin, minutes(2))).result).toBe('accepted');
    if (again.pin !== first.pin) expect((await pins.check('caller-a', first.providerNumber, first.pin, minutes(2))).result).toBe('refused');
  });

  it('3 wrong tries from a phone lock it for 30 minutes, even with the right PIN; after them it may try again', async () => {
    const { providerNumber, pin } = await pins.setPin({ facilityId: 'hc-1' }, 'health', 'admin1', T0, new CountersRepository(store));
    const wrong = pin === '123456' ? '654321' : '123456';
    expect(await pins.check('caller-a', providerNumber, wrong, minutes(1))).toEqual({ result: 'refused', lockedNow: false });
    expect(await pins.check('caller-a', '99999', wrong, minutes(2))).toEqual({ result: 'refused', lockedNow: false });
    expect(await pins.check('caller-a', providerNumber, wrong, minutes(3))).toEqual({ result: 'refused', lockedNow: true });
    expect((await pins.check('caller-a', providerNumber, pin, minutes(10))).result).toBe('locked');
    // Another phone: the number was tried wrong twice, not yet locked.
    expect((await pins.check('caller-b', providerNumber, pin, minutes(10))).result).toBe('accepted');
    expect((await pins.check('caller-a', providerNumber, pin, minutes(34))).result).toBe('accepted');
  });

  it('wrong tries further apart than the lockout are forgotten', async () => {
    const { providerNumber, pin } = await pins.setPin({ facilityId: 'hc-1' }, 'health', 'admin1', T0, new CountersRepository(store));
    const wrong = pin === '123456' ? '654321' : '123456';
    await pins.check('caller-a', providerNumber, wrong, minutes(0));
    await pins.check('caller-a', providerNumber, wrong, minutes(1));
    expect(await pins.check('caller-a', providerNumber, wrong, minutes(40))).toEqual({ result: 'refused', lockedNow: false });
  });
});
