// The parser of the rules language: a Chevrotain CstParser built once and reused.
// It only recognises shape; names, types and meaning are checked by the compiler passes.
import { CstParser } from 'chevrotain';
import { rulesErrorMessages } from './syntax-errors.js';
import * as T from './tokens.js';

class RulesParser extends CstParser {
  constructor() {
    super(T.allTokens, {
      recoveryEnabled: true,
      maxLookahead: 3,
      nodeLocationTracking: 'full',
      errorMessageProvider: rulesErrorMessages,
    });
    this.performSelfAnalysis();
  }

  public rulesFile = this.RULE('rulesFile', () => {
    this.MANY(() => this.SUBRULE(this.declaration));
  });

  private declaration = this.RULE('declaration', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.schemaDecl) },
      { ALT: () => this.SUBRULE(this.calendarDecl) },
      { ALT: () => this.SUBRULE(this.holidaysDecl) },
      { ALT: () => this.SUBRULE(this.roleDecl) },
      { ALT: () => this.SUBRULE(this.teamDecl) },
      { ALT: () => this.SUBRULE(this.personDecl) },
      { ALT: () => this.SUBRULE(this.workflowDecl) },
      { ALT: () => this.SUBRULE(this.testDecl) },
    ]);
  });

  // schema alert { source: text  patient.mrn: text phi  priority: ordered(routine, urgent) }
  private schemaDecl = this.RULE('schemaDecl', () => {
    this.CONSUME(T.Schema);
    this.CONSUME(T.Name);
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.fieldDecl));
    this.CONSUME(T.RCurly);
  });

  private fieldDecl = this.RULE('fieldDecl', () => {
    this.SUBRULE(this.fieldPath);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.fieldType);
    this.OPTION(() => this.CONSUME(T.Phi));
  });

  private fieldType = this.RULE('fieldType', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Enum) }, { ALT: () => this.CONSUME(T.Ordered) }]);
          this.CONSUME(T.LParen);
          this.SUBRULE(this.nameList);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.CONSUME(T.Name) },
    ]);
  });

  private fieldPath = this.RULE('fieldPath', () => {
    this.CONSUME(T.Name);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Name);
    });
  });

  private nameList = this.RULE('nameList', () => {
    this.CONSUME(T.Name);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.CONSUME2(T.Name);
    });
  });

  // calendar daytime in "America/Chicago" { mon-fri 07:00-19:00  except holidays "US" }
  private calendarDecl = this.RULE('calendarDecl', () => {
    this.CONSUME(T.Calendar);
    this.CONSUME(T.Name);
    this.CONSUME(T.In);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.windowDecl) },
        { ALT: () => this.SUBRULE(this.exceptDecl) },
      ]);
    });
    this.CONSUME(T.RCurly);
  });

  private windowDecl = this.RULE('windowDecl', () => {
    this.SUBRULE(this.nameList);
    this.CONSUME(T.TimeLiteral);
    this.CONSUME(T.Dash);
    this.CONSUME2(T.TimeLiteral);
  });

  private exceptDecl = this.RULE('exceptDecl', () => {
    this.CONSUME(T.Except);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Holidays);
          this.OR2([{ ALT: () => this.CONSUME(T.StringLiteral) }, { ALT: () => this.CONSUME(T.Name) }]);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.DateLiteral);
          this.MANY(() => {
            this.CONSUME(T.Comma);
            this.CONSUME2(T.DateLiteral);
          });
        },
      },
    ]);
  });

  // holidays hospital-closures { 2026-12-24 "Christmas Eve", 2026-12-31 }
  private holidaysDecl = this.RULE('holidaysDecl', () => {
    this.CONSUME(T.Holidays);
    this.CONSUME(T.Name);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.CONSUME(T.DateLiteral);
      this.OPTION(() => this.CONSUME(T.StringLiteral));
      this.OPTION2(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RCurly);
  });

  // role ordering-provider = roster "amion" service "Hospitalist" shift "Day" | "Night"
  private roleDecl = this.RULE('roleDecl', () => {
    this.CONSUME(T.Role);
    this.CONSUME(T.Name);
    this.CONSUME(T.Equals);
    this.CONSUME(T.Roster);
    this.CONSUME(T.StringLiteral);
    this.OPTION(() => {
      this.CONSUME(T.Service);
      this.CONSUME2(T.StringLiteral);
    });
    this.OPTION2(() => {
      this.CONSUME(T.Shift);
      this.CONSUME3(T.StringLiteral);
      this.MANY(() => {
        this.CONSUME(T.Pipe);
        this.CONSUME4(T.StringLiteral);
      });
    });
  });

  // team lab-critical-desk = inbox "Lab critical results desk"
  private teamDecl = this.RULE('teamDecl', () => {
    this.CONSUME(T.Team);
    this.CONSUME(T.Name);
    this.CONSUME(T.Equals);
    this.CONSUME(T.Inbox);
    this.CONSUME(T.StringLiteral);
  });

  // person lab-director = roster "amion" id "A-1042"
  private personDecl = this.RULE('personDecl', () => {
    this.CONSUME(T.Person);
    this.CONSUME(T.Name);
    this.CONSUME(T.Equals);
    this.CONSUME(T.Roster);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.Id);
    this.CONSUME2(T.StringLiteral);
  });

  private workflowDecl = this.RULE('workflowDecl', () => {
    this.CONSUME(T.Workflow);
    this.CONSUME(T.Name);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.legacyGroupDecl) },
        { ALT: () => this.SUBRULE(this.stageDecl) },
        { ALT: () => this.SUBRULE(this.targetsDecl) },
        { ALT: () => this.SUBRULE(this.routeDecl) },
        { ALT: () => this.SUBRULE(this.templateDecl) },
        { ALT: () => this.SUBRULE(this.letDecl) },
        { ALT: () => this.SUBRULE(this.fallbackDecl) },
      ]);
    });
    this.CONSUME(T.RCurly);
  });

  private legacyGroupDecl = this.RULE('legacyGroupDecl', () => {
    this.CONSUME(T.LegacyPagerGroup);
    this.CONSUME(T.StringLiteral);
  });

  private stageDecl = this.RULE('stageDecl', () => {
    this.CONSUME(T.Stage);
    this.CONSUME(T.Name);
  });

  // target ack p90 <= 5m, missed <= 1%, escalated <= 15% over 28d min 50 pages
  private targetsDecl = this.RULE('targetsDecl', () => {
    this.CONSUME(T.Target);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.targetItem) });
    this.OPTION(() => {
      this.CONSUME(T.Over);
      this.CONSUME(T.DurationLiteral);
    });
    this.OPTION2(() => {
      this.CONSUME(T.Min);
      this.CONSUME(T.NumberLiteral);
      this.CONSUME(T.Name);
    });
  });

  private targetItem = this.RULE('targetItem', () => {
    this.CONSUME(T.Name);
    this.OPTION(() => this.CONSUME2(T.Name));
    this.CONSUME(T.LessEquals);
    this.OR([{ ALT: () => this.CONSUME(T.DurationLiteral) }, { ALT: () => this.CONSUME(T.PercentLiteral) }]);
  });

  private routeDecl = this.RULE('routeDecl', () => {
    this.CONSUME(T.Route);
    this.OPTION(() => this.CONSUME(T.Name));
    this.OPTION2(() => {
      this.CONSUME(T.When);
      this.SUBRULE(this.expr);
    });
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.stepDecl) },
        { ALT: () => this.SUBRULE(this.repeatDecl) },
        { ALT: () => this.SUBRULE(this.fallbackDecl) },
        { ALT: () => this.CONSUME(T.Continue) },
        { ALT: () => this.SUBRULE(this.templateDecl) },
        { ALT: () => this.SUBRULE(this.letDecl) },
      ]);
    });
    this.CONSUME(T.RCurly);
  });

  // notify ordering-provider via push, sms at 0m unless acked during daytime
  private stepDecl = this.RULE('stepDecl', () => {
    this.CONSUME(T.Notify);
    this.SUBRULE(this.nameList);
    this.OPTION(() => {
      this.CONSUME(T.Via);
      this.SUBRULE2(this.nameList);
    });
    this.CONSUME(T.At);
    this.CONSUME(T.DurationLiteral);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Unless);
            this.CONSUME(T.Acked);
          },
        },
        {
          ALT: () => {
            this.OR2([{ ALT: () => this.CONSUME(T.During) }, { ALT: () => this.CONSUME(T.Outside) }]);
            this.CONSUME(T.Name);
          },
        },
      ]);
    });
  });

  private repeatDecl = this.RULE('repeatDecl', () => {
    this.CONSUME(T.Repeat);
    this.CONSUME(T.NumberLiteral);
    this.OPTION(() => {
      this.CONSUME(T.Every);
      this.CONSUME(T.DurationLiteral);
    });
  });

  // fallback lab-critical-desk when roster empty or stale
  private fallbackDecl = this.RULE('fallbackDecl', () => {
    this.CONSUME(T.Fallback);
    this.CONSUME(T.Name);
    this.OPTION(() => {
      this.CONSUME(T.Via);
      this.SUBRULE(this.nameList);
    });
    this.CONSUME(T.When);
    this.CONSUME(T.Roster);
    this.CONSUME2(T.Name);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.CONSUME3(T.Name);
    });
  });

  private templateDecl = this.RULE('templateDecl', () => {
    this.SUBRULE(this.channelText);
  });

  /** `sms "…"`, `push "title" / "body"`: shared by templates and test expectations. */
  private channelText = this.RULE('channelText', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Sms) },
            { ALT: () => this.CONSUME(T.Voice) },
            { ALT: () => this.CONSUME(T.Pager) },
            { ALT: () => this.CONSUME(T.Detail) },
          ]);
          this.CONSUME(T.StringLiteral);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Push);
          this.CONSUME2(T.StringLiteral);
          this.CONSUME(T.Slash);
          this.CONSUME3(T.StringLiteral);
        },
      },
    ]);
  });

  private letDecl = this.RULE('letDecl', () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Name);
    this.CONSUME(T.Equals);
    this.CONSUME(T.StringLiteral);
  });

  // ── conditions: or < and < not < atom ─────────────────────────────────────────────────────

  public expr = this.RULE('expr', () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  private andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.unaryExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.unaryExpr);
    });
  });

  private unaryExpr = this.RULE('unaryExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.unaryExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.atom) },
    ]);
  });

  private atom = this.RULE('atom', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expr);
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.During) }, { ALT: () => this.CONSUME(T.Outside) }]);
          this.CONSUME(T.Name);
        },
      },
      { ALT: () => this.SUBRULE(this.predicate) },
    ]);
  });

  private predicate = this.RULE('predicate', () => {
    this.SUBRULE(this.fieldPath);
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.compareOp);
          this.SUBRULE(this.literal);
        },
      },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Not));
          this.CONSUME(T.In);
          this.CONSUME(T.LParen);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE2(this.literal) });
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Matches);
          this.CONSUME(T.RegexLiteral);
        },
      },
      { ALT: () => this.CONSUME(T.Exists) },
    ]);
  });

  private compareOp = this.RULE('compareOp', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Equals) },
      { ALT: () => this.CONSUME(T.NotEquals) },
      { ALT: () => this.CONSUME(T.LessEquals) },
      { ALT: () => this.CONSUME(T.GreaterEquals) },
      { ALT: () => this.CONSUME(T.Less) },
      { ALT: () => this.CONSUME(T.Greater) },
    ]);
  });

  private literal = this.RULE('literal', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLiteral) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Dash));
          this.CONSUME(T.NumberLiteral);
        },
      },
      { ALT: () => this.CONSUME(T.Name) },
    ]);
  });

  // ── tests ─────────────────────────────────────────────────────────────────────────────────

  private testDecl = this.RULE('testDecl', () => {
    this.CONSUME(T.Test);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.alertBlock) },
        { ALT: () => this.SUBRULE(this.atClause) },
        { ALT: () => this.SUBRULE(this.givenClause) },
        { ALT: () => this.SUBRULE(this.expectation) },
      ]);
    });
    this.CONSUME(T.RCurly);
  });

  private alertBlock = this.RULE('alertBlock', () => {
    this.CONSUME(T.Alert);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.alertEntry);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RCurly);
  });

  private alertEntry = this.RULE('alertEntry', () => {
    this.SUBRULE(this.fieldPath);
    this.CONSUME(T.Colon);
    this.OR([
      { ALT: () => this.SUBRULE(this.literal) },
      { ALT: () => this.CONSUME(T.DateTimeLiteral) },
    ]);
  });

  // given ordering-provider empty
  private givenClause = this.RULE('givenClause', () => {
    this.CONSUME(T.Given);
    this.CONSUME(T.Name);
    this.CONSUME2(T.Name);
  });

  // at 2026-03-08T02:30 in "America/Chicago"
  private atClause = this.RULE('atClause', () => {
    this.CONSUME(T.At);
    this.CONSUME(T.DateTimeLiteral);
    this.OPTION(() => {
      this.CONSUME(T.In);
      this.CONSUME(T.StringLiteral);
    });
  });

  private expectation = this.RULE('expectation', () => {
    this.CONSUME(T.Expect);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Workflow);
          this.CONSUME(T.Name);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Route);
          this.CONSUME2(T.Name);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.No);
          this.CONSUME(T.Match);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.First);
          this.CONSUME(T.Notify);
          this.SUBRULE(this.nameList);
          this.OPTION(() => {
            this.CONSUME(T.Via);
            this.SUBRULE2(this.nameList);
          });
        },
      },
      { ALT: () => this.SUBRULE(this.channelText) },
    ]);
  });
}

/** The one parser instance: Chevrotain parsers are costly to build and meant to be reused. */
export const rulesParser = new RulesParser();
