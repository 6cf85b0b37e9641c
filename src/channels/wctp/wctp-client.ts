// A WCTP 1.3 client (Wireless Communications Transfer Protocol: XML over HTTP POST), the way
// paging vendors take messages for their pagers: a wctp-SubmitRequest with our originator, a
// message id (the vendor drops a repeat of one it accepted), the recipient pager id and an
// alphanumeric payload; the answer is a wctp-Confirmation with a success or a failure code.
import { XMLParser } from 'fast-xml-parser';

export interface WctpConfig {
  /** The vendor's WCTP endpoint. */
  readonly url: string;
  /** Our senderID. */
  readonly senderId: string;
  /** The longest alphanumeric message the vendor's pagers show. */
  readonly maxChars: number;
  readonly timeoutMs?: number;
}

export interface WctpSubmit {
  readonly messageId: string;
  readonly recipientId: string;
  readonly text: string;
  readonly at: Date;
}

export type WctpAnswer =
  | { readonly ok: true; readonly code: number; readonly text: string }
  /** WCTP 4xx/6xx codes (the request or recipient is wrong): sending again will not help. 5xx (the vendor's side) may. */
  | { readonly ok: false; readonly code: number; readonly text: string; readonly retry: boolean };

const escapeXml = (s: string): string => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** WCTP's timestamp form: `YYYY-MM-DDTHH:MM:SS`, UTC. */
const wctpTime = (d: Date): string => d.toISOString().slice(0, 19);

export function submitRequestXml(senderId: string, submit: WctpSubmit): string {
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE wctp-Operation SYSTEM "http://dtd.wctp.org/wctp-dtd-v1r3.dtd">',
    '<wctp-Operation wctpVersion="wctp-dtd-v1r3">',
    '<wctp-SubmitRequest>',
    `<wctp-SubmitHeader submitTimestamp="${wctpTime(submit.at)}">`,
    `<wctp-Originator senderID="${escapeXml(senderId)}"/>`,
    `<wctp-MessageControl messageID="${escapeXml(submit.messageId)}" allowResponse="false" notifyWhenDelivered="false"/>`,
    `<wctp-Recipient recipientID="${escapeXml(submit.recipientId)}"/>`,
    '</wctp-SubmitHeader>',
    `<wctp-Payload><wctp-Alphanumeric>${escapeXml(submit.text)}</wctp-Alphanumeric></wctp-Payload>`,
    '</wctp-SubmitRequest>',
    '</wctp-Operation>',
  ].join('\n');
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', processEntities: true, htmlEntities: false });

type Confirmation = { 'wctp-Success'?: Record<string, string>; 'wctp-Failure'?: Record<string, string> };

/** Reads a wctp-Confirmation; anything else is a failure worth retrying (the vendor answered something we do not understand). */
export function parseConfirmation(xml: string): WctpAnswer {
  let doc: { 'wctp-Operation'?: { 'wctp-Confirmation'?: Confirmation } };
  try {
    doc = parser.parse(xml) as typeof doc;
  } catch {
    return { ok: false, code: 0, text: 'the answer is not XML', retry: true };
  }
  const confirmation = doc['wctp-Operation']?.['wctp-Confirmation'];
  const success = confirmation?.['wctp-Success'];
  if (success !== undefined) return { ok: true, code: Number(success['@successCode'] ?? 200), text: success['@successText'] ?? '' };
  const failure = confirmation?.['wctp-Failure'];
  if (failure !== undefined) {
    const code = Number(failure['@errorCode'] ?? 0);
    return { ok: false, code, text: failure['@errorText'] ?? '', retry: code >= 500 && code < 600 };
  }
  return { ok: false, code: 0, text: 'the answer has no wctp-Confirmation', retry: true };
}

export async function submitWctp(config: WctpConfig, submit: WctpSubmit): Promise<WctpAnswer> {
  let response: Response;
  try {
    response = await fetch(config.url, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body: submitRequestXml(config.senderId, submit),
      signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
    });
  } catch (e) {
    return { ok: false, code: 0, text: `the paging gateway could not be reached (${(e as Error).name})`, retry: true };
  }
  const body = await response.text();
  if (!response.ok) return { ok: false, code: response.status, text: `the paging gateway answered HTTP ${response.status}`, retry: response.status >= 500 || response.status === 429 };
  return parseConfirmation(body);
}
