// Severity from the event name, shared by the sinks whose wire format carries one (gcp_logging, otlp,
// syslog): each has its own scale, but the same rule shape, the same matcher, and by default the same events
// raised to its "warning".

export interface SeverityRule<S extends string = string> {
  /** An event name, or a glob where `*` matches any run of characters (e.g. "*_DENY_ACCESS"). */
  readonly match: string;
  readonly severity: S;
}

/** What the default rules raise to a sink's warning level: denied access, rejected logins, lockouts. */
const NOTABLE_EVENTS = ['*_DENY_ACCESS', 'USER_REJECT_LOGIN', 'USER_LOCKOUT'] as const;

/** The default rules on a sink's own scale: every notable event gets `warning`. */
export function notableEventRules<S extends string>(warning: S): readonly SeverityRule<S>[] {
  return Object.freeze(NOTABLE_EVENTS.map((match) => Object.freeze({ match, severity: warning })));
}

/** Event names longer than this never match a rule (names are short; a producer controls this one). */
const MAX_MATCHED_NAME = 256;

/**
 * Whether `name` matches `glob` (`*`: any run of characters), in linear time: the classic two-pointer match
 * with one backtrack point. A RegExp of `.*` parts backtracks quadratically, and the name comes from the
 * producer: a long one would stall the event loop for every tenant.
 */
export function globMatch(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (g < glob.length && glob[g] !== '*' && glob[g] === name[n]) {
      g++;
      n++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = n;
    } else if (star !== -1) {
      g = star + 1;
      n = ++resume;
    } else return false;
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}

/** The severity of the first rule matching `eventName`; `fallback` when none does or there is no name. */
export function severityByRules<S extends string>(
  eventName: string | undefined,
  rules: readonly SeverityRule<S>[],
  fallback: S,
): S {
  if (eventName === undefined || eventName.length > MAX_MATCHED_NAME) return fallback;
  for (const rule of rules) if (globMatch(rule.match, eventName)) return rule.severity;
  return fallback;
}
