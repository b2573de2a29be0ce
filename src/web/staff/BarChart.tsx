export interface DayCount {
  /** UTC date, YYYY-MM-DD. */
  day: string;
  count: number;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
const fullDayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
const dateOf = (day: string) => new Date(`${day}T00:00:00Z`);

const BAR = 10;
const HEIGHT = 60;

/**
 * Counts per day as bars, drawn here (no chart library): the picture is one image with a summary
 * for screen readers (WAI "complex images": a short description and the data in a table), and the
 * day-by-day numbers are a table anyone can open.
 */
export function BarChart({ title, unit, days, tone = "accent" }: { title: string; unit: string; days: DayCount[]; tone?: "accent" | "danger" | "warning" }) {
  const total = days.reduce((sum, d) => sum + d.count, 0);
  const peak = days.reduce<DayCount | null>((best, d) => (d.count > (best?.count ?? 0) ? d : best), null);
  const max = Math.max(1, peak?.count ?? 0);
  const first = days[0];
  const last = days[days.length - 1];
  const summary =
    `${title} per day, ${first ? fullDayFormat.format(dateOf(first.day)) : ""} to ${last ? fullDayFormat.format(dateOf(last.day)) : ""}: ` +
    (peak ? `${total} in all, at most ${peak.count} on ${fullDayFormat.format(dateOf(peak.day))}.` : `none.`);

  return (
    <figure className="chart" data-tone={tone}>
      <figcaption className="chart-caption">
        <span className="chart-title">{title}</span> <span className="chart-total">{total.toLocaleString()} {unit} in 30 days</span>
      </figcaption>
      <div className="chart-plot" role="img" aria-label={summary}>
        <span className="chart-max">{peak?.count ?? 0}</span>
        <svg viewBox={`0 0 ${days.length * BAR} ${HEIGHT}`} preserveAspectRatio="none" focusable="false">
          {days.map((d, i) => {
            const h = (d.count / max) * (HEIGHT - 4);
            return (
              <rect key={d.day} className="chart-bar" x={i * BAR + 1} y={HEIGHT - h} width={BAR - 2} height={h}>
                <title>{`${dayFormat.format(dateOf(d.day))}: ${d.count}`}</title>
              </rect>
            );
          })}
          <line className="chart-axis" x1={0} x2={days.length * BAR} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} vectorEffect="non-scaling-stroke" />
        </svg>
        <span className="chart-days">
          <span>{first && dayFormat.format(dateOf(first.day))}</span>
          <span>{last && dayFormat.format(dateOf(last.day))}</span>
        </span>
      </div>
      <details className="chart-data">
        <summary>
          Numbers by day<span className="visually-hidden">: {title.toLowerCase()}</span>
        </summary>
        <table>
          <caption className="visually-hidden">{title} per day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">{title}</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <th scope="row">
                  <time dateTime={d.day}>{fullDayFormat.format(dateOf(d.day))}</time>
                </th>
                <td>{d.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
