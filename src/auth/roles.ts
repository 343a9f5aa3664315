/**
 * Staff roles. admin: everything, including accounts and the audit log. reviewer: listen, change a
 * message's review state, add notes. viewer: read and listen only.
 */
export type StaffRole = 'admin' | 'reviewer' | 'viewer';
export const STAFF_ROLES: readonly StaffRole[] = ['admin', 'reviewer', 'viewer'];

export function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (STAFF_ROLES as readonly string[]).includes(value);
}
