import { SurvivalState } from '../model/survival.js';

/** Every state of contract section 4, best first: the order of legends, counts and pies. */
export const STATE_ORDER_ALL: readonly SurvivalState[] = SurvivalState.options;
