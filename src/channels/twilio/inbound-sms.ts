// Texts people send back. A page's reply code acknowledges it (matched by the sender's number and
// the code); STOP, START and HELP are answered as carriers require; anything else gets a reply
// that says what would work. The answer is the text sent back.
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.js';
import { tables } from '../../db/index.js';
import type { AckResult } from '../../dispatch/index.js';
import { replyCodesOf, type ReplyCodeMatch } from './reply-codes.js';

const stopWords = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const startWords = new Set(['START', 'UNSTOP', 'YES', 'OPTIN']);
const helpWords = new Set(['HELP', 'INFO']);

export interface InboundSmsDeps {
  readonly db: Db;
  readonly clock: () => Date;
  readonly acknowledge: (input: { readonly pageId: string; readonly personId: string; readonly via: 'sms' }) => Promise<AckResult>;
}

export const helpText = 'Pagerless hospital paging. Reply with the number in a page\'s text to acknowledge it. Reply STOP to stop texts (pages still reach you by app and call). For help, call your hospital\'s operator.';

export async function answerInboundSms(deps: InboundSmsDeps, input: { readonly from: string; readonly body: string }): Promise<string> {
  const word = input.body.trim().toUpperCase().replace(/[.!]+$/, '');
  if (stopWords.has(word)) {
    await deps.db.insert(tables.smsOptOuts).values({ phone: input.from, at: deps.clock() }).onConflictDoNothing();
    return 'You are unsubscribed from Pagerless texts and will get no more. Pages still reach you by app and call. Reply START to resubscribe.';
  }
  if (startWords.has(word)) {
    await deps.db.delete(tables.smsOptOuts).where(eq(tables.smsOptOuts.phone, input.from));
    return 'You are resubscribed to Pagerless texts. Reply HELP for help, STOP to stop.';
  }
  if (helpWords.has(word)) return helpText;

  const codes = await replyCodesOf(deps.db, input.from);
  const code = /^(?:ACK\s*)?(\d{1,3})$/.exec(word)?.[1];
  if (code === undefined) return `Not understood. ${openList(codes)} Reply HELP for help.`;
  const match = codes.find((c) => c.code === Number(code));
  if (match === undefined) return `No page has code ${code} for this phone. ${openList(codes)}`;
  const result = await deps.acknowledge({ pageId: match.pageId, personId: match.personId, via: 'sms' });
  const reference = match.pageId.slice(0, 8);
  switch (result.kind) {
    case 'acknowledged':
      return `Acknowledged: ${match.workflow} page ${reference}. Thank you.`;
    case 'already-acknowledged':
      return `Page ${reference} was already acknowledged by ${await nameOf(deps.db, result.acknowledgement.by)}. Nothing more to do.`;
    case 'resolved':
      return `Page ${reference} is resolved. Nothing more to do.`;
    case 'not-found':
    case 'not-paged':
      return `No page has code ${code} for this phone. ${openList(codes)}`;
  }
}

function openList(codes: readonly ReplyCodeMatch[]): string {
  const open = codes.filter((c) => c.status === 'open');
  if (open.length === 0) return 'You have no open pages.';
  return `Open pages: ${open.map((c) => `reply ${c.code} for ${c.workflow} ${c.pageId.slice(0, 8)}`).join(', ')}.`;
}

async function nameOf(db: Db, personId: string): Promise<string> {
  const [person] = await db.select({ name: tables.people.displayName }).from(tables.people).where(eq(tables.people.id, personId));
  return person?.name ?? 'someone else';
}
