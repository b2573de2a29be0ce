import { Link, isRouteErrorResponse, useRouteError } from "react-router";
import { NotFoundPage } from "../pages/NotFoundPage.tsx";

/**
 * What a page shows when it breaks while rendering or its code fails to load (a new deploy,
 * a dropped connection): a way to retry, and a way home. The header stays usable around it.
 */
export function RouteError() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />;
  const chunkFailed = error instanceof Error && /dynamically imported module|Importing a module script failed|Failed to fetch/i.test(error.message);
  if (import.meta.env.DEV) console.error(error);
  return (
    <div className="page-content narrow" role="alert">
      <h1>Something went wrong</h1>
      <p className="lead">
        {chunkFailed
          ? "Part of the site didn't load. Your connection may have dropped, or the site was just updated."
          : "This page ran into a problem. Reloading usually fixes it."}
      </p>
      <p className="button-row">
        <button type="button" className="button button-primary" onClick={() => window.location.reload()}>
          Try again
        </button>
        <Link to="/" reloadDocument className="button button-secondary">
          Go to the home page
        </Link>
      </p>
    </div>
  );
}
