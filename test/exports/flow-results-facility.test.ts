import { rowsForRating } from '../../src/exports/flow-results';
import { Rating } from '../../src/store/ratings';

/** The FLOIP rows of a rating carry the facility rated (one of two schools), where the caller chose one. */
describe('Flow Results rows and facilities', () => {
  const rating: Rating = {
    _id: 'CA1:080101:school:teacher-attendance', callSid: 'CA1', callerId: 'c1', communeCode: '080101', districtCode: '0801', provinceCode: '08',
    service: 'school', indicatorId: 'teacher-attendance', score: 4, language: 'km', languageGroup: 'khmer', demographics: {}, ratedAt: new Date('2026-03-02T03:00:00Z'),
  };

  it('the service row and the answer row name the facility', () => {
    const rows = rowsForRating({ ...rating, facilityId: 'ps-prey-toteung' }, false, true);
    const service = rows.find((r) => r[4] === 'service')!;
    expect(service[6]).toEqual({ commune_code: '080101', facility_id: 'ps-prey-toteung' });
    const answer = rows.find((r) => r[4] === 'school.teacher-attendance')!;
    expect(answer[6]).toMatchObject({ commune_code: '080101', facility_id: 'ps-prey-toteung' });
  });

  it('a rating without a facility has no facility_id', () => {
    const rows = rowsForRating(rating, false, true);
    for (const r of rows) expect(r[6] ?? {}).not.toHaveProperty('facility_id');
  });
});
