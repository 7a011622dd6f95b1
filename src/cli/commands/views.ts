/** The read commands: blame (commit, file, pr render) and track. */
export const trailViewCommands: object[] = [(await import('./blame.js')).blameCommand, (await import('./track.js')).trackCommand];

export { trailDefault } from './trail-default.js';
