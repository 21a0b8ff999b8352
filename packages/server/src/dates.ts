/**
 * HTTP dates in the IMF-fixdate form (RFC 7231, section 7.1.1.1), e.g.
 * `Sun, 06 Nov 1994 08:49:37 GMT`: what `x-ms-date` and `Repeatability-First-Sent` carry.
 *
 * A parser of its own rather than `Date.parse`: the form is fixed, `Date.parse` accepts many
 * others (so a second round trip through `toUTCString` was needed to be strict), and both ran on
 * every request.
 */
const FORM = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

// A request's Repeatability-First-Sent is checked when its parameters are read and parsed again
// for the window: the second call with the same string is answered from here.
let lastValue = "";
let lastTime = Number.NaN;

/** Milliseconds since the epoch, or NaN unless `value` is a valid IMF-fixdate (weekday included). */
export function parseImfFixdate(value: string): number {
  if (value === lastValue) return lastTime;
  lastTime = parse(value);
  lastValue = value;
  return lastTime;
}

function parse(value: string): number {
  const match = FORM.exec(value);
  if (!match) return Number.NaN;
  const [, day, date, month, year, hours, minutes, seconds] = match;
  // Date.UTC reads years below 100 as 19xx; no date this API meets is that old.
  if (Number(year) < 1000) return Number.NaN;
  const time = Date.UTC(Number(year), MONTHS.indexOf(month!), Number(date), Number(hours), Number(minutes), Number(seconds));
  const parsed = new Date(time);
  // Date.UTC rolls over (31 Feb becomes 3 Mar): a date that does not exist fails this check.
  if (parsed.getUTCDate() !== Number(date) || parsed.getUTCHours() !== Number(hours) || Number(minutes) > 59 || Number(seconds) > 59) {
    return Number.NaN;
  }
  return DAYS[parsed.getUTCDay()] === day ? time : Number.NaN;
}
