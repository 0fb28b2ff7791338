/** A bounce recorded against one recipient of a sent mail. */
export interface BounceRecord {
  id: number;
  mailId: number;
  address: string;
  kind: string;
  format: string;
  action: string | null;
  status: string | null;
  diagnostic: string | null;
  reportingMta: string | null;
  receivedAt: number;
}

/** An address's bounce score and what its last bounce said. */
export interface BounceScoreRecord {
  address: string;
  /** As it stands now: 0 once the score has decayed. */
  score: number;
  lastBounceAt: number;
  lastKind: string;
  lastStatus: string | null;
  lastDiagnostic: string | null;
  lastMailId: number;
}
