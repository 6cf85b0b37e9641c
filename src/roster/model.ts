// The roster as Pagerless keeps it: people, the shifts they work, and the sources they came from.
// Importers turn a scheduling system's feed into these; the store keeps them; the index answers
// "who is on call" from them.

/** A contact point of a person: where a page can reach them. Push devices come with the channels. */
export interface ContactPoint {
  readonly kind: 'phone';
  /** E.164 where the source gives enough to say so (`+13125550143`), else as the source wrote it. */
  readonly value: string;
}

export interface ImportedPerson {
  /** The person's stable id in the source (Amion staff id, QGenda StaffKey, an attendee's email). */
  readonly sourceId: string;
  readonly name: string;
  readonly contacts: readonly ContactPoint[];
}

/**
 * `base`: the published schedule. `override`: a swap or cover that, while it lasts, replaces every
 * base shift of the same service and shift name.
 */
export type ShiftKind = 'base' | 'override';

export interface ImportedShift {
  /** Stable id of this shift in the source: the same shift keeps it across imports. */
  readonly sourceId: string;
  readonly person: ImportedPerson;
  /** Service and shift names as the rules bind them (`service "Hospitalist" shift "Night"`), after the source's aliases. */
  readonly service: string;
  readonly shift: string;
  readonly start: Date;
  readonly end: Date;
  /** The zone the source's local times were read in (IANA). */
  readonly zone: string;
  readonly kind: ShiftKind;
}

/** Where in a feed a problem is: a line (CSV, iCal) or a record (JSON). */
export interface FeedProblem {
  readonly line?: number;
  readonly record?: string;
  readonly message: string;
}

export type FeedParse =
  | {
      readonly ok: true;
      /** Full feeds replace the source's roster; incremental ones add, change and delete only what they name. */
      readonly mode: 'full' | 'incremental';
      readonly shifts: readonly ImportedShift[];
      /** Incremental feeds only: shifts the feed says are gone (deleted or unpublished). */
      readonly deleted: readonly string[];
      /** The newest last-modified time in the feed, to ask only for newer changes next time. */
      readonly lastModified: Date | null;
      /**
       * The time a full feed speaks for (an iCal feed expanded over a window); null: all time.
       * Stored shifts outside it are neither confirmed nor removed by the feed, so they stay.
       */
      readonly covers?: { readonly from: Date; readonly to: Date } | null;
    }
  | { readonly ok: false; readonly problems: readonly FeedProblem[] };

/** Renames a source's service and shift names to the ones the rules use. */
export interface NameAliases {
  readonly service?: Readonly<Record<string, string>>;
  readonly shift?: Readonly<Record<string, string>>;
}

export function applyAliases(aliases: NameAliases | undefined, service: string, shift: string): { service: string; shift: string } {
  return { service: aliases?.service?.[service] ?? service, shift: aliases?.shift?.[shift] ?? shift };
}
