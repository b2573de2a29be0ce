import { lazy, Suspense, type ComponentType } from "react";
import { createBrowserRouter } from "react-router";
import { CheckEmailPage } from "../auth/CheckEmailPage.tsx";
import { ForgotPasswordPage } from "../auth/ForgotPasswordPage.tsx";
import { ResetPasswordPage } from "../auth/ResetPasswordPage.tsx";
import { VerifiedPage } from "../auth/VerifiedPage.tsx";
import { BookHome } from "../book/BookHome.tsx";
import { ChapterRoute } from "../book/ChapterPage.tsx";
import { AccountDeletedPage } from "../pages/AccountDeletedPage.tsx";
import { NotFoundPage } from "../pages/NotFoundPage.tsx";
import { SkeletonLines } from "../ui/bits.tsx";
import { Layout } from "./Layout.tsx";
import { RouteError } from "./RouteError.tsx";

// Account pages and the staff console are code-split: most visits are for reading.
const AccountPage = lazy(() => import("../account/AccountPage.tsx"));
const PreferencesPage = lazy(() => import("../account/PreferencesPage.tsx"));
const BookmarksPage = lazy(() => import("../place/BookmarksPage.tsx"));
const StaffConsole = lazy(() => import("../staff/StaffConsole.tsx"));

function Lazy({ component: Page }: { component: ComponentType }) {
  return (
    <Suspense
      fallback={
        <div className="page-content">
          <SkeletonLines lines={6} label="Loading the page…" />
        </div>
      }
    >
      <Page />
    </Suspense>
  );
}

/**
 * Every page of the app. `/sign-in` and `/register` show the home page with the matching dialog
 * open over it (AuthDialogs reads the path).
 */
export const router = createBrowserRouter([
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      {
        errorElement: <RouteError />,
        children: [
          { index: true, element: <BookHome /> },
          { path: "sign-in", element: <BookHome /> },
          { path: "register", element: <BookHome /> },
          // A chapter's slug may have several segments (a Docusaurus doc's path: /read/basics/intro).
          { path: "read/*", element: <ChapterRoute /> },
          { path: "check-email", element: <CheckEmailPage /> },
          { path: "verified", element: <VerifiedPage /> },
          { path: "forgot-password", element: <ForgotPasswordPage /> },
          { path: "reset-password", element: <ResetPasswordPage /> },
          { path: "account", element: <Lazy component={AccountPage} /> },
          { path: "account/preferences", element: <Lazy component={PreferencesPage} /> },
          { path: "account/bookmarks", element: <Lazy component={BookmarksPage} /> },
          // Its own pages (overview, accounts, an account, audit log) are routed inside the chunk.
          { path: "staff/*", element: <Lazy component={StaffConsole} /> },
          { path: "account-deleted", element: <AccountDeletedPage /> },
          { path: "*", element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
