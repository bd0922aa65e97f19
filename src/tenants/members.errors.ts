import { defineErrors } from '../common/domain-error';

/** A tenant's members and invitations. */
export const MemberErrors = defineErrors({
  /** No member of the caller's tenant with that user id. */
  member_not_found: 404,
  /** Unknown, expired, revoked or already used invitation (token or id). */
  invitation_not_found: 404,
  /** The tenant's only owner cannot be demoted or removed. */
  last_owner: 409,
  /** The email already belongs to a member of the tenant. */
  already_member: 409,
});
