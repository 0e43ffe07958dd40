import { z } from 'zod';
import { duration } from './common.js';

/** Sessions (logins): how their last use is recorded. */
export const sessions = z
  .object({
    lastUseFlushInterval: duration(
      '30s',
      'How often each replica writes the last use of sessions (coalesced in memory, one statement per flush, and once more at shutdown): refreshes never wait on a write of their own. The "last used" of `sigil sessions list` and /home/devices may lag by this much on another replica.',
    ),
  })
  .strict();
