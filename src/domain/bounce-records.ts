// The API's shapes (api-types.ts), which the web interface reads too.
export type { BounceRecord, BounceScoreRecord } from './api-types.ts';
