import { Link } from "react-router";
import { SkeletonLines } from "../ui/bits.tsx";
import { BarChart } from "./BarChart.tsx";
import { fetchOverview } from "./staff-api.ts";
import { StaffPage } from "./StaffPage.tsx";
import { useLoad } from "./use-load.ts";

/** `/staff`: accounts at a glance and the last 30 days, day by day (GET /api/v1/staff/overview). */
export function OverviewPage() {
  const { data, error, reload } = useLoad(fetchOverview, "overview");
  const tiles = data && [
    { label: "All accounts", value: data.accounts.total, to: "/staff/users" },
    { label: "Readers", value: data.accounts.byRole.user, to: "/staff/users?role=user" },
    { label: "Moderators", value: data.accounts.byRole.moderator, to: "/staff/users?role=moderator" },
    { label: "Admins", value: data.accounts.byRole.admin, to: "/staff/users?role=admin" },
    { label: "Banned", value: data.accounts.banned, to: "/staff/users?banned=true" },
    { label: "With two-step verification", value: data.accounts.withSecondFactor, to: "/staff/users?twoFactor=true" },
    { label: "Active readers, 30 days", value: data.activeReaders, hint: "asked a question; guests included" },
  ];
  return (
    <StaffPage title="Overview" loadError={data ? null : error} onRetry={() => void reload()}>
      {!data && !error && <SkeletonLines lines={8} label="Loading the overview…" />}
      {tiles && data && (
        <>
          <section aria-labelledby="accounts-title">
            <h2 id="accounts-title">Accounts</h2>
            <ul className="stat-tiles">
              {tiles.map((t) => (
                <li key={t.label} className="stat-tile">
                  <span className="stat-value">{t.value.toLocaleString()}</span>
                  <span className="stat-label">
                    {t.to ? (
                      <Link to={t.to}>{t.label}</Link>
                    ) : (
                      <>
                        {t.label}
                        {t.hint && <span className="stat-hint">{t.hint}</span>}
                      </>
                    )}
                  </span>
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="days-title">
            <h2 id="days-title">The last 30 days</h2>
            <div className="charts">
              <BarChart title="Sign-ups" unit="sign-ups" days={data.signUpsPerDay} />
              <BarChart title="Questions" unit="questions" days={data.questionsPerDay} />
              <BarChart title="Failed sign-ins" unit="failed sign-ins" days={data.failedSignInsPerDay} tone="warning" />
              <BarChart title="Throttled sign-ins" unit="throttled sign-ins" days={data.throttledSignInsPerDay} tone="danger" />
            </div>
          </section>
        </>
      )}
    </StaffPage>
  );
}
