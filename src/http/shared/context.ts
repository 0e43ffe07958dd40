import type { Logger } from '../../log.js';

/** What sigil's own middleware puts on ctx.state. */
export interface SigilState {
  reqId: string;
  log: Logger;
}
