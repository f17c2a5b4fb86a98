/**
 * The errors for a membership or group change the store refused. Shared by messaging (add,
 * remove, leave, roles) and groups (profile, ownership, mutes, invites) so both answer alike.
 */
import { NatterError } from '@natter/protocol';

export type RefusalKind = 'not_found' | 'forbidden' | 'not_member' | 'full' | 'dissolved';

export function membershipRefusal(
  kind: RefusalKind,
  maxMembers: number | undefined,
  where: 'conversation' | 'group',
): NatterError {
  switch (kind) {
    case 'not_found':
      return new NatterError('not_found', 'no such conversation');
    case 'forbidden':
      return new NatterError('forbidden', 'your role does not allow this');
    case 'not_member':
      return new NatterError('invalid_request', `userId: not an active member of this ${where}`);
    case 'full':
      return new NatterError('group_full', `a group has at most ${maxMembers} members`, { maxMembers });
    case 'dissolved':
      return new NatterError('group_dissolved', 'this group was dissolved');
  }
}
