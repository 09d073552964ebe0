/** What `tarn doctor` looks at, in the order it reports them. */
export const DOCTOR_CHECKS = ['config', 'catalogue', 'event-bus', 'storage', 'space', 'daemons', 'clocks', 'token'] as const;
export type DoctorCheck = (typeof DOCTOR_CHECKS)[number];

/** Something wrong, with what to do about it. An error stops Tarn doing its work; a warning will, or hides trouble. */
export interface Finding {
  check: DoctorCheck;
  severity: 'error' | 'warning';
  /** What it is about: an RSE and protocol, a daemon instance, a topic; null for Tarn as a whole. */
  subject: string | null;
  what: string;
  fix: string;
}

/** One check that ran: how many things it looked at (RSE protocols, daemon instances...). */
export interface CheckRun {
  check: DoctorCheck;
  looked: number;
}

export interface DoctorReport {
  checkedAt: Date;
  checks: CheckRun[];
  findings: Finding[];
}

export const finding = (check: DoctorCheck, severity: Finding['severity'], subject: string | null, what: string, fix: string): Finding => ({
  check,
  severity,
  subject,
  what,
  fix,
});

/** A process clock this far from the catalogue's is worth fixing (lifetimes, token expiries and tombstones are compared across hosts). */
export const MAX_CLOCK_SKEW_SECONDS = 5;
